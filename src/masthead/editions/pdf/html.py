"""Finishing the issue HTML for pages: what CSS cannot do alone (footnotes, drop caps, pull
quotes, end marks, short code blocks kept whole)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from lxml import html as lxml_html

# Finishing the issue HTML for pages: what CSS cannot do alone. Each step is switched on by an
# attribute that pdf/issue.html puts on `.article-body`, so a theme can leave any of them out.
# The first letter and the punctuation that opens it ("“A", "’Tis", "«L"): they drop together.
_FIRST_LETTER = re.compile(r"^(\s*)([\"'“‘’«»„‚‹›(\[¿¡]*\w)")
# A first word that is an abbreviation ("U.S.", "e.g."): its letters stay together, no drop cap.
_ABBREVIATION = re.compile(r"^\.\w")


# The rest of the first word and two more, set in small capitals; stops at punctuation.
_LEAD_IN = re.compile(r"\S*(?:\s+[^\s,.;:!?—–]+){0,2}")


_DROP_CAP_MIN_CHARS = 230  # A shorter first paragraph cannot wrap three lines around the initial.


_SHORT_CODE_LINES = 14  # Code blocks up to this long are kept on one page.


Paragraph = tuple[str, str, int]  # The id of its nearest element with one, its tag, its place.


def finish_html(
    html: str,
    endnotes: Collection[str] = (),
    unhyphenated: Collection[Paragraph] = (),
    cropped: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """Page footnotes, drop caps, pull quotes, end marks and unbroken short code blocks.

    `endnotes`: ids of articles whose notes stay at their end whatever the template asks.
    `unhyphenated`: paragraphs (see paragraph_keys) set without hyphenation. `cropped`: ids of
    articles whose lead picture is cropped to this width and height (CSS px).
    """
    root = lxml_html.document_fromstring(html)
    for body in root.find_class("article-body"):
        article = next(body.iterancestors("article"), None)
        in_endnotes = article is not None and article.get("id") in endnotes
        if body.get("data-footnotes") == "page" and not in_endnotes:
            _page_footnotes(body)
        if body.get("data-drop-cap") is not None:
            _drop_cap(body)
        _place_pull_quote(body)
        if body.get("data-end-mark") is not None:
            _end_mark(body)
        for pre in body.iter("pre"):
            # Source lines: one span each (compose/typeset.py), else the newlines.
            lines = len(pre.find_class("line")) or pre.text_content().rstrip("\n").count("\n") + 1
            if lines <= _SHORT_CODE_LINES:
                _add_class(pre, "short")
    for article_id, (width, height) in (cropped or {}).items():
        article = root.get_element_by_id(article_id, None)
        for picture in article.find_class("lead-picture") if article is not None else []:
            picture.set(
                "style",
                f"width: {width:.2f}px; height: {height:.2f}px; max-width: none; "
                "max-height: none; object-fit: cover",
            )
    for owner_id, tag, place in unhyphenated:
        owner = root.get_element_by_id(owner_id, None)
        found = list(owner.iter(tag)) if owner is not None else []
        if place < len(found):
            style = found[place].get("style", "").strip().rstrip(";")
            found[place].set("style", f"{style}; hyphens: manual" if style else "hyphens: manual")
    return str(lxml_html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode"))


def paragraph_keys(root: Any, paragraphs: Sequence[Any]) -> set[Paragraph]:
    """Each paragraph (an element of the tree WeasyPrint laid out, under `root`) named so that
    finish_html finds it again in the same HTML: by its nearest element with an id (an article,
    in a piece as in the whole issue), its tag and its place among that element's of its tag."""
    parents = {child: parent for parent in root.iter() for child in parent}
    keys = set()
    for paragraph in paragraphs:
        owner = paragraph
        while owner.get("id") is None and owner in parents:
            owner = parents[owner]
        if owner.get("id") is not None:
            place = list(owner.iter(paragraph.tag)).index(paragraph)
            keys.add((str(owner.get("id")), str(paragraph.tag), place))
    return keys


_FOOTNOTE_ID = re.compile(r'<span class="footnote" id="([^"]+)"')


def lost_footnotes(html: str, document: Any) -> set[str]:
    """Ids of page footnotes in `html` that are on no page of the laid-out document."""
    placed = {name for page in document.pages for name in page.anchors}
    return set(_FOOTNOTE_ID.findall(html)) - placed


def _add_class(element: Any, name: str) -> None:
    element.set("class", " ".join([*element.get("class", "").split(), name]))


