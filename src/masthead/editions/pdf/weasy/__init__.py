"""Everything that reaches into WeasyPrint's internals (boxes, Pango, patched functions), here
and in pages.py (what the laid-out pages hold): not public API, tested on WeasyPrint 70.x only.
So `problem()` checks the version and that each internal used here exists; if not, the fast
path refuses (Untrusted: one pass and a warning), and the one pass does without the speed-ups
it takes from here."""

from __future__ import annotations

import functools
import importlib
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from masthead.editions.pdf import pieces
from masthead.editions.pdf.assets import ASSET_BASE, font_config
from masthead.editions.pdf.fonts import record, subset_font, unit_width, widest
from masthead.editions.pdf.weasy.pages import hyphen_ladders, read_pages, short_ends

__all__ = [
    "embedding_fonts",
    "finish_pages",
    "hyphen_ladders",
    "join_leaders",
    "known_targets",
    "lay_out_overlay",
    "problem",
    "read_pages",
    "short_ends",
]

TESTED = "70."  # WeasyPrint versions the fast path is tested on (pyproject pins 70.x).
# Module: names in it (dotted: attributes of attributes; "Class.__init__:a,b": set on instances).
REQUIRED = {
    "weasyprint.css.targets": "TargetCollector.lookup_target TargetLookupItem "
    "anchor_name_from_token",
    "weasyprint.css.counters": "CounterStyle.render_value",
    "weasyprint.urls": "get_url_tuple",
    "weasyprint.formatting_structure.boxes": "TextBox.copy_with_text LineBox MarginBox "
    "Box.translate Box.descendants Box.content_box_x MarginBox.__init__:at_keyword",
    "weasyprint.text.line_break": "create_layout line_size",
    "weasyprint.text.ffi": "FROM_UNITS ffi pango harfbuzz",
    "weasyprint.text.fonts": "get_pango_font_key FontConfiguration",
    "weasyprint.pdf": "build_fonts_dictionary",
    "weasyprint.pdf.fonts": "Font.subset Font.clean "
    "Font.__init__:file_content,index,hash,missing,to_unicode,widths,bitmap,png,svg,colr,variations,tables",
    "weasyprint.layout": "make_margin_boxes",
    "weasyprint.document": "Page.__init__:_page_box",
}


def problem() -> str | None:
    """Why the fast path cannot trust this WeasyPrint (None: it can)."""
    import weasyprint

    version = getattr(weasyprint, "__version__", "unknown")
    if not version.startswith(TESTED):
        return f"WeasyPrint {version} is not one the fast path is tested on ({TESTED}x)"
    for module_name, names in REQUIRED.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return f"WeasyPrint {version} has no {module_name}, which the fast path needs"
        for name in names.split():
            if not _has(module, name):
                return f"WeasyPrint {version} lacks {module_name}.{name}, which the fast path needs"
    return None


def _has(module: Any, name: str) -> bool:
    path, _, attribute = name.partition(":")
    found: Any = module
    for part in path.split("."):
        found = getattr(found, part, None)
        if found is None:
            return False
    names = getattr(getattr(found, "__code__", None), "co_names", ())  # Set in that code.
    return all(name in names for name in attribute.split(",") if name)


