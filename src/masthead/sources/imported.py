"""Import crawled articles: messy web text in, a clean Markdown article with front matter out.

The rules are general (issue 3): bylines in common forms, wherever a page break repeats them;
paragraphs cut by a page break joined only when the first part does not end a sentence; a photo
caption wrapped over paragraphs joined into the lead image's caption and credit; a related-reading
list turned into `related` titles; publication boilerplate removed only from the edges of the
article. Everything taken out is listed as a `Removal`, so nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from masthead.errors import InputError
from masthead.model import Publication, RawArticle
from masthead.text import slugify, title_key

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")

# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """A part of the input that is not in the body: dropped, or moved into the front matter."""

    kind: str  # "byline", "date", "title", "caption", "related", "boilerplate", "page-marker".
    first_words: str  # Like "Written by Alex Newman on November…".
    start_line: int  # 1-based line in the input (for HTML: in the extracted text).
    end_line: int

    @property
    def moved(self) -> bool:
        """Title and caption are kept, in the front matter."""
        return self.kind in {"title", "caption"}


@dataclass(frozen=True)
class Join:
    """A paragraph that a page break had cut in two, put back together."""

    first_line: int  # Last line of the first part.
    second_line: int  # First line of the second part.


@dataclass(frozen=True)
class ImportedArticle:
    """One imported article: front matter the build reads, a Markdown body, and what was done."""

    source: Path
    meta: dict[str, Any]  # title, authors, date, image_caption, image_credit, related, …
    body: str  # Markdown.
    removals: tuple[Removal, ...] = ()
    joins: tuple[Join, ...] = ()
    notes: tuple[str, ...] = ()  # Like "not UTF-8: read as Windows-1252".

    @property
    def file_name(self) -> str:
        """Like "night-hours-at-the-harbour-library.md"."""
        return f"{slugify(str(self.meta.get('title', '')), self.source.stem or 'article')}.md"

    def markdown(self) -> str:
        """The article as a Markdown file with YAML front matter, ready for an editor."""
        front = yaml.safe_dump(self.meta, sort_keys=False, allow_unicode=True, width=10_000)
        return f"---\n{front}---\n\n{self.body}"


@dataclass(frozen=True)
class ImportSettings:
    """The publication's `[import]` table: boilerplate patterns, with or without the defaults."""

    boilerplate: tuple[re.Pattern[str], ...] = ()
    defaults: bool = True


def import_settings(publication: Publication | None) -> ImportSettings:
    """Read `[import]` from the publication settings (validated by settings.publication_table)."""
    table = (publication.extra.get("import") if publication else None) or {}
    patterns = tuple(re.compile(p, re.I | re.M) for p in table.get("boilerplate", ()))
    return ImportSettings(patterns, bool(table.get("boilerplate_defaults", True)))


# --- Patterns -----------------------------------------------------------------------------------

