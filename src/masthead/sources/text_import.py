"""Import crawled articles: messy web text in, a clean Markdown article with front matter out.

The rules are general (issue 3): bylines in common forms, wherever a page break repeats them;
paragraphs cut by a page break joined only when the first part does not end a sentence; a photo
caption wrapped over paragraphs joined into the lead image's caption and credit; a related-reading
list turned into `related` titles; publication boilerplate removed only from the edges of the
article. Everything taken out is listed as a `Removal`, so nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from masthead.errors import InputError
from masthead.sources.clues import (
    Byline,
    RelatedItem,
    caption_of,
    ends_sentence,
    link_items,
    parse_byline,
    parse_date,
    related_heading,
    related_items,
    related_url,
    split_credit,
    title_like,
)
from masthead.sources.crawled import ImportedArticle, ImportSettings, Join, Removal
from masthead.sources.patterns import (
    BOILERPLATE_BRIDGE,
    BOILERPLATE_MAX_WORDS,
    CONTROL,
    DEFAULT_BOILERPLATE,
    FURNITURE_MAX_WORDS,
    FURNITURE_SENTENCE_WORDS,
    LIST_ITEM,
    PAGE_MARKER,
    Block,
    plain,
    reduce_empty_links,
    split_blocks,
)
from masthead.text import title_key

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
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    meta: dict[str, Any] = {}
    if text.startswith(("---\n", "+++\n")):
        from masthead.sources.frontmatter import split_front_matter

        front, text, body_line = split_front_matter(text, path)
        first_line += body_line - 1
        known.update(front)
    blocks = split_blocks(text, first_line)
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
            and title_like(block)
            and not boiler(block)
            and not (caption_of(block) is not None or related_heading(block)[0])
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
            {"title": r.title, "url": related_url(r.url)} if related_url(r.url) else r.title
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

    def matches(block: Block) -> bool:
        text = block.plain
        if any(p.search(text) or p.search(block.text) for p in settings.boilerplate):
            return True
        return block.words <= BOILERPLATE_MAX_WORDS and any(p.search(text) for p in defaults)

    return matches


def _take_related(blocks: list[Block], boiler) -> list[RelatedItem]:  # type: ignore[no-untyped-def]
    """Mark every related-reading heading and the items under it; return the items in order."""
    found: list[RelatedItem] = []
    k = 0
    while k < len(blocks):
        block = blocks[k]
        is_heading, inline, style = (
            related_heading(block) if block.state == "body" else (False, [], None)
        )
        if not is_heading:
            k += 1
            continue
        items, j = list(inline), k + 1
        while j < len(blocks) and blocks[j].state == "body" and not boiler(blocks[j]):
            gap = blocks[j].start - blocks[j - 1].end - 1
            got = related_items(blocks[j], style)
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


def _take_caption(blocks: list[Block], boiler) -> str | None:  # type: ignore[no-untyped-def]
    """The first photo caption ("Photo: …"), joined if the page wrapped it over paragraphs."""
    for k, block in enumerate(blocks):
        rest = caption_of(block) if block.state == "body" else None
        if rest is None:
            continue
        parts = [rest]
        block.state = "caption"
        j = k + 1
        while (
            j < len(blocks)
            and blocks[j].state == "body"
            and blocks[j].kind == "para"
            and not ends_sentence(parts[-1])
            and split_credit(" ".join(parts))[1] == ""
            and blocks[j].words <= BOILERPLATE_MAX_WORDS
            and (blocks[j].plain[:1].islower() or not ends_sentence(blocks[j].text))
            and not boiler(blocks[j])
            and not related_heading(blocks[j])[0]
        ):
            parts.append(blocks[j].plain)
            blocks[j].state = "caption"
            j += 1
        return " ".join(" ".join(parts).split())
    return None


def _take_page_breaks(blocks: list[Block], authors: set[str], date: dt.date | None) -> None:
    """Bylines, datelines and "Page 2 of 3" lines that a web page's later pages repeat."""
    for block in blocks:
        if block.state != "body":
            continue
        byline = parse_byline(block.text)
        if byline and (byline.date or set(byline.names) <= authors):
            block.state = "byline"
        elif block.kind == "para" and "\n" not in block.text and PAGE_MARKER.match(block.plain):
            block.state = "page-marker"
        elif date is not None and block.kind == "para" and parse_date(block.text) == date:
            block.state = "date"
        else:
            continue
        block.page_break_before = True


def _edge_boilerplate(blocks: list[Block], boiler) -> None:  # type: ignore[no-untyped-def]
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


def _edge_run(blocks: list[Block], boiler) -> int:  # type: ignore[no-untyped-def]
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


def _promo_section(blocks: list[Block], body: list[Block], boiler) -> int:  # type: ignore[no-untyped-def]
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


def _furniture(block: Block) -> bool:
    """Page furniture that is not itself a pattern's match but goes with one: a short heading
    ("What's Included?"), a list of short items, a line of links or a button ("[Subscribe](#)").
    A sentence of more than a few words is prose, not furniture."""
    lines = block.text.split("\n")
    if block.kind == "heading":
        return _short_line(block.plain)
    if block.kind == "list":
        items = [LIST_ITEM.match(line) for line in lines]
        return all(
            m is not None and (link_items(m["text"]) is not None or _short_line(plain(m["text"])))
            for m in items
        )
    if block.kind != "para" or len(lines) > 1:
        return False
    return link_items(block.text) is not None or _short_line(block.plain)


def _short_line(text: str) -> bool:
    words = len(text.split())
    if not 0 < words <= FURNITURE_MAX_WORDS:
        return False
    return words <= FURNITURE_SENTENCE_WORDS or not ends_sentence(text)


def _body(blocks: list[Block]) -> tuple[str, list[Join]]:
    """The remaining blocks as Markdown; a paragraph cut by a page break is joined."""
    parts: list[Block] = []
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
            and not ends_sentence(previous.text)
        ):
            joins.append(Join(previous.end, block.start))
            previous.text = f"{previous.text.rstrip()} {block.text.lstrip()}"
            previous.end = block.end
        else:
            parts.append(Block(block.text, block.start, block.end, block.kind))
        broken = False
    return "\n\n".join(reduce_empty_links(p.text) for p in parts) + "\n", joins


def _groups(blocks: Iterable[Block]) -> Iterable[tuple[str, list[Block]]]:
    group: list[Block] = []
    for block in blocks:
        if group and (block.state != group[0].state or block.state in ("byline", "title")):
            yield group[0].state, group
            group = []
        group.append(block)
    if group:
        yield group[0].state, group


def _first_words(group: list[Block], count: int = 8) -> str:
    words = " ".join(b.plain for b in group).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")