@contextmanager
def known_targets(
    numbers: dict[str, int], unknown: Sequence[str] = (), digits: int = 5
) -> Iterator[None]:
    """Make `target-counter()` to these anchors print these page numbers at once.

    WeasyPrint is given each number as a plain counter value of its target, so it neither waits
    for the target's page nor lays out any page again for it. Anchors in `unknown` print
    `digits` figure spaces instead (see pieces.Placeholder).
    """
    from weasyprint.css import counters, targets
    from weasyprint.urls import get_url_tuple

    names = set(numbers) | set(unknown)
    lookup, render_value = targets.TargetCollector.lookup_target, counters.CounterStyle.render_value

    def patched_lookup(
        self: Any, anchor_token: Any, source_box: Any, css_token: Any, parse_again: Any
    ) -> Any:
        token = anchor_token
        if token[0] == "attr()":
            attr_name, type_, fallback = token[1]
            value = source_box.element.get(attr_name, fallback)
            if type_ == "url":
                token = ("url", get_url_tuple(value, source_box.style.base_url))
            else:
                token = ("string", value)
        name = targets.anchor_name_from_token(token)
        if name in names:
            item = targets.TargetLookupItem("up-to-date")
            value = numbers.get(name, pieces.SENTINEL)
            item.target_box = SimpleNamespace(cached_counter_values={"page": [value]})
            return item
        return lookup(self, anchor_token, source_box, css_token, parse_again)

    def patched_render(self: Any, counter_value: Any, *args: Any, **kwargs: Any) -> Any:
        if counter_value == pieces.SENTINEL:
            return pieces.FIGURE_SPACE * digits
        if pieces.PAGE_SENTINEL <= counter_value < pieces.PAGE_SENTINEL + 1_000_000:
            return pieces.FOLIO_MARK
        return render_value(self, counter_value, *args, **kwargs)

    targets.TargetCollector.lookup_target = patched_lookup
    counters.CounterStyle.render_value = patched_render
    try:
        yield
    finally:
        targets.TargetCollector.lookup_target = lookup
        counters.CounterStyle.render_value = render_value


def finish_pages(document: Any) -> None:
    """Before drawing: see _before_drawing."""
    for page in document.pages:
        _before_drawing(page._page_box)


def _subset(font: Any, to_unicode: Any, hinting: Any) -> None:
    """Font.subset, through uharfbuzz (fonts.subset_font) as the join subsets."""
    if to_unicode:
        glyphs = sorted(to_unicode)
        found = subset_font(font.file_content, font.index, glyphs, bool(font.missing), hinting)
        font.file_content = found or font.file_content


class _UnitWidths(dict[int, int]):
    """A font's glyph widths for WeasyPrint to draw and embed with: each glyph's own advance
    (fonts.unit_width), whatever size it is first drawn at. WeasyPrint keeps one width per
    glyph of a face, measured at its first size, and reckons the kerning of every later use from
    it: a piece, whose first size of a glyph may not be the issue's, drew it a hundredth of a
    point away. Read as "always there" while pages are drawn (WeasyPrint asks `in` before it
    measures), and made a plain dict of what was drawn before the fonts are written."""

    def __init__(self, font: Any) -> None:
        super().__init__()
        self.data, self.index = bytes(font.file_content), font.index

    def __contains__(self, glyph: object) -> bool:
        if isinstance(glyph, int) and not super().__contains__(glyph):
            self[glyph] = unit_width(self.data, self.index, glyph)
        return True

    def __missing__(self, glyph: int) -> int:
        self[glyph] = unit_width(self.data, self.index, glyph)
        return self[glyph]

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))  # Sent to other processes as a plain dict.


@contextmanager
def unit_widths() -> Iterator[None]:
    """While pages are drawn: glyph widths of plain outline fonts as _UnitWidths."""
    from weasyprint.pdf.fonts import Font

    original = Font.__init__

    def init(font: Any, *args: Any, **kwargs: Any) -> None:
        original(font, *args, **kwargs)
        odd = font.bitmap or font.png or font.svg or font.colr or font.variations
        if not odd and "fvar" not in font.tables:
            font.widths = _UnitWidths(font)

    Font.__init__ = init
    try:
        yield
    finally:
        Font.__init__ = original