# Promotions and page furniture that sites put around an article. They are only ever removed at
# the article's edges (see _edge_boilerplate), and only from blocks short enough to be furniture.
DEFAULT_BOILERPLATE = tuple(
    re.compile(p, re.I | re.M)
    for p in (
        r"^\W*subscribe\b",
        r"\bsubscri(?:ber|ption)s?[ -](?:only|content|access|edition|offer|plan|benefits?)\b",
        r"\b(?:subscribe|subscribing) (?:now|today|for|to (?:our|the|this))\b",
        r"\b(?:sign up|subscribe|join|get)\b.{0,60}\bnewsletters?\b",
        r"\bnewsletters?\b.{0,60}\b(?:sign up|subscribe|inbox)\b",
        r"^\W*(?:sign up|sign in|log in|register)\b",
        r"\b(?:get|enjoy|unlock) (?:exclusive|unlimited|full) (?:digital )?access\b",
        r"\bmoney[- ]back guarantee\b",
        r"\bcancel any ?time\b",
        r"^\W*share (?:this|on|via)\b",
        r"^\W*(?:share|tweet|print|email|comments?|advertisement|sponsored(?: content)?)\W*$",
        r"\b(?:we|this (?:web)?site) uses? cookies\b",
        r"\b(?:accept|reject|manage) (?:all )?cookies\b",
        r"\bcookie (?:policy|settings|preferences|consent|notice)\b",
        r"^\W*follow us\b",
        r"\ball rights reserved\b",
        r"^\W*(?:©|copyright\b)",
        r"\bsupport (?:our|independent) journalism\b",
        r"^\W*donate\b",
        r"^\W*(?:click|tap) here\b",
        r"\b(?:turn off|disable) (?:your )?ad ?blocker\b",
        r"\bleave a (?:comment|reply)\b",
        r"^\W*(?:continue reading|read more|read the full (?:story|article))\W*$",
        r"^\W*tags?:",
    )
)
# A default pattern only marks a block this short: a long paragraph is never furniture.
BOILERPLATE_MAX_WORDS = 60
# At an edge, up to this many unmatched blocks of page furniture in a row ("What's included?",
# a bullet list of short items, a `[Subscribe](#)` button) may sit between matched ones and go
# with them. A paragraph of prose never does: it ends the run (see _edge_run).
BOILERPLATE_BRIDGE = 4
# Furniture is short: a heading, a list item or a button of at most this many words, and not a
# sentence of more than FURNITURE_SENTENCE_WORDS words ("Cancel anytime." is furniture).
FURNITURE_MAX_WORDS = 12
FURNITURE_SENTENCE_WORDS = 4

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?)?"
_DATE_FORMS = (
    _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
    _WEEKDAY
    + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTH
    + r",?\s+(?P<year>\d{4})"
    + _TIME,
    r"(?P<year>\d{4})[-/](?P<mnum>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?" + _TIME,
)
_DATE_ONLY = [re.compile(rf"^{form}$", re.I) for form in _DATE_FORMS]
# A date at the end of a byline, after "on", a comma, a bar, a dot or a dash.
_DATE_TAIL = [
    re.compile(rf"(?:\s+on\s+|\s*[,|·•—–]\s*|\s+-\s+|\s+)(?:published\s+|updated\s+)?{form}$", re.I)
    for form in _DATE_FORMS
]
_BY = re.compile(
    r"^(?:(?:written|posted|published|reported|words|story|text|article)\s+)?by\s*:?\s+(?P<rest>.+)$"
    r"|^(?:author|authors|byline)\s*:\s*(?P<rest2>.+)$",
    re.I,
)
_SEPARATED = re.compile(r"^(?P<a>.+?)\s*(?:[|·•—–]|\s-\s)\s*(?P<b>.+)$")
_NAME_PARTICLES = {
    "de",
    "da",
    "del",
    "della",
    "der",
    "den",
    "di",
    "du",
    "la",
    "le",
    "van",
    "von",
    "bin",
    "ibn",
    "al",
    "el",
    "y",
    "st",
    "st.",
    "ter",
    "ten",
}
_NOT_NAMES = {
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "our",
    "your",
    "my",
    "his",
    "her",
    "their",
    "its",
    "it",
    "we",
    "i",
    "you",
    "staff",
    "numbers",
    "way",
    "day",
    "night",
    "far",
    "now",
}
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")

_LINK = re.compile(
    r"!?\[(?P<text>[^\[\]]*)\]\(\s*(?P<url>[^()\s]*(?:\([^()\s]*\))?[^()\s]*)"
    r"(?:\s+\"[^\"]*\")?\s*\)"
)
_EMPTY_LINK = re.compile(r"!?\[(?P<text>[^\[\]]*)\]\(\s*#?\s*\)")
_LINK_ONLY = re.compile(r"^(?:\*\*|__|\*|_)?(?P<link>\[[^\[\]]+\]\([^)]*\))(?:\*\*|__|\*|_)?$")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_RELATED_HEADING = re.compile(
    r"^(?:related(?: (?:articles?|stories|posts|reading|content|links|coverage|news|pieces))?"
    r"|read (?:more|next|also)|more (?:reading|stories|news|articles)|further reading"
    r"|see also|also read|you (?:may|might) also (?:like|enjoy)"
    r"|recommended(?: (?:reading|for you|articles|stories))?"
    r"|more (?:from|on|about|in|by) [^.!?:]{1,60})$",
    re.I,
)
_INLINE_RELATED = re.compile(
    r"^(?:\*\*|__)?(?P<head>[^:\[\]]{3,70}?)(?:\*\*|__)?\s*:\s*(?P<rest>.+)$"
)
_CAPTION = re.compile(
    r"^(?P<label>photo(?:graph)?(?: credit)?|image(?: credit)?|picture|pictured|caption"
    r"|illustration|top (?:photo|image)|main (?:photo|image)|photo caption|credit)\s*:\s*"
    r"(?P<rest>.*)$",
    re.I | re.S,
)
_CREDIT_TAIL = re.compile(
    r"^(?P<caption>.*?)\s*(?::|\||—|–|\s-\s)\s*(?P<credit>[^:|—–]{2,60})$", re.S
)
_CREDIT_PAREN = re.compile(
    r"^(?P<caption>.*?)\s*\((?:photo|image|credit)?:?\s*"
    r"(?P<credit>[^()]{2,60})\)$",
    re.I | re.S,
)
_CREDIT_BY = re.compile(
    r"^(?P<caption>.*?)\s*\b(?:photo(?:graph)?\s+by|photo credit:?|credit:|"
    r"courtesy of)\s+(?P<credit>[^.]{2,60})\.?$",
    re.I | re.S,
)
_PAGE_MARKER = re.compile(
    r"^\W*(?:page \d+(?: of \d+)?|(?:next|previous) page|continued on (?:the )?next page"
    r"|continued on page \d+|continued|\d+\s*/\s*\d+)\W*$",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]*_]*$")
