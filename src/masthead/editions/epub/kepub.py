"""Kobo's KEPUB flavour: every sentence in a `koboSpan`, the body in Kobo's column wrappers.

Kobo's own renderer uses the spans for highlights, reading statistics and page turns; the markup
is plain XHTML, so the book still passes EPUBCheck. No Python or Debian converter exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lxml import etree

from masthead.render.documents import Document, RenderedEpub

XHTML = "http://www.w3.org/1999/xhtml"
# Block elements start a new "paragraph" number in the span ids (kobo.P.S).
BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figcaption",
    "td",
    "th",
    "dt",
    "dd",
    "blockquote",
    "div",
    "section",
    "header",
    "aside",
    "figure",
    "caption",
    "nav",
}
SKIP = {"script", "style", "pre", "svg", "math"}  # Kobo leaves these alone.
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"”’)\]]*)(\s+)")


@dataclass
class _Counter:
    paragraph: int = 0
    sentence: int = 0

    def next_id(self) -> str:
        self.sentence += 1
        return f"kobo.{self.paragraph}.{self.sentence}"


def sentences(text: str) -> list[str]:
    """Split text after sentence-ending punctuation, keeping every character (spaces included)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        parts.append(text[start:end])
        start = end
    if start < len(text):
        parts.append(text[start:])
    return [p for p in parts if p]


def kobo_spans(rendered: RenderedEpub) -> RenderedEpub:
    """The same book with every document's text wrapped for Kobo."""
    return replace(rendered, documents=tuple(_kepubify(doc) for doc in rendered.documents))


def _span(counter: _Counter, text: str | None = None) -> etree._Element:
    span = etree.Element(f"{{{XHTML}}}span", {"class": "koboSpan", "id": counter.next_id()})
    span.text = text
    return span


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _wrap(el: etree._Element, counter: _Counter) -> None:
    tag = _local(el)
    if tag in SKIP or not tag:
        return
    if tag in BLOCKS:
        counter.paragraph += 1
        counter.sentence = 0
    if el.text and el.text.strip():
        spans = [_span(counter, part) for part in sentences(el.text)]
        el.text = None
        for index, span in enumerate(spans):
            el.insert(index, span)
    for child in list(el):
        if _local(child) == "span" and child.get("class") == "koboSpan":
            continue
        if _local(child) == "img":
            holder = _span(counter)
            holder.tail, child.tail = child.tail, None
            child.addprevious(holder)
            holder.append(child)
            child = holder
        else:
            _wrap(child, counter)
        if child.tail and child.tail.strip():
            spans = [_span(counter, part) for part in sentences(child.tail)]
            child.tail = None
            anchor = child
            for span in spans:
                anchor.addnext(span)
                anchor = span


def _kepubify(doc: Document) -> Document:
    tree = etree.ElementTree(etree.fromstring(doc.content.encode("utf-8")))
    body = tree.getroot().find(f"{{{XHTML}}}body")
    if body is None:
        return doc
    columns = etree.Element(f"{{{XHTML}}}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{{{XHTML}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)
    _wrap(inner, _Counter())
    content = etree.tostring(tree, encoding="utf-8", xml_declaration=True).decode("utf-8")
    return replace(doc, content=content)
