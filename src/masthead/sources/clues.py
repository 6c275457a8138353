"""What a block of crawled text is: a byline, a date, a title, a caption and credit, or a list of
related articles."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from masthead.sources.patterns import (
    ABBREVIATION_END,
    BY,
    CAPTION,
    CREDIT_BY,
    CREDIT_PAREN,
    CREDIT_TAIL,
    DATE_ONLY,
    DATE_TAIL,
    EMPTY_LINK,
    HEADING,
    INLINE_RELATED,
    LINK,
    LINK_ONLY,
    LIST_ITEM,
    MONTHS,
    NAME_PARTICLES,
    NAME_WORD,
    NOT_NAMES,
    RELATED_HEADING,
    SENTENCE_END,
    SEPARATED,
    Block,
    block_kind,
    plain,
)

# --- Bylines and dates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Byline:
    names: tuple[str, ...]
    date: dt.date | None


def parse_date(text: str) -> dt.date | None:
    """A date written out ("November 1, 2012", "1 Nov 2012") or in ISO form; None otherwise."""
    text = plain(text).strip(" .")
    for pattern in DATE_ONLY:
        match = pattern.match(text)
        if match:
            return _date_from(match)
    return None


def _date_from(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    month = int(groups["mnum"]) if groups.get("mnum") else MONTHS[groups["month"].lower()]
    try:
        return dt.date(int(groups["year"]), month, int(groups["day"]))
    except ValueError:
        return None


def _split_date(text: str) -> tuple[str, dt.date | None]:
    for pattern in DATE_TAIL:
        match = pattern.search(text)
        if match:
            date = _date_from(match)
            if date is not None:
                return text[: match.start()].strip(" ,|·•—–-"), date
    return text, None


def _names(text: str) -> tuple[str, ...] | None:
    """ "Ada Lovelace", "Ada Lovelace and Charles Babbage", "A, B & C" — or None if not names."""
    text = text.strip(" ,;")
    parts = [p.strip() for p in re.split(r"\s*(?:,\s*and\s+|,|\band\b|&|;)\s*", text) if p.strip()]
    if not parts or len(parts) > 6:
        return None
    for part in parts:
        words = part.split()
        if not 1 <= len(words) <= 5:
            return None
        for i, word in enumerate(words):
            if not NAME_WORD.match(word) or word.lower().strip(".") in NOT_NAMES:
                return None
            particle = word.lower() in NAME_PARTICLES
            if (i in (0, len(words) - 1) or not particle) and not word[0].isupper():
                return None
    return tuple(parts)


def parse_byline(text: str) -> Byline | None:
    """`Written by X on <date>`, `By X`, `By X and Y`, `X | <date>`, `Author: X` — or None."""
    if "\n" in text.strip() or len(text) > 300:
        return None
    line = plain(text)
    if not line or len(line) > 160:
        return None
    match = BY.match(line)
    if match:
        rest, date = _split_date(match["rest"] or match["rest2"])
        names = _names(rest)
        return Byline(names, date) if names else None
    match = SEPARATED.match(line)
    if not match:
        return None
    for who, when in ((match["a"], match["b"]), (match["b"], match["a"])):
        date = parse_date(when)
        if date is None:
            continue
        who = re.sub(r"^by\s+", "", who, flags=re.I)
        names = _names(who)
        if names:
            return Byline(names, date)
    return None


# --- Titles, captions, related lists ------------------------------------------------------------


def title_like(block: Block) -> bool:
    if not re.search(r"\w", block.plain):
        return False  # "—" or "[" is no title.
    if block.kind == "heading":
        return True
    if block.kind != "para" or "\n" in block.text:
        return False
    text = block.plain
    words = text.split()
    if not 1 <= len(words) <= 25 or len(text) > 200:
        return False
    return not (text.endswith(".") and not ABBREVIATION_END.search(text))


def ends_sentence(text: str) -> bool:
    """Ends with . ! ? or … (before any closing quote or bracket). "U.S." counts: when in doubt,
    a paragraph is left as the page had it rather than joined."""
    return bool(SENTENCE_END.search(plain(text)))


def split_credit(caption: str) -> tuple[str, str]:
    """ "Harbour at dawn: AP Images" → ("Harbour at dawn", "AP Images"); credit may be ""."""
    caption = caption.strip()
    for pattern in (CREDIT_BY, CREDIT_PAREN, CREDIT_TAIL):
        match = pattern.match(caption)
        if match and _credit_like(match["credit"]):
            return match["caption"].strip(" :—–|-"), match["credit"].strip()
    if _credit_like(caption) and len(caption.split()) <= 4:
        return "", caption
    return caption, ""


def _credit_like(text: str) -> bool:
    words = text.strip().split()
    if not 1 <= len(words) <= 6 or SENTENCE_END.search(text.strip()):
        return False
    return all(
        w[0].isupper() or w[0].isdigit() or w in {"via", "of", "for", "and", "/", "&"} or "/" in w
        for w in words
    )


def caption_of(block: Block) -> str | None:
    match = CAPTION.match(block.plain) if block.kind == "para" else None
    return match["rest"] if match else None


@dataclass(frozen=True)
class RelatedItem:
    title: str
    url: str


def link_items(text: str) -> list[RelatedItem] | None:
    """Items of a line that holds only links (separated by bars, commas or dots)."""
    pieces = [p.strip() for p in re.split(r"\s*[|·•;,]\s*(?=\[)", text.strip()) if p.strip()]
    items = []
    for piece in pieces:
        match = LINK_ONLY.match(piece)
        if not match:
            return None
        link = LINK.match(match["link"]) or EMPTY_LINK.match(match["link"])
        if link is None:
            return None
        title = plain(link["text"])
        if not title:
            return None
        items.append(RelatedItem(title, link.groupdict().get("url") or ""))
    return items or None


def related_items(block: Block, style: str | None) -> tuple[list[RelatedItem], str] | None:
    """The related items a block holds and their style ("link", "list", "plain"), or None."""
    if block.kind == "list":
        items = []
        for line in block.text.split("\n"):
            match = LIST_ITEM.match(line)
            if not match:
                return None
            links = link_items(match["text"])
            if links:
                items.extend(links)
            elif len(match["text"].split()) <= 25 and plain(match["text"]):
                items.append(RelatedItem(plain(match["text"]), ""))
            else:
                return None
        return (items, "list") if style in (None, "list") else None
    if block.kind != "para" or "\n" in block.text:
        return None
    links = link_items(block.text)
    if links:
        return (links, "link") if style in (None, "link") else None
    if style in (None, "plain") and title_like(block) and not parse_byline(block.text):
        return [RelatedItem(block.plain, "")], "plain"
    return None


def related_heading(block: Block) -> tuple[bool, list[RelatedItem], str | None]:
    """Is this a related-reading heading? With the items written on the same line, or on the
    lines right under it (no blank line between), if any; and the style of those items."""
    if block.kind not in ("para", "heading"):
        return False, [], None
    first, *rest = block.text.split("\n")
    text = re.sub(r"^\s*#{1,6}\s+", "", first).strip()
    bare = plain(text).rstrip(":").strip()
    items: list[RelatedItem] = []
    if RELATED_HEADING.match(bare):
        if not rest:
            return True, [], None
    else:
        match = INLINE_RELATED.match(text)
        inline = link_items(match["rest"]) if match else None
        if not (match and inline and RELATED_HEADING.match(plain(match["head"]))):
            return False, [], None
        items = inline
        if not rest:
            return True, items, None
    # The list straight under the heading: bullets, link lines, or (after "Heading:" or a
    # "# Heading") plain titles, one a line.
    explicit = text.endswith(":") or HEADING.match(first) is not None or bool(items)
    style: str | None = None
    lines = [line for line in rest if line.strip()]
    kind = block_kind("\n".join(lines))
    pieces = ["\n".join(lines)] if kind == "list" else lines
    for piece in pieces:
        got = related_items(Block(piece, block.start, block.end, block_kind(piece)), style)
        if got is None or (got[1] == "plain" and not explicit):
            return False, [], None
        items.extend(got[0])
        style = got[1]
    return True, items, style


def related_url(url: str) -> str:
    return url if re.match(r"^https?://", url) else ""
