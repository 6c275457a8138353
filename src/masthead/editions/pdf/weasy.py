"""Everything that reaches into WeasyPrint's internals (boxes, Pango, patched functions): not
public API, tested on WeasyPrint 70.x only. So `problem()` checks the version and that each
internal used here exists; if not, the fast path refuses (Untrusted: one pass and a warning),
and the one pass does without the speed-ups it takes from here."""

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
from masthead.editions.pdf.fonts import record, subset_font, widest

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
    "Font.__init__:file_content,index,hash,missing,to_unicode,widths,bitmap,png,svg,colr",
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


def read_pages(document: Any, chunk: pieces.Chunk, laid: pieces.Laid) -> None:
    """Record each page's folios and placeholders in `laid`; folios the overlay draws are
    taken out of the page (those set in place stay)."""
    sides = dict(chunk.sides)
    for number, page in enumerate(document.pages):
        box = page._page_box
        kept = []
        for child in box.children:
            margin = type(child).__name__ == "MarginBox"
            side = sides.get(child.at_keyword[1:], "") if margin else ""
            paged = margin and _uses_page_counter(child)
            mark = _folio_mark(child, number) if paged and not side else None
            if mark is not None:
                laid.folio_marks.append(mark)
            if mark is not None or not (paged or side):
                kept.append(child)
                continue
            # Folios, and one side's margin boxes (sides.py): the overlay draws them.
            folio = _folio(child, number, side, resolved=not paged)
            if folio is not None:
                laid.folios.append(folio)
        box.children = kept
        laid.placeholders.extend(_placeholders(box, number, chunk))


def hyphen_ladders(document: Any, most: int) -> tuple[Any, list[Any]]:
    """The root element; the paragraphs with more than `most` hyphenated line-ends in a row."""
    from weasyprint.formatting_structure import boxes

    run, found, root = 0, [], None
    for page in document.pages:
        for box in page._page_box.descendants():
            root = root or (box.element if box.element_tag == "html" else None)
            if not isinstance(box, boxes.LineBox) or box.element is None:
                continue
            texts = [b for b in box.descendants() if isinstance(b, boxes.TextBox)]
            hyphen = texts and texts[-1].text.endswith(texts[-1].style["hyphenate_character"])
            run = run + 1 if hyphen else 0
            if run > most and box.element not in found:
                found.append(box.element)
    return root, found


def finish_pages(document: Any) -> None:
    """Before drawing: see _before_drawing."""
    for page in document.pages:
        _before_drawing(page._page_box)


def _uses_page_counter(box: Any) -> bool:
    """Whether a margin box shows the page number (or the page count): a folio."""
    content = box.style["content"]
    if not isinstance(content, (list, tuple)):
        return False
    paged = any(
        token[0] in ("counter()", "counters()") and token[1][0] in ("page", "pages")
        for token in content
    )
    mixed = [token[0] for token in content if token[0] not in ("string", "counter()", "counters()")]
    if paged and mixed:
        # A folio beside a running string: the overlay could not set it the same.
        raise pieces.NotApplicable(f"a margin box shows the page number with {mixed[0]}")
    return paged


def _folio_mark(box: Any, number: int) -> pieces.FolioMark | None:
    """A folio whose number can be set into the chunk's own text: words, then the page
    number in decimal, on one line, left to right, in one font with its digits."""
    content = box.style["content"]
    kinds = [token[0] for token in content]
    if kinds.count("counter()") != 1 or kinds[-1] != "counter()":
        return None
    if any(kind not in ("string", "counter()") for kind in kinds):
        return None
    name, style = content[-1][1][0], content[-1][1][-1]
    if name != "page" or style != "decimal" or box.style["direction"] != "ltr":
        return None
    lines, texts = _lines_and_texts(box)
    if len(lines) != 1 or len(texts) != 1 or not texts[0].text.endswith(pieces.FOLIO_MARK):
        return None
    glyphs = _glyphs(texts[0].style)
    if glyphs is None:
        return None
    align = _align(box)
    return pieces.FolioMark(number, glyphs, align if align in ("left", "right") else "center")