@contextmanager
def embedding_fonts(laid: pieces.Laid | None = None) -> Iterator[None]:
    """While a PDF is written: fonts sharing a resource name (sizes of one face) share their
    Unicode maps and widths, as WeasyPrint 70 writes one dictionary for them all, the last
    one's (text only the others drew went missing from copy and search). And for a piece
    (`laid`), each font is noted first (fonts.record); those left to the join are embedded
    as a stub (its first bytes keep WeasyPrint's choice of font type), not subset."""
    import weasyprint.pdf as weasyprint_pdf

    original = weasyprint_pdf.build_fonts_dictionary

    def embedding(pdf: Any, fonts: Any, compress: Any, subset: Any, options: Any) -> Any:
        for font in fonts.values():
            font.widths = dict(font.widths)  # Drawn: only the glyphs drawn (see _UnitWidths).
        groups: dict[str, list[Any]] = {}
        for font in fonts.values():
            groups.setdefault(font.hash, []).append(font)
        for group in groups.values():
            if len(group) > 1 and not any(font.missing for font in group):  # Own glyph ids.
                to_unicode = {k: v for f in group[::-1] for k, v in f.to_unicode.items()}
                widths = widest(*(font.widths for font in group))
                for font in group:
                    font.to_unicode, font.widths = dict(to_unicode), dict(widths)
        for font in fonts.values():
            font.subset = functools.partial(_subset, font)
        if laid is None:
            return original(pdf, fonts, compress, subset, options)
        for font in fonts.values():
            odd = font.bitmap or font.used_in_forms or font.missing or "fvar" in font.tables
            plain = not (odd or font.png or font.svg or font.colr)
            colour = bool(font.png or font.svg or font.colr)
            what = (font.to_unicode, font.widths, plain, bool(font.missing), colour)
            record(
                laid, pieces.EmbeddedFont(font.hash, bytes(font.file_content), font.index, *what)
            )
        for font in fonts.values():
            if laid.fonts[font.hash].mergeable:
                font.file_content = font.file_content[:4]
                font.clean = lambda *_: None
        return original(pdf, fonts, compress, subset, options)

    weasyprint_pdf.build_fonts_dictionary = embedding
    try:
        with unit_widths():
            yield
    finally:
        weasyprint_pdf.build_fonts_dictionary = original


def lay_out_overlay(text: str, sheets: Sequence[Any], fetcher: Any) -> bytes:
    """An overlay segment's PDF, without margin boxes, each text whose element gives a
    `data-baseline` (and `data-x`) moved there."""
    from weasyprint import HTML, layout
    from weasyprint.formatting_structure import boxes

    # An overlay has no margin boxes, but WeasyPrint styles all sixteen of every page to find
    # that out: a third of the time of an overlay page. (Called from layout, imported there.)
    original = layout.make_margin_boxes
    layout.make_margin_boxes = lambda context, page_box, state: ()
    try:
        rendered = HTML(string=text, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            font_config=font_config(), stylesheets=sheets
        )
    finally:
        layout.make_margin_boxes = original
    for page in rendered.pages:
        for box in page._page_box.descendants(placeholders=True):
            element = box.element
            if (
                not isinstance(box, boxes.TextBox)
                or element is None
                or "data-baseline" not in element.attrib
            ):
                continue
            x = element.get("data-x")
            box.translate(
                float(x) - box.position_x if x is not None else 0,
                float(element.get("data-baseline")) - box.position_y - box.baseline,
            )
    with embedding_fonts():  # Glyphs drawn as the pieces' and one pass's are.
        return bytes(rendered.write_pdf())


def _before_drawing(box: Any) -> None:
    """Images: saved optimised when they are made smaller (see IMAGE_OPTIONS). Leaders: one
    run of text (join_leaders)."""
    if box.is_leader:
        join_leaders(box)
        return
    image = getattr(box, "replacement", None)
    if image is not None and hasattr(image, "optimize"):
        image.optimize = True
    for child in getattr(box, "children", ()):
        _before_drawing(child)


def join_leaders(box: Any) -> None:
    """Draw a leader as one run of text instead of one text box per dot.

    WeasyPrint lays a `leader(dotted)` out as a box per ". ", each drawn on its own: with a
    contents page of 50 entries that is 6,000 text objects, most of the time it takes to draw
    the contents. The boxes sit side by side at equal steps, so one box holding the same dots
    puts every glyph where it was.
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.line_break import create_layout, line_size

    if box.is_leader and len(box.children) > 1:
        dots = sorted(box.children, key=lambda child: child.position_x)
        first = dots[0]
        step = first.width
        equal = all(
            isinstance(d, boxes.TextBox) and d.text == first.text and d.width == step for d in dots
        )
        even = all(
            abs(b.position_x - a.position_x - step) < 1e-6 for a, b in itertools.pairwise(dots)
        )
        if equal and even:
            text = first.text * len(dots)
            layout = create_layout(text, first.style, None, None, 0)
            width = line_size(layout.get_first_line()[0], first.style)[0]
            if abs(width - step * len(dots)) < 0.01:  # No kerning or spacing between dots.
                joined = first.copy_with_text(text)
                joined.pango_layout = layout
                joined.width = width
                box.children = (joined,)
