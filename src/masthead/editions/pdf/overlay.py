"""The overlay: folios and page numbers that cannot be set into a piece's own text, laid out
by WeasyPrint on otherwise empty pages and drawn over the joined pages."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from masthead.editions.pdf import weasy
from masthead.editions.pdf.assets import fetcher_for
from masthead.editions.pdf.layout import stylesheet
from masthead.editions.pdf.pieces import VERSION, Laid, Pool
from masthead.editions.pdf.sides import side_of
from masthead.model import Asset

OVERLAY_PAGES = 32  # Pages per overlay segment: segments are laid out side by side, cached apart.


def overlay_html(
    html: str,
    laid: Sequence[Laid],
    numbers: dict[str, int],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """The overlay, in segments of OVERLAY_PAGES: one page per issue page, as large, holding
    its folios (see Folio) and each page number a chunk left a placeholder for (not those of
    chunks in `skip`), each in its own type, absolutely placed. Nothing else is laid out: no
    margin boxes, none of the theme's rules but its fonts (render_overlay adds them)."""
    root = lxml_html.document_fromstring(html)  # For its attributes (language, direction).
    rtl = (root.get("dir") or "").lower() == "rtl"
    total = sum(part.pages for part in laid)
    sizes: dict[tuple[float, float], str] = {}
    contents: dict[tuple[tuple[str, str], ...], str] = {}
    types: dict[str, str] = {}  # Each type once, as a class: WeasyPrint parses each style="".
    pages: list[Any] = []
    number = 0
    for part in laid:
        for n in range(part.pages):
            number += 1
            width, height = part.sizes[n]
            size = sizes.setdefault((width, height), f"mh-size-{len(sizes)}")
            page = lxml_html.Element("div", {"class": "mh-overlay-page", "style": f"page: {size}"})
            pages.append(page)
            for folio in part.folios:
                if folio.page != n or folio.side not in ("", side_of(number, rtl)):
                    continue
                kind = contents.setdefault(folio.content, f"mh-folio-{len(contents)}")
                if folio.align == "left":
                    left, span = folio.anchor, width - folio.anchor
                elif folio.align == "right":
                    left, span = 0.0, folio.anchor
                else:
                    half = min(folio.anchor, width - folio.anchor)
                    left, span = folio.anchor - half, 2 * half
                type_ = types.setdefault(folio.css, f"mh-type-{len(types)}")
                etree.SubElement(
                    page,
                    "div",
                    {
                        "class": f"mh-overlay-folio {kind} {type_}",
                        "data-baseline": repr(folio.baseline),
                        "style": f"left: {left}px; width: {span}px; top: {folio.baseline}px; "
                        f"text-align: {folio.align}; "
                        f"counter-reset: mh-page {number} mh-pages {total}",
                    },
                )
            if part.name in skip:
                continue
            for place in part.placeholders:
                if place.page != n or place.target not in numbers or place.glyphs is not None:
                    continue
                type_ = types.setdefault(place.css, f"mh-type-{len(types)}")
                stamp = etree.SubElement(
                    page,
                    "span",
                    {
                        "class": f"mh-overlay-number {type_}",
                        "data-x": repr(place.x),
                        "data-baseline": repr(place.baseline),
                        "style": f"left: {place.x}px; top: {place.baseline}px",
                    },
                )
                stamp.text = str(numbers[place.target])
    if not any(len(page) for page in pages):
        return []  # Every number set in place (set_numbers): no overlay at all.
    rules = [_OVERLAY_CSS]
    rules += [f"@page {name} {{ size: {w}px {h}px; margin: 0; }}" for (w, h), name in sizes.items()]
    rules += [f".{name} {{ {css} }}" for css, name in types.items()]
    for content, kind in contents.items():
        parts = [
            _css_string(value) if what == "string" else f"counter(mh-{what}, {value})"
            for what, value in content
        ]
        rules.append(f".{kind}::before {{ content: {' '.join(parts) or 'none'}; }}")
    segments: list[str] = []
    for first in range(0, len(pages), OVERLAY_PAGES):
        document = lxml_html.Element("html", dict(root.attrib))
        head = etree.SubElement(document, "head")
        etree.SubElement(head, "meta", {"charset": "utf-8"})
        style = etree.SubElement(head, "style")
        style.text = "\n".join(rules)
        body = etree.SubElement(document, "body")
        body.extend(pages[first : first + OVERLAY_PAGES])
        segments.append(lxml_html.tostring(document, doctype="<!DOCTYPE html>", encoding="unicode"))
    return segments


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


class Overlays:
    """Overlay segments: from this build's memory, the cache folder, or laid out by workers."""

    def __init__(
        self,
        assets: tuple[Asset, ...],
        css: str,
        cache_dir: Path | None,
        cache_files: dict[Path, bytes],
        reuse: bool,
    ) -> None:
        self.assets, self.css, self.cache_dir = assets, css, cache_dir
        self.cache_files, self.reuse = cache_files, reuse
        self.jobs: dict[str, Future[bytes] | bytes] = {}

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{VERSION}\0{self.css}\0{text}".encode()).hexdigest()[:32]

    def file(self, text: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"overlay-{self.key(text)}.pdf"

    def start(self, texts: Sequence[str], pool: Pool) -> None:
        for text in texts:
            key = self.key(text)
            if key in self.jobs:
                continue
            file = self.file(text)
            try:
                data = file.read_bytes() if file is not None and self.reuse else None
            except OSError:
                data = None
            if data is not None:
                self.jobs[key] = data
            else:
                self.jobs[key] = pool.submit(render_overlay, text, self.css, self.assets)

    def results(self, texts: Sequence[str]) -> list[bytes]:
        found: list[bytes] = []
        for text in texts:
            job = self.jobs[self.key(text)]
            if isinstance(job, Future):
                job = self.jobs[self.key(text)] = job.result()
                file = self.file(text)
                if file is not None:
                    self.cache_files[file] = job
            found.append(job)
        return found


def render_overlay(text: str, css: str, assets: tuple[Asset, ...]) -> bytes:
    """Lay out an overlay segment and put each folio and number on its baseline, each number
    exactly where its placeholder began (runs in a worker process)."""
    fetcher = fetcher_for(assets)
    fonts = _font_rules(css)
    sheets = [stylesheet(fonts, fetcher)] if fonts else []
    return weasy.lay_out_overlay(text, sheets, fetcher)


_FONT_RULES: dict[str, str] = {}


def _font_rules(css: str) -> str:
    """The theme's @font-face and @counter-style rules: all an overlay needs of it."""
    if css not in _FONT_RULES:
        import tinycss2

        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        kept = [
            rule.serialize()
            for rule in rules
            if rule.type == "at-rule" and rule.lower_at_keyword in ("font-face", "counter-style")
        ]
        _FONT_RULES.clear()
        _FONT_RULES[css] = "\n".join(kept)
    return _FONT_RULES[css]


_OVERLAY_CSS = """
@page { background: none !important; }
html, body { background: none !important; margin: 0 !important; padding: 0 !important;
  border: 0 !important; }
.mh-overlay-page { display: block; position: relative; height: 0; margin: 0; padding: 0;
  break-before: page; }
.mh-overlay-page:first-child { break-before: auto; }
.mh-overlay-number, .mh-overlay-folio { position: absolute; display: block; margin: 0;
  padding: 0; white-space: pre; text-indent: 0; line-height: normal; }
"""