def _lines_and_texts(box: Any) -> tuple[list[Any], list[Any]]:
    from weasyprint.formatting_structure import boxes

    found = list(box.descendants())
    lines = [b for b in found if isinstance(b, boxes.LineBox)]
    return lines, [b for b in found if isinstance(b, boxes.TextBox)]


def _align(box: Any) -> str:
    align = box.style["text_align_all"]
    return str({"start": "left", "end": "right", "justify": "left"}.get(align, align))


def _folio(box: Any, number: int, side: str, resolved: bool) -> pieces.Folio | None:
    """What the overlay needs to set this folio margin box with another page number; or,
    `resolved`, to set the text it shows (a running head) as it is."""
    lines, texts = _lines_and_texts(box)
    if not texts:
        return None  # Nothing drawn (an empty counter style, an empty string).
    if len(lines) != 1 or box.style["direction"] != "ltr" or (resolved and len(texts) != 1):
        raise pieces.NotApplicable("a folio or running head that wraps or runs right to left")
    content: list[tuple[str, str]] = [("string", texts[0].text)] if resolved else []
    for token in () if resolved else box.style["content"]:
        if token[0] == "string":
            content.append(("string", token[1]))
        else:  # counter(page) or counter(pages), with its counter style.
            name, style = token[1][0], token[1][-1]
            content.append((name, style if isinstance(style, str) else "decimal"))
    align = _align(box)
    left = box.content_box_x()
    anchor = {"left": left, "right": left + box.width}.get(align, left + box.width / 2)
    text = texts[0]
    css = _css_of(text.style) + f" text-transform: {text.style['text_transform']};"
    baseline = text.position_y + text.baseline
    return pieces.Folio(number, tuple(content), anchor, align, baseline, css, side)


def _text_width(text: str, style: Any) -> float:
    from weasyprint.text.line_break import create_layout, line_size

    layout = create_layout(text, style, None, None, 0)
    return float(line_size(layout.get_first_line()[0], style)[0])


def _css_of(style: Any) -> str:
    return pieces.type_css({name: style[name] for name in pieces.TYPE_PROPERTIES})


def _placeholders(page_box: Any, number: int, chunk: pieces.Chunk) -> list[pieces.Placeholder]:
    from weasyprint.formatting_structure import boxes

    marker = pieces.FIGURE_SPACE * chunk.digits
    found: list[pieces.Placeholder] = []

    def walk(box: Any, line: Any) -> None:
        if isinstance(box, boxes.LineBox):
            line = box
        if isinstance(box, boxes.TextBox) and box.text.endswith(marker):
            element = box.element
            href = (element.get("href") or "") if element is not None else ""
            target = href[1:] if href.startswith("#") else ""
            if target in chunk.outside and line is not None:
                found.append(_placeholder(box, line, number, target, marker))
        for child in getattr(box, "children", ()):
            walk(child, line)

    walk(page_box, None)
    return found


def _placeholder(box: Any, line: Any, number: int, target: str, marker: str) -> pieces.Placeholder:
    from weasyprint.formatting_structure import boxes

    width = _text_width(marker, box.style)
    leaves = [b for b in line.descendants() if isinstance(b, boxes.TextBox) or b.is_leader]
    last = leaves[-1] is box if leaves else False
    first = leaves[0] is box and box.text == marker if leaves else False
    leader = any(getattr(b, "is_leader", False) for b in line.descendants())
    align = box.style["text_align_last"]
    if align == "auto":
        align = box.style["text_align_all"]
    exact = last and not first and not leader and align in ("start", "left", "justify")
    return pieces.Placeholder(
        page=number,
        target=target,
        x=box.position_x + box.width - width,
        baseline=box.position_y + box.baseline,
        width=width,
        digit_widths=tuple(_text_width(str(d), box.style) for d in range(10)),
        css=_css_of(box.style),
        exact=exact,
        glyphs=_glyphs(box.style) if exact else None,
    )