def _blocks(body: Any) -> Any:
    """The body's top-level elements, without the endnotes markdown-it adds at the end."""
    return [
        child
        for child in body
        if isinstance(child.tag, str)
        and not {"footnotes", "footnotes-sep", "related"} & set(child.get("class", "").split())
    ]


def _page_footnotes(body: Any) -> None:
    """Move each markdown-it endnote to its first reference as a `float: footnote` span.

    A note holding more than paragraphs (a list, code) cannot sit inside a line, so it stays an
    endnote. A second reference to a note repeats its number.
    """
    section = next(iter(body.find_class("footnotes")), None)
    if section is None:
        return
    notes = {li.get("id"): li for li in section.iter("li") if li.get("id")}
    numbers: dict[str, int] = {}
    for ref in list(body.find_class("footnote-ref")):
        link = ref.find("a")
        target = (link.get("href") or "").lstrip("#") if link is not None else ""
        note = notes.get(target)
        if note is None or any(child.tag != "p" for child in note):
            continue
        if target in numbers:
            # The note's number again, not a link: its anchor may sit in a footnote area.
            ref.remove(link)
            ref.text = str(numbers[target])
            _add_class(ref, "footnote-again")
            continue
        numbers[target] = len(numbers) + 1
        span = lxml_html.Element("span", {"class": "footnote", "id": target})
        for index, para in enumerate(list(note)):
            for backref in para.find_class("footnote-backref"):
                _drop(backref)
            # Inline: a block inside a footnote makes WeasyPrint 70 drop the whole note.
            if index:
                span.append(lxml_html.Element("br"))
            para.tag = "span"
            para.set("class", "footnote-para")
            para.tail = None
            span.append(para)
        span.tail = ref.tail
        ref.addnext(span)
        ref.getparent().remove(ref)
        note.getparent().remove(note)
    if not any(isinstance(li.tag, str) for li in section.iter("li")):
        for sep in body.find_class("footnotes-sep"):
            sep.getparent().remove(sep)
        section.getparent().remove(section)


def _drop(element: Any) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    tail = (element.tail or "").rstrip()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = ((previous.tail or "") + tail).rstrip() or None
    else:
        parent.text = ((parent.text or "") + tail).rstrip() or None
    parent.remove(element)


def _drop_cap(body: Any) -> None:
    """A three-line initial on the first paragraph when it opens the article and is long enough."""
    blocks = _blocks(body)
    if not blocks or blocks[0].tag != "p":
        return
    first = blocks[0]
    if len(first.text_content()) < _DROP_CAP_MIN_CHARS:
        return
    match = _FIRST_LETTER.match(first.text or "")
    if match is None:
        return
    text = first.text or ""
    initial = lxml_html.Element("span", {"class": "drop-cap"})
    initial.text = match.group(2)
    rest = text[match.end(2) :]
    if _ABBREVIATION.match(rest):
        return
    lead = _LEAD_IN.match(rest).group(0)  # type: ignore[union-attr]
    first.text = None
    first.insert(0, initial)
    if lead.strip():
        lead_in = lxml_html.Element("span", {"class": "lead-in"})
        lead_in.text = lead
        lead_in.tail = rest[len(lead) :]
        initial.addnext(lead_in)
    else:
        initial.tail = rest
    _add_class(first, "has-drop-cap")


def _place_pull_quote(body: Any) -> None:
    """Move the article's pull quote between two paragraphs about two fifths into the body."""
    quote = body.getprevious()
    while quote is not None and "pull-quote" not in quote.get("class", "").split():
        quote = quote.getprevious()
    if quote is None:
        return
    blocks = _blocks(body)
    spots = [i for i in range(2, len(blocks)) if blocks[i].tag == "p" and blocks[i - 1].tag == "p"]
    if not spots:
        return
    best = min(spots, key=lambda i: abs(i - 0.4 * len(blocks)))
    quote.getparent().remove(quote)
    blocks[best].addprevious(quote)


def _end_mark(body: Any) -> None:
    """■ after the article's last word: in its last paragraph, list item or quotation."""
    blocks = _blocks(body)
    last = blocks[-1] if blocks else None
    while last is not None and last.tag in {"ul", "ol", "li", "blockquote"}:
        children = [c for c in last if isinstance(c.tag, str)]
        if last.tag == "li" and (not children or children[-1].tag not in {"p", "ul", "ol"}):
            break
        last = children[-1] if children else None
    if last is None or last.tag not in {"p", "li"}:
        return  # Code, a figure or a table ends the article: no mark.
    mark = lxml_html.Element("span", {"class": "end-mark", "aria-hidden": "true"})
    mark.text = "■"
    last.append(mark)