_ABBREVIATION_END = re.compile(r"(?:\b[A-Z]\.){2,}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# --- Blocks -------------------------------------------------------------------------------------


@dataclass
class _Block:
    """A paragraph-sized piece of the input: the lines between blank lines."""

    text: str
    start: int  # 1-based line numbers in the input.
    end: int
    kind: str = "para"  # "para", "heading", "list", "quote", "code", "table".
    state: str = "body"  # "body" or a Removal kind.
    page_break_before: bool = False

    @property
    def plain(self) -> str:
        return plain(self.text)

    @property
    def words(self) -> int:
        return len(self.text.split())


def plain(text: str) -> str:
    """Text without link targets, emphasis markers and heading marks, spaces collapsed."""
    text = _LINK.sub(lambda m: m["text"], text)
    text = _EMPTY_LINK.sub(lambda m: m["text"], text)
    heading = _HEADING.match(text)
    if heading:
        text = heading["text"]
    text = re.sub(r"(?<!\w)(\*\*|__|\*|_)|(\*\*|__|\*|_)(?!\w)", "", text)
    return " ".join(text.split())


def reduce_empty_links(text: str) -> str:
    """`[text](#)` and `[text]()` — links the crawler emptied — become their text."""
    return _EMPTY_LINK.sub(lambda m: m["text"], text)


def _blocks(text: str, first_line: int) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = first_line
    fenced = False
    for number, line in enumerate(text.split("\n"), start=first_line):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append(_Block("\n".join(current), start, number - 1))
                current = []
            continue
        if not current:
            start = number
        current.append(line.rstrip())
    if current:
        blocks.append(_Block("\n".join(current), start, start + len(current) - 1))
    for block in blocks:
        block.kind = _kind(block.text)
    return blocks


def _kind(text: str) -> str:
    lines = text.split("\n")
    first = lines[0]
    if first.lstrip().startswith(("```", "~~~")) or all(
        line.startswith(("    ", "\t")) for line in lines
    ):
        return "code"
    if _HEADING.match(first) and len(lines) == 1:
        return "heading"
    if _LIST_ITEM.match(first):
        return "list"
    if first.lstrip().startswith(">"):
        return "quote"
    if first.lstrip().startswith("|") and len(lines) > 1:
        return "table"
    return "para"


# --- Bylines and dates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Byline:
    names: tuple[str, ...]
    date: dt.date | None


def parse_date(text: str) -> dt.date | None:
    """A date written out ("November 1, 2012", "1 Nov 2012") or in ISO form; None otherwise."""
    text = plain(text).strip(" .")
    for pattern in _DATE_ONLY:
        match = pattern.match(text)
        if match:
            return _date_from(match)
    return None


def _date_from(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"].lower()]
    try:
        return dt.date(int(groups["year"]), month, int(groups["day"]))
    except ValueError:
        return None


def _split_date(text: str) -> tuple[str, dt.date | None]:
    for pattern in _DATE_TAIL:
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
            if not _NAME_WORD.match(word) or word.lower().strip(".") in _NOT_NAMES:
                return None
            particle = word.lower() in _NAME_PARTICLES
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
    match = _BY.match(line)
    if match:
        rest, date = _split_date(match["rest"] or match["rest2"])
        names = _names(rest)
        return Byline(names, date) if names else None
    match = _SEPARATED.match(line)
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


def _title_like(block: _Block) -> bool:
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
    return not (text.endswith(".") and not _ABBREVIATION_END.search(text))


def _ends_sentence(text: str) -> bool:
    """Ends with . ! ? or … (before any closing quote or bracket). "U.S." counts: when in doubt,
    a paragraph is left as the page had it rather than joined."""
    return bool(_SENTENCE_END.search(plain(text)))


def split_credit(caption: str) -> tuple[str, str]:
    """ "Harbour at dawn: AP Images" → ("Harbour at dawn", "AP Images"); credit may be ""."""
    caption = caption.strip()
    for pattern in (_CREDIT_BY, _CREDIT_PAREN, _CREDIT_TAIL):
        match = pattern.match(caption)
        if match and _credit_like(match["credit"]):
            return match["caption"].strip(" :—–|-"), match["credit"].strip()
    if _credit_like(caption) and len(caption.split()) <= 4:
        return "", caption
    return caption, ""


def _credit_like(text: str) -> bool:
    words = text.strip().split()
    if not 1 <= len(words) <= 6 or _SENTENCE_END.search(text.strip()):
        return False
    return all(
        w[0].isupper() or w[0].isdigit() or w in {"via", "of", "for", "and", "/", "&"} or "/" in w
        for w in words
    )


def _caption_text(block: _Block) -> str | None:
    match = _CAPTION.match(block.plain) if block.kind == "para" else None
    return match["rest"] if match else None


@dataclass(frozen=True)
class _Item:
    title: str
    url: str


def _link_items(text: str) -> list[_Item] | None:
    """Items of a line that holds only links (separated by bars, commas or dots)."""
    pieces = [p.strip() for p in re.split(r"\s*[|·•;,]\s*(?=\[)", text.strip()) if p.strip()]
    items = []
    for piece in pieces:
        match = _LINK_ONLY.match(piece)
        if not match:
            return None
        link = _LINK.match(match["link"]) or _EMPTY_LINK.match(match["link"])
        if link is None:
            return None
        title = plain(link["text"])
        if not title:
            return None
        items.append(_Item(title, link.groupdict().get("url") or ""))
    return items or None


def _related_items(block: _Block, style: str | None) -> tuple[list[_Item], str] | None:
    """The related items a block holds and their style ("link", "list", "plain"), or None."""
    if block.kind == "list":
        items = []
        for line in block.text.split("\n"):
            match = _LIST_ITEM.match(line)
            if not match:
                return None
            links = _link_items(match["text"])
            if links:
                items.extend(links)
            elif len(match["text"].split()) <= 25 and plain(match["text"]):
                items.append(_Item(plain(match["text"]), ""))
            else:
                return None
        return (items, "list") if style in (None, "list") else None
    if block.kind != "para" or "\n" in block.text:
        return None
    links = _link_items(block.text)
    if links:
        return (links, "link") if style in (None, "link") else None
    if style in (None, "plain") and _title_like(block) and not parse_byline(block.text):
        return [_Item(block.plain, "")], "plain"
    return None


def _related_heading(block: _Block) -> tuple[bool, list[_Item], str | None]:
    """Is this a related-reading heading? With the items written on the same line, or on the
    lines right under it (no blank line between), if any; and the style of those items."""
    if block.kind not in ("para", "heading"):
        return False, [], None
    first, *rest = block.text.split("\n")
    text = re.sub(r"^\s*#{1,6}\s+", "", first).strip()
    bare = plain(text).rstrip(":").strip()
    items: list[_Item] = []
    if _RELATED_HEADING.match(bare):
        if not rest:
            return True, [], None
    else:
        match = _INLINE_RELATED.match(text)
        inline = _link_items(match["rest"]) if match else None
        if not (match and inline and _RELATED_HEADING.match(plain(match["head"]))):
            return False, [], None
        items = inline
        if not rest:
            return True, items, None
    # The list straight under the heading: bullets, link lines, or (after "Heading:" or a
    # "# Heading") plain titles, one a line.
    explicit = text.endswith(":") or _HEADING.match(first) is not None or bool(items)
    style: str | None = None
    lines = [line for line in rest if line.strip()]
    kind = _kind("\n".join(lines))
    pieces = ["\n".join(lines)] if kind == "list" else lines
    for piece in pieces:
        got = _related_items(_Block(piece, block.start, block.end, _kind(piece)), style)
        if got is None or (got[1] == "plain" and not explicit):
            return False, [], None
        items.extend(got[0])
        style = got[1]
    return True, items, style


def _related_url(url: str) -> str:
    return url if re.match(r"^https?://", url) else ""


# --- The import ---------------------------------------------------------------------------------


def import_text(
    text: str,
    path: Path,
    settings: ImportSettings | None = None,
    *,
    known: dict[str, Any] | None = None,
    first_line: int = 1,
) -> ImportedArticle:
    """Clean one crawled Markdown-ish text. `known` is metadata found elsewhere (HTML meta
    tags): its title means the text need not start with one."""
    settings = settings or ImportSettings()
    known = dict(known or {})
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    meta: dict[str, Any] = {}
    if text.startswith(("---\n", "+++\n")):
        from masthead.sources.frontmatter import split_front_matter

        front, text, body_line = split_front_matter(text, path)
        first_line += body_line - 1
        known.update(front)
    blocks = _blocks(text, first_line)
    if not blocks:
        raise InputError(
            "is empty: there is no text to import", path, hint="give the saved text of an article"
        )

    boiler = _boilerplate_matcher(settings)
    bylines: list[Byline] = []
    i = 0
    # Furniture before anything else ("Skip to content", a cookie notice).
    while i < len(blocks) and boiler(blocks[i]) and not parse_byline(blocks[i].text):
        blocks[i].state = "boilerplate"
        i += 1
    # The head: title, bylines and a dateline, in whatever order the site printed them.
    title = ""
    known_title = str(known.get("title") or "")
    while i < len(blocks):
        block = blocks[i]
        byline = parse_byline(block.text)
        if byline:
            bylines.append(byline)
            block.state = "byline"
        elif parse_date(block.text) and block.kind == "para":
            block.state = "date"
            meta.setdefault("date", parse_date(block.text))
        elif not title and known_title and title_key(block.plain) == title_key(known_title):
            title, block.state = known_title, "title"
        elif (
            not title
            and not known_title
            and _title_like(block)
            and not boiler(block)
            and not (_caption_text(block) is not None or _related_heading(block)[0])
        ):
            title, block.state = block.plain, "title"
        else:
            break
        i += 1
    title = title or known_title
    if not title:
        body_blocks = [b for b in blocks if b.state == "body"]
        if not body_blocks:
            raise InputError(
                "holds no article: only a byline or page furniture",
                path,
                blocks[0].start,
                "give the article's own text, starting with its title on a line of its own",
            )
        raise InputError(
            "has no title that can be recognised",
            path,
            body_blocks[0].start,
            "put the title on a line of its own at the top (or as `# Title`), before the text",
        )
    authors = [name for b in bylines for name in b.names]
    if authors:
        meta["authors"] = list(dict.fromkeys(authors))
    if dates := [b.date for b in bylines if b.date]:
        meta["date"] = dates[0]

    related = _take_related(blocks[i:], boiler)
    caption = _take_caption(blocks[i:], boiler)
    _take_page_breaks(blocks[i:], set(authors), meta.get("date"))
    _edge_boilerplate(blocks, boiler)
    if not any(b.state == "body" for b in blocks):
        raise InputError(
            "holds a title but no article text",
            path,
            blocks[-1].start,
            "check that the file is the article itself, not only its heading or a promotion",
        )
    body, joins = _body(blocks)

    meta = {"title": title, **meta}
    for key, value in known.items():
        if value not in (None, "", [], ()):
            meta[key] = value
    meta["title"] = title
    if caption is not None:
        caption_text, credit = split_credit(caption)
        if caption_text:
            meta.setdefault("image_caption", caption_text)
        if credit:
            meta.setdefault("image_credit", credit)
    if related and "related" not in meta:
        meta["related"] = [
            {"title": r.title, "url": _related_url(r.url)} if _related_url(r.url) else r.title
            for r in related
        ]
    removals = tuple(
        Removal(state, _first_words(group), group[0].start, group[-1].end)
        for state, group in _groups(blocks)
        if state != "body"
    )
    return ImportedArticle(path, _ordered(meta), body, removals, tuple(joins))


_KEY_ORDER = (
    "title",
    "dek",
    "authors",
    "date",
    "url",
    "image",
    "image_url",
    "image_alt",
    "image_caption",
    "image_credit",
    "summary",
    "tags",
    "related",
)


def _ordered(meta: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in _KEY_ORDER if k in meta] + [k for k in meta if k not in _KEY_ORDER]
    return {k: meta[k] for k in keys}


def _boilerplate_matcher(settings: ImportSettings):  # type: ignore[no-untyped-def]
    defaults = DEFAULT_BOILERPLATE if settings.defaults else ()

    def matches(block: _Block) -> bool:
        text = block.plain
        if any(p.search(text) or p.search(block.text) for p in settings.boilerplate):
            return True
        return block.words <= BOILERPLATE_MAX_WORDS and any(p.search(text) for p in defaults)

    return matches


def _take_related(blocks: list[_Block], boiler) -> list[_Item]:  # type: ignore[no-untyped-def]
    """Mark every related-reading heading and the items under it; return the items in order."""
    found: list[_Item] = []
    k = 0
    while k < len(blocks):
        block = blocks[k]
        is_heading, inline, style = (
            _related_heading(block) if block.state == "body" else (False, [], None)
        )
        if not is_heading:
            k += 1
            continue
        items, j = list(inline), k + 1
        while j < len(blocks) and blocks[j].state == "body" and not boiler(blocks[j]):
            gap = blocks[j].start - blocks[j - 1].end - 1
            got = _related_items(blocks[j], style)
            if got is None or (got[1] == "plain" and gap > 1):
                break
            items.extend(got[0])
            style = got[1]
            j += 1
        if not items:
            k += 1
            continue
        for member in blocks[k:j]:
            member.state = "related"
        seen = {title_key(f.title) for f in found}
        found.extend(item for item in items if title_key(item.title) not in seen)
        k = j
    return found


def _take_caption(blocks: list[_Block], boiler) -> str | None:  # type: ignore[no-untyped-def]
    """The first photo caption ("Photo: …"), joined if the page wrapped it over paragraphs."""
    for k, block in enumerate(blocks):
        rest = _caption_text(block) if block.state == "body" else None
        if rest is None:
            continue
        parts = [rest]
        block.state = "caption"
        j = k + 1
        while (
            j < len(blocks)
            and blocks[j].state == "body"
            and blocks[j].kind == "para"
            and not _ends_sentence(parts[-1])
            and split_credit(" ".join(parts))[1] == ""
            and blocks[j].words <= BOILERPLATE_MAX_WORDS
            and (blocks[j].plain[:1].islower() or not _ends_sentence(blocks[j].text))
            and not boiler(blocks[j])
            and not _related_heading(blocks[j])[0]
        ):
            parts.append(blocks[j].plain)
            blocks[j].state = "caption"
            j += 1
        return " ".join(" ".join(parts).split())
    return None


def _take_page_breaks(blocks: list[_Block], authors: set[str], date: dt.date | None) -> None:
    """Bylines, datelines and "Page 2 of 3" lines that a web page's later pages repeat."""
    for block in blocks:
        if block.state != "body":
            continue
        byline = parse_byline(block.text)
        if byline and (byline.date or set(byline.names) <= authors):
            block.state = "byline"
        elif block.kind == "para" and "\n" not in block.text and _PAGE_MARKER.match(block.plain):
            block.state = "page-marker"
        elif date is not None and block.kind == "para" and parse_date(block.text) == date:
            block.state = "date"
        else:
            continue
        block.page_break_before = True


def _edge_boilerplate(blocks: list[_Block], boiler) -> None:  # type: ignore[no-untyped-def]
    """Remove furniture at the body's start and at its end, never anything between two
    paragraphs of the article: a run at an edge holds blocks that match a boilerplate pattern
    and the short furniture between them, and the first paragraph of prose ends it."""
    body = [b for b in blocks if b.state == "body"]
    lead = _edge_run(body, boiler)
    for block in body[:lead]:
        block.state = "boilerplate"
    body = body[lead:]
    tail = _edge_run(body[::-1], boiler)
    if tail:
        tail = max(tail, _promo_section(blocks, body, boiler))
    for block in body[len(body) - tail :]:
        block.state = "boilerplate"


def _edge_run(blocks: list[_Block], boiler) -> int:  # type: ignore[no-untyped-def]
    """How many of `blocks`, from the first, are edge boilerplate: the first must match a
    pattern, and so must the last taken; up to BOILERPLATE_BRIDGE blocks of furniture in a row
    may sit between matched ones. Anything else (a paragraph of prose) ends the run."""
    count = pending = 0
    for k, block in enumerate(blocks):
        if boiler(block):
            count, pending = k + 1, 0
        elif count and pending < BOILERPLATE_BRIDGE and _furniture(block):
            pending += 1
        else:
            break
    return count


def _promo_section(blocks: list[_Block], body: list[_Block], boiler) -> int:  # type: ignore[no-untyped-def]
    """A publication's promotion after the article has visibly ended: a section straight after
    the related-reading list, to the end of the file, headed by a heading-like line that
    matches a pattern ("Subscribe to …") and ending with a matched block. Its own short
    paragraphs ("Discover …") go with it. Returns how many trailing body blocks it holds
    (0 when there is no such section: then only the matched run at the very end is removed)."""
    last_related = max((k for k, b in enumerate(blocks) if b.state == "related"), default=-1)
    if last_related < 0 or last_related + 1 >= len(blocks):
        return 0
    first_related = last_related
    while first_related > 0 and blocks[first_related - 1].state == "related":
        first_related -= 1
    if first_related == last_related and "\n" not in blocks[last_related].text:
        return 0  # One "Related: [A](#)" line can sit mid-article: it does not end it.
    head = blocks[last_related + 1]
    if head.state != "body" or head not in body or not boiler(head) or not _furniture(head):
        return 0
    section = body[body.index(head) :]
    if len(section) != len(blocks) - last_related - 1 or not boiler(section[-1]):
        return 0  # Something other than body blocks (a byline, a caption) is in between.
    pending = 0
    for block in section:
        if boiler(block):
            pending = 0
            continue
        pending += 1
        if (
            pending > BOILERPLATE_BRIDGE
            or block.words > BOILERPLATE_MAX_WORDS
            or block.kind not in ("para", "heading", "list")
        ):
            return 0
    return len(section)


def _furniture(block: _Block) -> bool:
    """Page furniture that is not itself a pattern's match but goes with one: a short heading
    ("What's Included?"), a list of short items, a line of links or a button ("[Subscribe](#)").
    A sentence of more than a few words is prose, not furniture."""
    lines = block.text.split("\n")
    if block.kind == "heading":
        return _short_line(block.plain)
    if block.kind == "list":
        items = [_LIST_ITEM.match(line) for line in lines]
        return all(
            m is not None and (_link_items(m["text"]) is not None or _short_line(plain(m["text"])))
            for m in items
        )
    if block.kind != "para" or len(lines) > 1:
        return False
    return _link_items(block.text) is not None or _short_line(block.plain)


def _short_line(text: str) -> bool:
    words = len(text.split())
    if not 0 < words <= FURNITURE_MAX_WORDS:
        return False
    return words <= FURNITURE_SENTENCE_WORDS or not _ends_sentence(text)


def _body(blocks: list[_Block]) -> tuple[str, list[Join]]:
    """The remaining blocks as Markdown; a paragraph cut by a page break is joined."""
    parts: list[_Block] = []
    joins: list[Join] = []
    broken = False
    for block in blocks:
        if block.state in ("byline", "page-marker", "date") and block.page_break_before:
            broken = bool(parts)
            continue
        if block.state != "body":
            continue
        previous = parts[-1] if parts else None
        if (
            broken
            and previous is not None
            and previous.kind == "para"
            and block.kind == "para"
            and not _ends_sentence(previous.text)
        ):
            joins.append(Join(previous.end, block.start))
            previous.text = f"{previous.text.rstrip()} {block.text.lstrip()}"
            previous.end = block.end
        else:
            parts.append(_Block(block.text, block.start, block.end, block.kind))
        broken = False
    return "\n\n".join(reduce_empty_links(p.text) for p in parts) + "\n", joins


def _groups(blocks: Iterable[_Block]) -> Iterable[tuple[str, list[_Block]]]:
    group: list[_Block] = []
    for block in blocks:
        if group and (block.state != group[0].state or block.state in ("byline", "title")):
            yield group[0].state, group
            group = []
        group.append(block)
    if group:
        yield group[0].state, group


def _first_words(group: list[_Block], count: int = 8) -> str:
    words = " ".join(b.plain for b in group).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


# --- Files --------------------------------------------------------------------------------------


def decode_raw(raw: bytes, path: Path) -> tuple[str, list[str]]:
    """Bytes of a crawled file to text: UTF-8 (or UTF-16 with a BOM), else the HTML's declared
    charset, else Windows-1252/Latin-1. Binary files are refused with a clear message."""
    notes: list[str] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), ["read as UTF-16"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:8192]:
        raise InputError(
            "is a binary file, not text",
            path,
            hint="give the saved text (.txt) or web page (.html) of an article",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", raw[:4096], re.I)
        text = ""
        for encoding in ([declared.group(1).decode("ascii")] if declared else []) + ["cp1252"]:
            try:
                text = raw.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
            notes.append(f"not UTF-8: read as {encoding}")
            break
        else:
            text = raw.decode("latin-1")
            notes.append("not UTF-8: read as Latin-1")
    controls = len(_CONTROL.findall(text))
    if text and controls > max(2, len(text) // 50):
        raise InputError(
            "is a binary file, not text",
            path,
            hint="give the saved text (.txt) or web page (.html) of an article",
        )
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), notes


def import_file(path: Path, publication: Publication | None = None) -> ImportedArticle:
    """Import one saved article (.txt, .html or .htm): the library entry point of `import`."""
    return _import_with(path, import_settings(publication))


def import_decoded(path: Path, text: str, publication: Publication | None) -> ImportedArticle:
    """Import text already decoded (the build's reader): by suffix, HTML or crawled text."""
    settings = import_settings(publication)
    if path.suffix.lower() in HTML_SUFFIXES:
        from masthead.sources.html import import_html

        return import_html(text, path, settings)
    return import_text(text, path, settings)


def settings_file(out_dir: Path, given: Path | None = None) -> Path | None:
    """The publication.toml whose `[import]` table applies: `given`, else one in the output
    folder (a publication) or its parent (the output is an issue of that publication)."""
    if given is not None:
        if not given.is_file():
            raise InputError("no such file", given, hint="give the path of a publication.toml")
        return given
    for folder in (out_dir, out_dir.parent):
        if (folder / "publication.toml").is_file():
            return folder / "publication.toml"
    return None


def settings_from(path: Path | None) -> ImportSettings:
    """`[import]` of a publication.toml, validated like the build validates it."""
    if path is None:
        return ImportSettings()
    from masthead.settings import publication_table, read_toml

    table, text = read_toml(path)
    values = publication_table(table, path, text, path.name)
    return import_settings(Publication(name="", extra={"import": values.get("import", {})}))


def import_files(
    paths: Iterable[Path],
    out_dir: Path,
    settings: ImportSettings | None = None,
    overwrite: bool = False,
) -> list[tuple[ImportedArticle, Path]]:
    """Import every file and choose its Markdown file in `out_dir`; nothing is written here
    (write `article.markdown()` with files.write_all, all at once). Existing files are only
    replaced with `overwrite`."""
    results: list[tuple[ImportedArticle, Path]] = []
    used: set[Path] = set()
    for path in paths:
        if not path.is_file():
            raise InputError("no such file", path, hint="give crawled .txt or saved .html files")
        article = _import_with(path, settings)
        target = out_dir / article.file_name
        n = 2
        while target in used:
            target = out_dir / f"{Path(article.file_name).stem}-{n}.md"
            n += 1
        if target.exists() and not overwrite:
            raise InputError(
                "already exists", target, hint="give another --out folder, or --force to replace it"
            )
        used.add(target)
        results.append((article, target))
    return results


def _import_with(path: Path, settings: ImportSettings | None) -> ImportedArticle:
    suffix = path.suffix.lower()
    if suffix not in (*TEXT_SUFFIXES, *HTML_SUFFIXES, ".md", ".markdown"):
        raise InputError(
            f"cannot import '{suffix or path.name}' files",
            path,
            hint="give .txt (crawled text) or .html (a saved web page)",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path) from exc
    text, notes = decode_raw(raw, path)
    if suffix in HTML_SUFFIXES:
        from masthead.sources.html import import_html

        article = import_html(text, path, settings)
    else:
        article = import_text(text, path, settings)
    return _with_notes(article, notes)


def _with_notes(article: ImportedArticle, notes: Iterable[str]) -> ImportedArticle:
    notes = tuple(notes)
    if not notes:
        return article
    return ImportedArticle(
        article.source,
        article.meta,
        article.body,
        article.removals,
        article.joins,
        (*notes, *article.notes),
    )


def write_imports(results: list[tuple[ImportedArticle, Path]]) -> tuple[Path, ...]:
    """Write every imported article at once (files.write_all: temporary files, then renames)."""
    from masthead.files import write_all

    return write_all({target: article.markdown().encode("utf-8") for article, target in results})


_ACTIONS = {"title": "→ title", "caption": "→ image_caption", "related": "→ related"}


def explain(article: ImportedArticle) -> list[str]:
    """What the import did, one line each, in the order of the input: for `import --explain`."""
    rows: list[tuple[int, str]] = []
    for r in article.removals:
        lines = (
            f"line {r.start_line}"
            if r.start_line == r.end_line
            else (f"lines {r.start_line}-{r.end_line}")
        )
        action = _ACTIONS.get(r.kind, "removed")
        rows.append((r.start_line, f"{lines:<14} {r.kind:<12} {action:<16} {r.first_words}"))
    for j in article.joins:
        where = f"lines {j.first_line}+{j.second_line}"
        rows.append(
            (
                j.second_line,
                f"{where:<14} {'page-break':<12} {'joined':<16} a paragraph the page break had cut",
            )
        )
    rows.sort(key=lambda row: row[0])
    return [f"note: {note}" for note in article.notes] + [text for _, text in rows]


def read_raw_article(path: Path, text: str, section: str, publication: Publication) -> RawArticle:
    """`ARTICLE_READERS` entry: a raw crawled file listed in issue.toml, imported on the way in."""
    article = import_decoded(path, text, publication)
    return RawArticle(path, article.meta, article.body, 1, section, "")


def _decoder(raw: bytes, path: Path) -> str:
    return decode_raw(raw, path)[0]


def register(readers: dict[str, Any], decoders: dict[str, Any]) -> None:
    """Hook the raw readers into masthead.sources.folder (it calls this on first use)."""
    for suffix in (*TEXT_SUFFIXES, *HTML_SUFFIXES):
        readers.setdefault(suffix, read_raw_article)
        decoders.setdefault(suffix, _decoder)


__all__ = [
    "ImportSettings",
    "ImportedArticle",
    "Join",
    "Removal",
    "decode_raw",
    "explain",
    "import_file",
    "import_files",
    "import_settings",
    "import_text",
    "parse_byline",
    "parse_date",
    "settings_file",
    "settings_from",
    "split_credit",
    "write_imports",
]