_GLYPHS: dict[str, pieces.Glyphs | None] = {}


def _glyphs(style: Any) -> pieces.Glyphs | None:
    """The figure space and digits of this type as WeasyPrint shapes and writes them (alone and
    in pairs, for kerning); None unless all from one font, shaped without offsets."""
    key = _css_of(style) + str(style["lang"])
    if key not in _GLYPHS:
        _GLYPHS[key] = _shape_digits(style)
    return _GLYPHS[key]


def _shape_digits(style: Any) -> pieces.Glyphs | None:
    from weasyprint.pdf.fonts import Font
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango
    from weasyprint.text.fonts import get_pango_font_key
    from weasyprint.text.line_break import create_layout

    fonts: set[int] = set()

    def shape(text: str) -> list[tuple[int, float]] | None:  # Glyph ids and advances.
        layout = create_layout(text, style, None, None, 0)  # Kept: the run points into it.
        run = layout.get_first_line()[0].runs
        if run == ffi.NULL or run.next != ffi.NULL or run.data.glyphs.num_glyphs != len(text):
            return None
        item = run.data
        fonts.add(int(ffi.cast("uintptr_t", item.item.analysis.font)))
        shaped = []
        for info in item.glyphs.glyphs[0 : len(text)]:
            gid = info.glyph
            if gid == pango.PANGO_GLYPH_EMPTY or gid & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                return None
            if info.geometry.x_offset or info.geometry.y_offset:
                return None
            shaped.append((gid, info.geometry.width * FROM_UNITS))
        return shaped

    alone = [shape(c) for c in pieces.FIGURE_SPACE + "0123456789"]
    # Every pair in one text ("00 01 … 99"): the first digit's advance there is kerned.
    together = shape(" ".join(a + b for a in "0123456789" for b in "0123456789"))
    if any(s is None for s in alone) or together is None:
        return None
    pairs = [
        [together[(10 * a + b) * 3 : (10 * a + b) * 3 + 1] for b in range(10)] for a in range(10)
    ]
    if len(fonts) != 1:
        return None
    layout = create_layout("0", style, None, None, 0)
    pango_font = layout.get_first_line()[0].runs.data.item.analysis.font
    _, description, font_size = get_pango_font_key(pango_font)
    font = Font(pango_font, description, font_size)
    if pango.pango_version() < 14802 or font.png:
        font_size = style["font_size"]
    if font.bitmap:
        return None
    ink, logical = ffi.new("PangoRectangle *"), ffi.new("PangoRectangle *")

    def glyph(shaped: list[tuple[int, float]]) -> tuple[int, int, float]:
        gid, advance = shaped[0]
        pango.pango_font_get_glyph_extents(pango_font, gid, ink, logical)
        width = round(logical.width * 1000 * FROM_UNITS / font_size)
        return gid, width, advance * 1000 / font_size

    units = 1000 / font_size
    kerns = [[(p[0][1] - alone[1 + a][0][1]) * units for p in row] for a, row in enumerate(pairs)]  # type: ignore[index]
    digits = tuple(glyph(s) for s in alone[1:])  # type: ignore[arg-type]
    return pieces.Glyphs(font.hash, font_size, glyph(alone[0]), digits, tuple(map(tuple, kerns)))  # type: ignore[arg-type]


def _subset(font: Any, to_unicode: Any, hinting: Any) -> None:
    """Font.subset, through uharfbuzz (fonts.subset_font) as the join subsets."""
    if to_unicode:
        glyphs = sorted(to_unicode)
        found = subset_font(font.file_content, font.index, glyphs, bool(font.missing), hinting)
        font.file_content = found or font.file_content


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
