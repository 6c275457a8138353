"""Splitting the finished issue HTML into chunks: the front matter and each article."""

from __future__ import annotations

import copy
import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from masthead.editions.pdf.pieces import DIGITS, Chunk, NotApplicable
from masthead.editions.pdf.sides import unsided

# Page rules whose selection depends on where a page falls in the whole issue: with them, a
# chunk's pages cannot be laid out on their own. (`:left` and `:right` margin boxes can: see
# sides.py.)
_POSITIONAL_PAGES = re.compile(r"@page[^{]*:(first|blank|nth|recto|verso)", re.I)


def split(html: str, digits: int = DIGITS) -> list[Chunk]:
    """The final issue HTML as chunks: each article, and each run of other body content."""
    if _POSITIONAL_PAGES.search(html):
        raise NotApplicable("the theme has :first/:left/:right page rules")
    root = lxml_html.document_fromstring(html)
    body = root.find("body")
    breaks = set(body.get("class", "").split()) if body is not None else set()
    if body is None or not {"break-page", "break-auto"} & breaks:
        raise NotApplicable("articles do not start pages (article_break)")
    runs: list[tuple[str, list[Any]]] = []
    for child in body:
        if not isinstance(child.tag, str):
            continue
        # "auto": a piece that runs on (no new page) is laid out with the one before it.
        runs_on = "runs-on" in child.get("class", "").split() and "break-auto" in breaks
        if runs_on and child.tag == "article" and runs and not runs[-1][0].startswith("front"):
            runs[-1][1].append(child)
            continue
        if child.tag == "article" and child.get("id"):
            runs.append((child.get("id"), [child]))
        elif runs and runs[-1][0].startswith("front"):
            runs[-1][1].append(child)
        else:
            runs.append((f"front-{len(runs)}" if runs else "front", [child]))
    if len(runs) < 2:
        raise NotApplicable("one piece only")
    head = copy.deepcopy(root.find("head"))
    css = ""
    styles = [el for el in head.iter("style")]
    if "@counter-style" not in html and "@import" not in html:
        css, sides = unsided("\n".join(el.text or "" for el in styles))
        for el in styles:
            el.getparent().remove(el)
    else:
        found: list[tuple[tuple[str, str], ...]] = []
        for el in styles:
            el.text, its_sides = unsided(el.text or "")
            found.append(its_sides)
        sides = tuple(sorted({side for its_sides in found for side in its_sides}))
    chunks: list[Chunk] = []
    ids = {str(value) for value in body.xpath(".//@id")}
    for name, elements in runs:
        # To anchors that exist: a link to none is dropped, as one pass drops it.
        refs = {
            a.get("href")[1:]
            for el in elements
            for a in el.iter("a")
            if (a.get("href") or "").startswith("#") and a.get("href")[1:] in ids
        }
        page = lxml_html.Element("html", dict(root.attrib))
        page.append(_copy(head))
        new_body = etree.SubElement(page, "body", dict(body.attrib))
        new_body.extend(_copy(el) for el in elements)
        text = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")
        # Every page reference is numbered by the join, even to an anchor of the same chunk:
        # WeasyPrint would count that chunk's pages from 1.
        chunks.append(Chunk(name, text, css, tuple(sorted(refs)), digits=digits, sides=sides))
    return chunks


def _copy(element: Any) -> Any:
    return copy.deepcopy(element)
