"""Fast PDF: the issue laid out in pieces (front matter, each article) in parallel, then joined.

WeasyPrint lays out one document on one core, and page references ("p. 14", the contents)
make it lay pages out again. An issue whose articles each start a new page is a run of pieces
whose layouts do not depend on each other, except through page numbers. So:

1. The final HTML (pdf.finish_html) is split into chunks: the front matter (cover, contents)
   and each article. Every chunk is a whole document with the issue's <head>; its stylesheet
   is parsed once per worker.
2. Chunks are laid out in worker processes. A page reference to another chunk
   (`target-counter()`) prints a placeholder of figure spaces instead of a number; the folio
   margin boxes (those showing `counter(page)`) are left out. Each chunk's PDF and what the
   join needs (anchors, bookmarks, placeholders and folios) are cached by a hash of its input,
   so a rebuild after editing one article lays out that article only.
3. With every chunk's page count known, the page numbers are known. A chunk whose references
   cannot simply be set into their placeholders (the contents, with leaders; a number that
   would not fit its placeholder or would wrap differently) is laid out again with the real
   numbers, until the page counts hold still.
4. pikepdf joins the pages and rebuilds the named destinations (the links between chunks go
   to them) and the outline. Each number is set into its placeholder's own text, in its font
   (set_numbers). The folios come from an overlay laid out by WeasyPrint in segments, in the
   workers, as artifacts. A tagged (PDF/UA-1) issue's structure trees are merged into one
   (_merge_structure): WeasyPrint tags page by page, so that is appending each piece's
   elements and renumbering the parent tree.

The result has the same pages, pixels, text, links, outline and structure tree as one
WeasyPrint pass (tests compare them). The PDF/A variants are laid out in one pass.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import multiprocessing
import pickle
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from masthead.model import Asset, BuildWarning, Issue, PageStart

VERSION = "9"  # Of the chunk cache format and method: a change here lays everything out anew.
SENTINEL = -7_000_003  # The page value given to a reference whose number is not known yet.
FIGURE_SPACE = "\u2007"  # A digit's width, and never a line break: the placeholder.
PT = 0.75  # CSS px to PDF points.
CACHE_DIR = "chunks"  # Under the build's state folder (dist/.masthead/).
MAX_ROUNDS = 4
DIGITS = 5  # Figure spaces in a placeholder (see Chunk.digits).
# A chunk's page counter starts here: its folios print zeros, which set_numbers replaces
# (WeasyPrint draws no text made of spaces only, as a folio of figure spaces would be).
PAGE_SENTINEL = SENTINEL - 2_000_000
FOLIO_MARK = "0" * DIGITS
# Untagged, and tagged PDF/UA-1: the join merges the pieces' structure trees. The PDF/A
# variants (archives, rarely built) stay one pass.
FAST_VARIANTS = ("none", "pdf/ua-1")
# Page rules whose selection depends on where a page falls in the whole issue: with them, a
# chunk's pages cannot be laid out on their own.
_POSITIONAL_PAGES = re.compile(r"@page[^{]*:(first|left|right|blank|nth|recto|verso)", re.I)


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


class NotApplicable(Exception):
    """The issue cannot be laid out in pieces; the caller lays it out in one pass."""


@dataclass(frozen=True)
class Chunk:
    """A piece of the issue laid out as a document of its own."""

    name: str  # "front", or the article's id.
    html: str  # Without its stylesheet: that is `css`, parsed once per worker.
    css: str
    outside: tuple[str, ...]  # Anchors its links point to: the join numbers them.
    numbers: tuple[tuple[str, int], ...] = ()  # Those printed as real numbers, by anchor.
    # Figure spaces in a placeholder: room for three digits in proportional figures, which can
    # be half as wide again as a figure space.
    digits: int = DIGITS


@dataclass(frozen=True)
class Placeholder:
    """Where a chunk printed figure spaces for a page number, and in what type."""

    page: int  # 0-based, in the chunk.
    target: str  # The anchor whose page number belongs here.
    x: float  # CSS px from the page's left edge: where the number starts.
    baseline: float  # CSS px from the page's top edge.
    width: float  # Of the figure spaces.
    digit_widths: tuple[float, ...]  # Of "0" to "9" in this type.
    css: str  # The type: font, size, weight, style, colour, letter spacing.
    exact: bool  # False when a real number might set differently (leaders, alignment, wrap).
    glyphs: Glyphs | None = None  # To set the number into the placeholder's own text.


@dataclass(frozen=True)
class Glyphs:
    """The figure space and digits of a placeholder's font, as WeasyPrint would write them:
    glyph ids, their widths in the font (1/1000 em), and their advances as set (the same, or
    kerned), alone and before each other digit."""

    font: str  # The font's resource name (WeasyPrint's hash of its description).
    size: float  # As WeasyPrint sets it (Tf), CSS px.
    space: tuple[int, int, float]  # Figure space: glyph id, width, advance.
    digits: tuple[tuple[int, int, float], ...]  # "0" to "9", the same.
    pairs: tuple[tuple[float, ...], ...]  # pairs[a][b]: what digit a gains before digit b.

    def run(self, text: str) -> list[tuple[int, float]]:
        """Each glyph of a text of figure spaces and digits, and the TJ adjustment after it."""
        found: list[tuple[int, float]] = []
        for index, char in enumerate(text):
            if char == FIGURE_SPACE:
                gid, width, advance = self.space
            else:
                gid, width, advance = self.digits[int(char)]
                after = text[index + 1 : index + 2]
                if after.isdigit():
                    advance += self.pairs[int(char)][int(after)]
            found.append((gid, width - advance))
        return found

    def advance(self, text: str) -> float:
        """The width of such a text as set, CSS px."""
        widths = {self.space[0]: self.space[1]} | {g: w for g, w, _ in self.digits}
        return sum(widths[gid] - kerning for gid, kerning in self.run(text)) * self.size / 1000


@dataclass(frozen=True)
class FolioMark:
    """A folio the chunk drew itself, its page number as figure spaces: set_numbers sets the
    number in their place and moves the text as the margin box's alignment would."""

    page: int  # 0-based, in the chunk.
    glyphs: Glyphs
    align: str  # "left", "center" or "right".


@dataclass(frozen=True)
class Folio:
    """A margin box that shows the page number: left out of the chunk, set by the overlay."""

    page: int  # 0-based, in the chunk.
    content: tuple[tuple[str, str], ...]  # ("string", text) or ("page"/"pages", counter style).
    anchor: float  # CSS px from the page's left edge: the box's left, centre or right edge.
    align: str  # "left", "center" or "right": which edge `anchor` is, and how the text sits.
    baseline: float  # CSS px from the page's top edge.
    css: str  # The type, as Placeholder.css.


@dataclass(frozen=True)
class FontUse:
    """A font a chunk embedded (subset to its glyphs), and what the join needs to merge it
    with the same font of other chunks into one subset."""

    digest: str  # Of the font file before subsetting.
    index: int  # In a font collection.
    to_unicode: dict[int, str]  # Glyph id: text.
    widths: dict[int, float]  # Glyph id: width (1/1000 em).
    mergeable: bool  # False for bitmap, variable and form fonts, and with missing glyphs.


@dataclass
class Laid:
    """A chunk laid out: its PDF and what the join needs, picklable and cached."""

    pdf: bytes
    sizes: list[tuple[float, float]]  # Page width and height, CSS px.
    anchors: list[dict[str, tuple[float, float, float, float]]]
    bookmarks: list[list[tuple[int, str, tuple[float, float], str]]]
    placeholders: list[Placeholder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # The chunk's.
    folios: list[Folio] = field(default_factory=list)  # Drawn by the overlay.
    folio_marks: list[FolioMark] = field(default_factory=list)  # Set in place.
    fonts: dict[str, FontUse] = field(default_factory=dict)  # By resource name (font hash).
    table_headers: bool = False  # Whether the chunk has <th>: ids in its structure tree.
    # Font files before subsetting, by digest: sent once per worker, kept beside the cache.
    font_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return len(self.sizes)


@dataclass(frozen=True)
class FastOutput:
    data: bytes
    pages: int
    warnings: tuple[BuildWarning, ...]
    page_map: tuple[PageStart, ...]
    cache_files: dict[Path, bytes]  # New chunk layouts, written with the outputs.
    keep: frozenset[Path]  # Every cache file this build used (the others can go).
    laid_out: int  # Chunks laid out (not from the cache), for timings and tests.
    numbers: tuple[tuple[str, int], ...] = ()  # As PdfOutput.numbers.

    def output(self, issue: Issue):  # type: ignore[no-untyped-def]
        """As pdf.package_pdf returns it, with its warning for a PDF over the email limit."""
        from masthead.editions.pdf.single import PdfOutput, size_warnings

        warnings = list(dict.fromkeys(self.warnings)) + size_warnings(issue, self.data)
        return PdfOutput(self.data, self.pages, tuple(warnings), self.page_map, self.numbers)


# --- splitting ---


def split(html: str, digits: int = DIGITS) -> list[Chunk]:
    """The final issue HTML as chunks: each article, and each run of other body content."""
    if _POSITIONAL_PAGES.search(html):
        raise NotApplicable("the theme has :first/:left/:right page rules")
    root = lxml_html.document_fromstring(html)
    body = root.find("body")
    if body is None or "break-page" not in body.get("class", "").split():
        raise NotApplicable("articles do not each start a page (article_break)")
    runs: list[tuple[str, list]] = []
    for child in body:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "article" and child.get("id"):
            runs.append((child.get("id"), [child]))
        elif runs and runs[-1][0].startswith("front"):
            runs[-1][1].append(child)
        else:
            runs.append((f"front-{len(runs)}" if runs else "front", [child]))
    if len(runs) < 2:
        raise NotApplicable("one piece only")
    head = root.find("head")
    css = ""
    if "@counter-style" not in html and "@import" not in html:
        head = copy.deepcopy(head)
        styles = [el for el in head.iter("style")]
        css = "\n".join(el.text or "" for el in styles)
        for el in styles:
            el.getparent().remove(el)
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
        chunks.append(Chunk(name, text, css, tuple(sorted(refs)), digits=digits))
    return chunks


def _copy(element):  # type: ignore[no-untyped-def]
    return copy.deepcopy(element)


# --- laying out one chunk (in a worker) ---


@contextmanager
def _outside_targets(chunk: Chunk) -> Iterator[None]:
    """Page references to another chunk's anchors print a number or a placeholder."""
    with known_targets(dict(chunk.numbers), chunk.outside, chunk.digits):
        yield


@contextmanager
def known_targets(
    numbers: dict[str, int], unknown: Sequence[str] = (), digits: int = 5
) -> Iterator[None]:
    """Make `target-counter()` to these anchors print these page numbers at once.

    WeasyPrint is given each number as a plain counter value of its target, so it neither waits
    for the target's page nor lays out any page again for it. Anchors in `unknown` print
    `digits` figure spaces instead (see Placeholder).
    """
    from weasyprint.css import counters, targets
    from weasyprint.urls import get_url_tuple

    names = set(numbers) | set(unknown)
    lookup, render_value = targets.TargetCollector.lookup_target, counters.CounterStyle.render_value

    def patched_lookup(self, anchor_token, source_box, css_token, parse_again):  # type: ignore[no-untyped-def]
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
            value = numbers.get(name, SENTINEL)
            item.target_box = SimpleNamespace(cached_counter_values={"page": [value]})
            return item
        return lookup(self, anchor_token, source_box, css_token, parse_again)

    def patched_render(self, counter_value, *args, **kwargs):  # type: ignore[no-untyped-def]
        if counter_value == SENTINEL:
            return FIGURE_SPACE * digits
        if PAGE_SENTINEL <= counter_value < PAGE_SENTINEL + 1_000_000:
            return FOLIO_MARK
        return render_value(self, counter_value, *args, **kwargs)

    targets.TargetCollector.lookup_target = patched_lookup
    counters.CounterStyle.render_value = patched_render
    try:
        yield
    finally:
        targets.TargetCollector.lookup_target = lookup
        counters.CounterStyle.render_value = render_value


def _uses_page_counter(box) -> bool:  # type: ignore[no-untyped-def]
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
        raise NotApplicable(f"a margin box shows the page number with {mixed[0]}")
    return paged


def _folio_mark(box, number: int) -> FolioMark | None:  # type: ignore[no-untyped-def]
    """A folio whose number can be set into the chunk's own text: words, then the page
    number in decimal, on one line, left to right, in one font with its digits."""
    from weasyprint.formatting_structure import boxes

    content = box.style["content"]
    kinds = [token[0] for token in content]
    if kinds.count("counter()") != 1 or kinds[-1] != "counter()":
        return None
    if any(kind not in ("string", "counter()") for kind in kinds):
        return None
    name, style = content[-1][1][0], content[-1][1][-1]
    if name != "page" or style != "decimal" or box.style["direction"] != "ltr":
        return None
    lines = [b for b in box.descendants() if isinstance(b, boxes.LineBox)]
    texts = [b for b in box.descendants() if isinstance(b, boxes.TextBox)]
    if len(lines) != 1 or len(texts) != 1 or not texts[0].text.endswith(FOLIO_MARK):
        return None
    glyphs = _glyphs(texts[0].style)
    if glyphs is None:
        return None
    align = box.style["text_align_all"]
    align = {"start": "left", "end": "right", "justify": "left"}.get(align, align)
    return FolioMark(number, glyphs, align if align in ("left", "right") else "center")


def _folio(box, number: int) -> Folio | None:  # type: ignore[no-untyped-def]
    """What the overlay needs to set this folio margin box with another page number."""
    from weasyprint.formatting_structure import boxes

    lines = [b for b in box.descendants() if isinstance(b, boxes.LineBox)]
    texts = [b for b in box.descendants() if isinstance(b, boxes.TextBox)]
    if not texts:
        return None  # Nothing drawn (an empty counter style).
    if len(lines) != 1 or box.style["direction"] != "ltr":
        raise NotApplicable("a folio that wraps or runs right to left")
    content: list[tuple[str, str]] = []
    for token in box.style["content"]:
        if token[0] == "string":
            content.append(("string", token[1]))
        else:  # counter(page) or counter(pages), with its counter style.
            name, style = token[1][0], token[1][-1]
            content.append((name, style if isinstance(style, str) else "decimal"))
    align = box.style["text_align_all"]
    align = {"start": "left", "end": "right", "justify": "left"}.get(align, align)
    left = box.content_box_x()
    anchor = {"left": left, "right": left + box.width}.get(align, left + box.width / 2)
    text = texts[0]
    css = _css_of(text.style) + f" text-transform: {text.style['text_transform']};"
    return Folio(number, tuple(content), anchor, align, text.position_y + text.baseline, css)


def _text_width(text: str, style) -> float:  # type: ignore[no-untyped-def]
    from weasyprint.text.line_break import create_layout, line_size

    layout = create_layout(text, style, None, None, 0)
    return line_size(layout.get_first_line()[0], style)[0]


def _css_of(style) -> str:  # type: ignore[no-untyped-def]
    families = ", ".join(f'"{f}"' for f in style["font_family"])
    r, g, b, a = style["color"]
    spacing = style["letter_spacing"]
    return (
        f"font-family: {families}; font-size: {style['font_size']}px; "
        f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
        f"font-stretch: {style['font_stretch']}; "
        f"color: rgba({r * 255:.0f}, {g * 255:.0f}, {b * 255:.0f}, {a}); "
        f"letter-spacing: {'normal' if spacing == 'normal' else f'{spacing}px'}; "
        f"font-variant-numeric: {_numeric(style)}; "
        f"font-feature-settings: {_features(style)};"
    )


def _numeric(style) -> str:  # type: ignore[no-untyped-def]
    value = style["font_variant_numeric"]
    return value if isinstance(value, str) else " ".join(value)


def _features(style) -> str:  # type: ignore[no-untyped-def]
    value = style["font_feature_settings"]
    if value == "normal" or not value:
        return "normal"
    return ", ".join(f'"{tag}" {number}' for tag, number in value)


def _placeholders(page_box, number: int, chunk: Chunk) -> list[Placeholder]:  # type: ignore[no-untyped-def]
    from weasyprint.formatting_structure import boxes

    marker = FIGURE_SPACE * chunk.digits
    found: list[Placeholder] = []

    def walk(box, line) -> None:  # type: ignore[no-untyped-def]
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


def _placeholder(box, line, number: int, target: str, marker: str) -> Placeholder:  # type: ignore[no-untyped-def]
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
    return Placeholder(
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


_GLYPHS: dict[str, Glyphs | None] = {}


def _glyphs(style) -> Glyphs | None:  # type: ignore[no-untyped-def]
    """The figure space and digits of this type, shaped as WeasyPrint shapes a text box (alone
    and in pairs, for kerning), with the widths it writes for them
    (weasyprint.draw.text.draw_first_line). None when they do not all come from one font, or
    shape with offsets."""
    key = _css_of(style) + str(style["lang"])
    if key not in _GLYPHS:
        _GLYPHS[key] = _shape_digits(style)
    return _GLYPHS[key]


def _shape_digits(style) -> Glyphs | None:  # type: ignore[no-untyped-def]
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

    alone = [shape(c) for c in FIGURE_SPACE + "0123456789"]
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
    return Glyphs(
        font.hash,
        font_size,
        glyph(alone[0]),  # type: ignore[arg-type]
        tuple(glyph(s) for s in alone[1:]),  # type: ignore[arg-type]
        tuple(
            tuple(pair[0][1] * units - alone[1 + a][0][1] * units for pair in row)  # type: ignore[index]
            for a, row in enumerate(pairs)
        ),
    )


_FONTS: list = []


def _font_config():  # type: ignore[no-untyped-def]
    """One font configuration per process: loading fonts anew for every chunk is slow."""
    from weasyprint.text.fonts import FontConfiguration

    if not _FONTS:
        _FONTS.append(FontConfiguration())
    return _FONTS[0]


_SHEETS: dict[str, Any] = {}
_SENT_FONTS: set[str] = set()  # Font files this process has already sent.


def _no_clean(*_: object) -> None:
    pass


@contextmanager
def _recording_fonts(laid: Laid) -> Iterator[None]:
    """Note each font a chunk embeds, before WeasyPrint subsets it (see FontUse)."""
    import weasyprint.pdf as weasyprint_pdf

    original = weasyprint_pdf.build_fonts_dictionary

    def recording(pdf, fonts, compress, subset, options):  # type: ignore[no-untyped-def]
        for font in fonts.values():
            digest = hashlib.sha256(font.file_content).hexdigest()
            use = laid.fonts.get(font.hash)
            mergeable = not (
                font.bitmap or font.used_in_forms or font.missing or "fvar" in font.tables
            )
            to_unicode, widths = dict(font.to_unicode), dict(font.widths)
            if use is not None:  # Several sizes of one face: one file, one subset.
                mergeable = mergeable and use.mergeable and use.digest == digest
                to_unicode, widths = use.to_unicode | to_unicode, use.widths | widths
            laid.fonts[font.hash] = FontUse(digest, font.index, to_unicode, widths, mergeable)
            if mergeable and digest not in _SENT_FONTS:
                laid.font_files[digest] = bytes(font.file_content)
                _SENT_FONTS.add(digest)
        for font in fonts.values():
            if laid.fonts[font.hash].mergeable:
                # The join subsets this font once for the whole issue: embed a stub here
                # (its first bytes keep WeasyPrint's choice of font type) and skip subsetting.
                font.file_content = font.file_content[:4]
                font.clean = _no_clean
        return original(pdf, fonts, compress, subset, options)

    weasyprint_pdf.build_fonts_dictionary = recording
    try:
        yield
    finally:
        weasyprint_pdf.build_fonts_dictionary = original


def _stylesheet(css: str, fetcher):  # type: ignore[no-untyped-def]
    """A stylesheet parsed once per process: the issue's is the same for every chunk."""
    from weasyprint import CSS

    from masthead.editions.pdf import single as pdf

    key = hashlib.sha256(css.encode()).hexdigest()
    if key not in _SHEETS:
        if len(_SHEETS) >= 4:  # The issue's, the page counter's, the overlay's fonts.
            _SHEETS.clear()
        _SHEETS[key] = CSS(
            string=css, base_url=pdf.ASSET_BASE, url_fetcher=fetcher, font_config=_font_config()
        )
    return _SHEETS[key]


def lay_out(chunk: Chunk, assets: tuple[Asset, ...], variant: str, draft: bool = False) -> Laid:
    """Lay out one chunk and write its PDF (runs in a worker process).

    A `draft` only counts the pages and finds the anchors: no PDF is written (the front
    matter's first layout, which is always done again with the page numbers)."""
    from masthead.editions.pdf import single as pdf

    fetcher = pdf.asset_fetcher(SimpleNamespace(assets=assets))
    sheets = [_stylesheet(chunk.css, fetcher)] if chunk.css else []
    sheets.append(_stylesheet(f"@page :first {{ counter-set: page {PAGE_SENTINEL} }}", fetcher))
    with pdf._weasyprint_warnings() as log, _outside_targets(chunk):
        # As the one-pass layout: finished, and lost footnotes set as endnotes instead.
        _, document = pdf.lay_out(
            chunk.html, fetcher, numbering=False, font_config=_font_config(), stylesheets=sheets
        )
        laid = Laid(b"", [], [], [], name=chunk.name, table_headers="<th" in chunk.html)
        for number, page in enumerate(document.pages):
            box = page._page_box
            laid.sizes.append((page.width, page.height))
            laid.anchors.append(dict(page.anchors))
            laid.bookmarks.append(list(page.bookmarks))
            # Folios are stamped by the overlay, with the issue's page numbers.
            kept = []
            for child in box.children:
                if type(child).__name__ == "MarginBox" and _uses_page_counter(child):
                    mark = _folio_mark(child, number)
                    if mark is not None:
                        laid.folio_marks.append(mark)
                        kept.append(child)
                        continue
                    folio = _folio(child, number)
                    if folio is not None:
                        laid.folios.append(folio)
                else:
                    kept.append(child)
            box.children = kept
            laid.placeholders.extend(_placeholders(box, number, chunk))
        if draft:
            laid.warnings = log.messages
            return laid
        # Links to other chunks' anchors: WeasyPrint writes a link only to an anchor it has, as
        # a named destination, which the join defines for the whole issue. Stand-ins (on the
        # first page, never joined: laid.anchors holds the real ones) keep those links, with
        # their place in the structure tree of a tagged PDF.
        if document.pages:
            here = {name for page in document.pages for name in page.anchors}
            for name in chunk.outside:
                if name not in here:
                    document.pages[0].anchors[name] = (0, 0, 0, 0)
        with _recording_fonts(laid):
            laid.pdf = document.write_pdf(
                pdf_variant=None if variant == "none" else variant,
                pdf_tags=variant != "none",
            )
    laid.placeholders = [_with_digits(laid, place) for place in laid.placeholders]
    for mark in laid.folio_marks:
        if _digits_room(laid, mark.glyphs, mark.glyphs.digits[0][0]) is None:
            raise NotApplicable("a folio's font is embedded whole")  # Never with WeasyPrint 70.
    laid.warnings = log.messages
    return laid


def _with_digits(laid: Laid, place: Placeholder) -> Placeholder:
    """The placeholder, its digits in the font the join subsets; or without glyphs (its number
    left to the overlay) when the font is embedded whole by its chunk."""
    if place.glyphs is None or _digits_room(laid, place.glyphs, place.glyphs.space[0]) is None:
        return replace(place, glyphs=None)
    return place


def _digits_room(laid: Laid, glyphs: Glyphs, drawn: int) -> FontUse | None:
    """Add the digits to the chunk's use of their font (see set_numbers), which must have
    drawn the placeholder's glyph `drawn`."""
    use = laid.fonts.get(glyphs.font)
    if use is None or not use.mergeable or drawn not in use.to_unicode:
        return None
    to_unicode = {gid: str(d) for d, (gid, _, _) in enumerate(glyphs.digits)}
    widths = {gid: float(width) for gid, width, _ in glyphs.digits}
    use = replace(use, to_unicode=to_unicode | use.to_unicode, widths=widths | use.widths)
    laid.fonts[glyphs.font] = use
    return use


# --- joining ---


@functools.cache
def _engine() -> str:
    from importlib.metadata import version

    return version("weasyprint")


def _chunk_key(chunk: Chunk, assets: dict[str, str], variant: str) -> str:
    digest = hashlib.sha256()
    for part in (
        VERSION,
        _engine(),
        variant,
        chunk.css,
        chunk.html,
        repr(chunk.numbers),
    ):
        digest.update(part.encode() + b"\0")
    digest.update(f"{chunk.digits}\0{chunk.outside}".encode())
    for href, file_hash in sorted(assets.items()):
        if href in chunk.html:
            digest.update(f"{href}\0{file_hash}\0".encode())
    return digest.hexdigest()[:32]


def _stamp_ok(place: Placeholder, number: int) -> bool:
    """Whether a number can go into its placeholder and set exactly as a real layout would."""
    width = sum(place.digit_widths[int(d)] for d in str(number))
    return place.exact and width <= place.width + 0.01


class Workers:
    """Processes that lay out chunks; started early, so they are ready when the chunks are."""

    def __init__(self, jobs: int, language: str = "en") -> None:
        self.jobs = max(1, jobs)
        self.pool: Executor | None = None
        if self.jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            # "fork": a caller's script is not run again in the workers (as "spawn" and
            # "forkserver" do without a main guard). Each imports WeasyPrint and sets up its
            # fonts as it starts, while this process goes on reading the issue.
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=_warm, initargs=(language,)
            )
            for _ in range(self.jobs):
                self.pool.submit(int)

    def submit(self, function: Callable, *args: Any) -> Future:
        if self.pool is not None:
            return self.pool.submit(function, *args)
        done: Future = Future()
        done.set_result(function(*args))
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _warm(language: str = "") -> None:
    _FONTS.clear()
    _SHEETS.clear()
    _SENT_FONTS.clear()
    _font_config()
    if language:
        # Reading a hyphenation dictionary takes a chunk's first layout 0.15 s: read it now,
        # while the main process reads the issue (pyphen keeps it for the process).
        import pyphen

        found = pyphen.language_fallback(language.replace("-", "_"))
        if found:
            pyphen.Pyphen(lang=found)


def build_fast(
    issue: Issue,
    html: str,
    *,
    variant: str = "none",
    jobs: int = 2,
    cache_dir: Path | None = None,
    workers: Workers | None = None,
    reuse: bool = True,
) -> FastOutput:
    """Lay out the issue's rendered HTML in pieces and join them; raises NotApplicable.

    Pieces are read from `cache_dir` when `reuse` (and written there in any case).
    """
    if variant not in FAST_VARIANTS:
        raise NotApplicable(f"{variant} PDFs are laid out in one pass")
    chunks = split(html)
    # Pieces laid out in this process send each font file once per build, not once ever.
    _SENT_FONTS.clear()
    pool = _LazyWorkers(jobs, workers)
    try:
        return _build_fast(issue, html, chunks, variant, cache_dir, pool, reuse)
    finally:
        pool.close()


class _LazyWorkers:
    """Worker processes started only when more than one chunk is to be laid out at once: a
    rebuild after one edit lays out that article in this process, without a pool to start."""

    def __init__(self, jobs: int, given: Workers | None) -> None:
        self.jobs, self.given, self.own = jobs, given, None
        self.inline = Workers(1)

    def for_batch(self, size: int) -> Workers:
        if self.given is not None:
            return self.given
        if self.own is None and size > 1 and self.jobs > 1:
            self.own = Workers(self.jobs)
        return self.own or self.inline

    def running(self) -> Workers:
        """Workers already started, else this process."""
        return self.given or self.own or self.inline

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


def _build_fast(
    issue: Issue,
    html: str,
    chunks: list[Chunk],
    variant: str,
    cache_dir: Path | None,
    workers: _LazyWorkers,
    reuse: bool = True,
) -> FastOutput:
    asset_hashes = _asset_hashes(issue)
    image_sizes = {a.href: a.source.stat().st_size for a in issue.assets if a.source.is_file()}
    laid: dict[str, Laid] = {}  # By chunk key.
    cache_files: dict[Path, bytes] = {}
    theme_css = chunks[0].css or "\n".join(_STYLE.findall(html))
    overlays = _Overlays(issue.assets, theme_css, cache_dir, cache_files, reuse)
    laid_out = 0
    keys = [_chunk_key(c, asset_hashes, variant) for c in chunks]
    segments: list[str] = []
    font_files: dict[str, bytes] = {}
    for _ in range(MAX_ROUNDS):
        todo: dict[str, Chunk] = {}
        for chunk, key in zip(chunks, keys, strict=True):
            if key in laid or key in todo:
                continue
            cached = _read_cache(cache_dir, key) if reuse else None
            if cached is not None:
                laid[key] = cached
            else:
                todo[key] = chunk
        pool = workers.for_batch(len(todo) + len(segments))
        # Longest first: a long article started last would leave the other workers idle.
        longest = sorted(todo.items(), key=lambda item: -_cost(item[1], image_sizes))
        futures = {
            key: pool.submit(lay_out, chunk, issue.assets, variant, _draft(chunks, chunk))
            for key, chunk in longest
        }
        if futures and segments:
            # Most likely the re-laid chunks keep their page counts: lay out the overlay now.
            overlays.start(segments, pool)
        for key, future in futures.items():
            result = future.result()
            font_files.update(result.font_files)
            laid[key] = result = replace(result, font_files={})
            laid_out += 1
            if cache_dir is not None:
                cache_files[cache_dir / f"{key}.pickle"] = pickle.dumps(result)
        current = [laid[key] for key in keys]
        numbers = _page_numbers(chunks, current)
        again = _needs_numbers(chunks, current, numbers)
        segments = _overlay_html(html, current, numbers, skip=again)
        if not again:
            break
        chunks = [
            replace(c, numbers=tuple((a, numbers[a]) for a in c.outside if a in numbers))
            if c.name in again
            else c
            for c in chunks
        ]
        keys = [_chunk_key(c, asset_hashes, variant) for c in chunks]
    else:
        raise NotApplicable("page numbers did not settle")
    fonts = _font_files(current, font_files, cache_dir, cache_files)
    pool = workers.for_batch(len(segments))
    # Subsets are quick: in the workers when they are there, else here (not worth a pool).
    subsets = _start_subsets(current, fonts, workers.running(), cache_dir)
    overlays.start(segments, pool)
    data, pages, page_map = join(
        current, numbers, overlays.results(segments), subsets, issue.identifier.encode()
    )
    subsets.to_cache(cache_files)
    notes = [BuildWarning(f"PDF: {m}", issue.source) for c in current for m in c.warnings]
    keep: set[Path] = set()
    if cache_dir is not None:
        # Every piece laid out or read in any round: the next build goes through them too.
        keep = {cache_dir / f"{key}.pickle" for key in laid}
        keep |= {cache_dir / f"font-{digest}.bin" for digest in fonts}
        keep |= {cache_dir / f"subset-{key}.bin" for key in subsets.keys_used}
        keep |= {overlays.file(text) for text in segments}  # type: ignore[misc]
    from masthead.editions.pdf.single import link_targets

    targets = link_targets(html)
    known = tuple(sorted((name, page) for name, page in numbers.items() if name in targets))
    return FastOutput(
        data, pages, tuple(notes), page_map, cache_files, frozenset(keep), laid_out, known
    )


def _font_files(
    laid: Sequence[Laid],
    sent: dict[str, bytes],
    cache_dir: Path | None,
    cache_files: dict[Path, bytes],
) -> dict[str, bytes]:
    """The unsubset font files the join needs, from the workers or from beside the cache."""
    found: dict[str, bytes] = {}
    for digest in {use.digest for part in laid for use in part.fonts.values() if use.mergeable}:
        file = cache_dir / f"font-{digest}.bin" if cache_dir is not None else None
        if digest in sent:
            found[digest] = sent[digest]
            if file is not None and not file.exists():
                cache_files[file] = sent[digest]
        elif file is not None and file.is_file():
            found[digest] = file.read_bytes()
    return found


def _asset_hashes(issue: Issue) -> dict[str, str]:
    from masthead.files import file_digest

    return {a.href: file_digest(a.source) for a in issue.assets}


def _read_cache(cache_dir: Path | None, key: str) -> Laid | None:
    if cache_dir is None:
        return None
    try:
        found = pickle.loads((cache_dir / f"{key}.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return found if isinstance(found, Laid) else None


def _page_numbers(chunks: Sequence[Chunk], laid: Sequence[Laid]) -> dict[str, int]:
    """The issue's page number (1-based) of every anchor, first occurrence."""
    numbers: dict[str, int] = {}
    start = 1
    for part in laid:
        for offset, anchors in enumerate(part.anchors):
            for name in anchors:
                numbers.setdefault(name, start + offset)
        start += part.pages
    return numbers


def _cost(chunk: Chunk, image_sizes: dict[str, int]) -> float:
    """About how long a chunk takes to lay out: its text, and its images (scaled, encoded)."""
    images = sum(size for href, size in image_sizes.items() if href in chunk.html)
    return len(chunk.html) + images / 4


def _draft(chunks: Sequence[Chunk], chunk: Chunk) -> bool:
    """Whether the chunk will be laid out again whatever its layout (see _needs_numbers)."""
    return chunk is chunks[0] and bool(chunk.outside) and not chunk.numbers


def _needs_numbers(
    chunks: Sequence[Chunk], laid: Sequence[Laid], numbers: dict[str, int]
) -> set[str]:
    """Chunks to lay out again with real numbers: the front matter, and wherever a number
    would not set exactly in its placeholder; and those whose real numbers changed."""
    again: set[str] = set()
    for index, (chunk, part) in enumerate(zip(chunks, laid, strict=True)):
        if chunk.numbers:
            if any(numbers.get(a) != n for a, n in chunk.numbers):
                again.add(chunk.name)
            continue
        # The contents (numbers set flush after leaders) is laid out again; its first layout
        # was a draft (_draft) that only counted its pages.
        front = index == 0 and bool(chunk.outside)
        if front or any(not _stamp_ok(p, numbers.get(p.target, 0)) for p in part.placeholders):
            again.add(chunk.name)
    return again


def join(
    laid: Sequence[Laid],
    numbers: dict[str, int],
    overlay_pdfs: Sequence[bytes],
    subsets: dict[str, Future],
    identifier: bytes = b"",
) -> tuple[bytes, int, tuple[PageStart, ...]]:
    """Join the chunks' pages, then stamp folios and page references; rebuild dests, outline.

    `overlay_pdfs` hold one page for each of the issue's pages, in order; `subsets` the font
    programs that replace the pieces' stubs (see _merge_fonts). WeasyPrint is not needed here:
    this process leaves it to the workers.
    """
    import pikepdf

    from masthead.editions.pdf import single as masthead_pdf

    if any(not part.pdf for part in laid):
        raise NotApplicable("a draft layout reached the join")  # Never: see _draft.
    out = pikepdf.open(io.BytesIO(laid[0].pdf))
    sources = [out] + [pikepdf.open(io.BytesIO(part.pdf)) for part in laid[1:]]
    with warnings.catch_warnings():
        # "does not preserve named destinations": the join makes them anew, for the issue.
        warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)  # type: ignore[attr-defined]
        for source in sources[1:]:
            out.pages.extend(source.pages)
    _merge_fonts(out, laid, subsets)
    tagged = "/StructTreeRoot" in out.Root
    set_numbers(out, laid, numbers, tagged)
    if tagged:
        _merge_structure(out, sources, laid)
    flat = [(part, n) for part in laid for n in range(part.pages)]
    total = len(flat)
    overlays = [pikepdf.open(io.BytesIO(data)) for data in overlay_pdfs]
    overlay_pages = [page for overlay in overlays for page in overlay.pages]
    if overlay_pages and len(overlay_pages) != total:
        raise NotApplicable("the overlay did not give one page per page")
    for index, page in enumerate(out.pages if overlay_pages else ()):
        # As Page.add_overlay, with names of our own: the same input gives the same bytes.
        # (A chunk's pages share one resource dictionary: each page needs its own name.)
        name = f"/MastheadOverlay{index}"
        form = out.copy_foreign(overlay_pages[index].as_form_xobject())
        page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
        page.contents_add(out.make_stream(b"q\n"), prepend=True)
        # Folios are page furniture; a stamped number's words are the ActualText of its
        # placeholder (_actual_text).
        drawn = f"/Artifact BMC q {name} Do Q EMC" if tagged else f"q {name} Do Q"
        page.contents_add(out.make_stream(f"Q\n{drawn}\n".encode()))
    # Named destinations for every anchor (the links between chunks go to them), the outline.
    destinations: list[tuple[str, pikepdf.Array]] = []
    seen: set[str] = set()
    for (part, n), page in zip(flat, out.pages, strict=True):
        height = part.sizes[n][1]
        for name, (x, y, _, _) in part.anchors[n].items():
            if name not in seen:
                seen.add(name)
                destinations.append(
                    (
                        name,
                        pikepdf.Array([page.obj, pikepdf.Name.XYZ, x * PT, (height - y) * PT, 0]),
                    )
                )
    names = pikepdf.Dictionary()
    tree = pikepdf.NameTree.new(out)
    for name, destination in sorted(destinations):
        tree[name] = destination
    names.Dests = tree.obj
    out.Root.Names = out.make_indirect(names)
    tree_of_marks = bookmark_tree([(part.bookmarks[n], part.sizes[n][1]) for part, n in flat])
    if "/Outlines" in out.Root:
        del out.Root.Outlines
    if tree_of_marks:
        _outline(out, tree_of_marks)
    buffer = io.BytesIO()
    if identifier:
        # As one pass writes it: the issue's identifier first; qpdf keeps it and derives the
        # second from the content.
        out.trailer.ID = pikepdf.Array([pikepdf.String(identifier), pikepdf.String(identifier)])
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources + overlays:
        source.close()
    page_map = masthead_pdf.page_map(
        SimpleNamespace(pages=[SimpleNamespace(anchors=part.anchors[n]) for part, n in flat])
    )
    return buffer.getvalue(), total, page_map


class _Subsets(dict):  # type: ignore[type-arg]
    """Font name: its subset (a Future); the cache keys of the subsets used, and the cache
    files of those made in this build (font name: file)."""

    keys_used: set[str]
    new_files: dict[str, Path]

    def to_cache(self, cache_files: dict[Path, bytes]) -> None:
        for name, file in self.new_files.items():
            data = self[name].result()
            if data is not None:
                cache_files[file] = data


def _start_subsets(
    laid: Sequence[Laid], files: dict[str, bytes], pool: Workers, cache_dir: Path | None = None
) -> _Subsets:
    """Subset each mergeable font to the glyphs of every chunk; each subset is cached by its
    font file and glyphs (an edit seldom brings a new glyph)."""
    uses: dict[str, list[FontUse]] = {}
    for part in laid:
        for name, use in part.fonts.items():
            uses.setdefault(name, []).append(use)
    jobs = _Subsets()
    jobs.keys_used, jobs.new_files = set(), {}
    for name, found in uses.items():
        if not all(use.mergeable for use in found) or len({u.digest for u in found}) != 1:
            continue  # _merge_fonts says why, or leaves the font as its chunks embed it.
        to_unicode: dict[int, str] = {}
        for use in found:
            to_unicode |= use.to_unicode
        key = hashlib.sha256(
            f"{VERSION}\0{found[0].digest}\0{found[0].index}\0{sorted(to_unicode.items())}".encode()
        ).hexdigest()[:32]
        file = cache_dir / f"subset-{key}.bin" if cache_dir is not None else None
        if file is not None and file.is_file():
            done: Future = Future()
            done.set_result(file.read_bytes())
            jobs[name] = done
            jobs.keys_used.add(key)
            continue
        data = files.get(found[0].digest)
        if data is None:
            continue
        jobs[name] = pool.submit(_subset_font, data, found[0].index, to_unicode)
        if file is not None:
            jobs.keys_used.add(key)
            jobs.new_files[name] = file
    return jobs


def _merge_structure(out, sources: Sequence[Any], laid: Sequence[Laid]) -> None:  # type: ignore[no-untyped-def]
    """One structure tree for the joined pages, from the pieces' trees.

    WeasyPrint tags page by page: its Document element holds each page's elements in page
    order, and its parent tree maps page i (StructParents i) to the elements of the page's
    marked content, and keys from the page count on to the link annotations. So the join
    appends each later piece's elements to the first piece's Document, and renumbers the
    parent tree: pages by their place in the issue, annotations after the last page.
    """
    import pikepdf

    root = out.Root.StructTreeRoot
    document = _only(root.K)
    if document.get("/S") != pikepdf.Name.Document:
        raise NotApplicable("a structure tree not made by WeasyPrint")
    kids = list(_as_list(document.K))
    total = sum(part.pages for part in laid)
    pages: list[tuple[int, Any]] = []
    annotations: list[tuple[Any, Any]] = []  # (annotation, element), in the issue's order.
    first_page = 0
    for index, (source, part) in enumerate(zip(sources, laid, strict=True)):
        tree = source.Root.StructTreeRoot
        entries = _number_tree(tree.ParentTree)
        if index:
            piece = _only(tree.K)
            elements = list(_as_list(piece.K))
            for element in elements:
                del element.P  # Else the copy would bring the piece's tree root along.
            if part.table_headers:
                _prefix_ids(elements, f"p{index}-")
            kids += [out.copy_foreign(element) for element in elements]

        def copy(value, index=index):  # type: ignore[no-untyped-def]
            if index == 0:
                return value
            if isinstance(value, pikepdf.Array):
                return pikepdf.Array([out.copy_foreign(item) for item in value])
            return out.copy_foreign(value)

        for key, value in sorted(entries.items()):
            if key < part.pages:
                pages.append((first_page + key, copy(value)))
        for key, value in sorted(entries.items()):
            if key >= part.pages:
                annotation = _annotation_of(value)
                if annotation is None:
                    raise NotApplicable("a parent tree entry that is no link annotation")
                annotations.append((copy(annotation), copy(value)))
        first_page += part.pages
    for element in kids[len(_as_list(document.K)) :]:
        element.P = document
    document.K = pikepdf.Array(kids)
    for number, page in enumerate(out.pages):
        page.obj.StructParents = number
    nums: list[Any] = []
    for key, value in pages:
        nums += [key, value]
    for offset, (annotation, element) in enumerate(annotations):
        annotation.StructParent = total + offset
        nums += [total + offset, element]
    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    root.ParentTreeNextKey = total + len(annotations)


def _only(value):  # type: ignore[no-untyped-def]
    items = _as_list(value)
    if len(items) != 1:
        raise NotApplicable("a structure tree root with other than one Document")
    return items[0]


def _as_list(value) -> list:  # type: ignore[no-untyped-def, type-arg]
    import pikepdf

    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _number_tree(node) -> dict[int, Any]:  # type: ignore[no-untyped-def]
    found: dict[int, Any] = {}
    if "/Nums" in node:
        nums = list(node.Nums)
        found.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
    for kid in node.get("/Kids", ()):
        found.update(_number_tree(kid))
    return found


def _annotation_of(element):  # type: ignore[no-untyped-def]
    """The link annotation a Link element's object reference points to."""
    for kid in _as_list(element.get("/K", [])):
        if isinstance(kid, int) or not hasattr(kid, "get"):
            continue
        if kid.get("/Type") == "/OBJR":
            return kid.Obj
    return None


def _prefix_ids(elements: Sequence[Any], prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Table header ids are unique within a piece only (WeasyPrint numbers them by object)."""
    import pikepdf

    stack = list(elements)
    while stack:
        element = stack.pop()
        if not hasattr(element, "get"):
            continue
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        attributes = element.get("/A")
        if attributes is not None and hasattr(attributes, "get") and "/Headers" in attributes:
            attributes.Headers = pikepdf.Array(
                [pikepdf.String(prefix + str(h)) for h in attributes.Headers]
            )
        stack += [k for k in _as_list(element.get("/K", [])) if hasattr(k, "get")]


def set_numbers(out, laid: Sequence[Laid], numbers: dict[str, int], tagged: bool) -> None:  # type: ignore[no-untyped-def]
    """Set each page number into its placeholder, and each folio's: the figure spaces that
    end the text become the number's digits, in the same font, written as WeasyPrint writes
    glyphs; a folio's text moves as its margin box's alignment would move it. The numbers are
    then real text where they stand (in their marked content, in a tagged PDF). Placeholders
    without glyphs are left to the overlay (untagged only).

    The page's content is edited as bytes: WeasyPrint sets such a text as
    `BT 1 0 0 -1 X Y Tm /FONT SIZE Tf [<0411>0<0411>0<0411>0<0411>0<0411>0] TJ ET`.
    """
    flat = [(part, n) for part in laid for n in range(part.pages)]
    for issue_page, ((part, n), page) in enumerate(zip(flat, out.pages, strict=True), start=1):
        places = [p for p in part.placeholders if p.page == n and p.target in numbers]
        if tagged and any(p.glyphs is None for p in places):
            raise NotApplicable("a page number that cannot be set in its own text")
        marks: list[tuple[Glyphs, str, str, str]] = [
            (p.glyphs, str(numbers[p.target]), "left", FIGURE_SPACE * DIGITS)
            for p in places
            if p.glyphs is not None
        ]
        marks += [
            (m.glyphs, str(issue_page), m.align, FOLIO_MARK)
            for m in part.folio_marks
            if m.page == n
        ]
        if not marks:
            continue
        contents = page.obj.Contents
        data = b"".join(stream.read_bytes() for stream in (_as_list(contents) if contents else ()))
        edits: list[tuple[int, int, bytes]] = []  # (start, end, new bytes), not overlapping
        for glyphs, number, align, marker in marks:
            found = _placeholder_text(data, glyphs, marker, [(a, b) for a, b, _ in edits])
            if found is None:
                raise NotApplicable("a placeholder not found in its page's text")
            digits = b"".join(
                b"<%04x>%s" % (gid, str(int(kerning)).encode() if kerning else b"")
                for gid, kerning in glyphs.run(number)
            )
            edits.append((found.start(), found.end(), digits + b"] TJ"))
            room = glyphs.advance(marker) - glyphs.advance(number)
            shift = {"left": 0.0, "center": room / 2, "right": room}[align]
            if shift:
                edits.append(_moved(data, found.start(), shift))
        edits.sort()
        parts: list[bytes] = []
        copied = 0
        for begin, end, new in edits:
            parts += [data[copied:begin], new]
            copied = end
        parts.append(data[copied:])
        page.obj.Contents = out.make_stream(b"".join(parts))


def _placeholder_text(data: bytes, glyphs: Glyphs, marker: str, taken: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    """The first text ending in this placeholder, in its font, that no other number took."""
    gid = glyphs.space[0] if marker[0] == FIGURE_SPACE else glyphs.digits[int(marker[0])][0]
    first = b"<%04x>" % gid
    pattern = re.compile(rb"(?:<%04x>(?:-?\d+(?:\.\d+)?)?){%d}\]\s*TJ" % (gid, len(marker)))
    position = data.find(first)
    while position >= 0:
        found = pattern.match(data, position)
        if found is not None and not any(a <= position < b for a, b in taken):
            font, size = _font_at(data, position)
            if font == glyphs.font and abs(size - glyphs.size) < 1e-3:
                return found
        position = data.find(first, position + 1)
    return None


def _font_at(data: bytes, position: int) -> tuple[str, float]:
    """The font and size set by the last `/NAME SIZE Tf` before this place in the content."""
    operator = data.rfind(b" Tf", 0, position)
    name = data.rfind(b"/", 0, operator)
    if operator < 0 or name < 0:
        return "", 0.0
    words = data[name + 1 : operator].split()
    try:
        return words[0].decode("latin-1"), float(words[1])
    except (IndexError, ValueError):
        return "", 0.0


_TM = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) Tm")


def _moved(data: bytes, position: int, shift: float) -> tuple[int, int, bytes]:
    """The edit that moves the text before this place right by `shift` CSS px (its Tm)."""
    begin = data.rfind(b"BT", 0, position)
    matrices = list(_TM.finditer(data, max(begin, 0), position))
    found = matrices[-1] if matrices else None
    if begin < 0 or found is None:
        raise NotApplicable("a folio's text has no position to move")
    a, b, c, d, e, f = (float(v) for v in found.groups())
    x = e + shift * a  # a is 1: WeasyPrint's text matrix only flips the y axis.
    return found.start(), found.end(), b"%r %r %r %r %r %r Tm" % (a, b, c, d, x, f)


def _merge_fonts(out, laid: Sequence[Laid], subsets: dict[str, Future]) -> None:  # type: ignore[no-untyped-def]
    """One subset of each font for the whole issue, instead of one in every chunk.

    WeasyPrint keeps glyph ids when it subsets, so every chunk's text can use a subset made
    from the font file for the glyphs of all chunks. The chunks embed only a stub of each font
    (see _recording_fonts); the subset replaces it in every chunk's font resources.
    """
    import pikepdf

    uses: dict[str, list[FontUse]] = {}
    for part in laid:
        for name, use in part.fonts.items():
            uses.setdefault(name, []).append(use)
    resources: dict[tuple[int, int], Any] = {}
    for page in out.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font")
        if fonts is not None and fonts.is_indirect:
            resources.setdefault(fonts.objgen, fonts)
    for name, found in uses.items():
        key = f"/{name}"
        holders = [fonts for fonts in resources.values() if key in fonts]
        if not holders or not all(use.mergeable for use in found):
            continue  # Embedded whole by its chunk, as WeasyPrint does.
        if len({use.digest for use in found}) != 1:
            raise NotApplicable(f"font {name} is not one font file in every piece")
        to_unicode: dict[int, str] = {}
        widths: dict[int, float] = {}
        for use in found:
            to_unicode |= use.to_unicode
            widths |= use.widths
        program = subsets[name].result() if name in subsets else None
        if program is None or not widths:
            # The pieces only hold a stub of this font: without it there is no PDF to make.
            raise NotApplicable(f"font {name} could not be subset")
        template = holders[0][key]
        descendant = template.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        otf = "/FontFile3" in descriptor
        stream = out.make_stream(program)
        if otf:
            stream.Subtype = pikepdf.Name.OpenType
        else:
            stream.Length1 = len(program)
        new_descriptor = pikepdf.Dictionary({k: v for k, v in descriptor.items()})
        new_descriptor["/FontFile3" if otf else "/FontFile2"] = stream
        box = [float(v) for v in descriptor.FontBBox]
        new_descriptor.FontBBox = [box[0], box[1], max(widths.values()), box[3]]
        new_descendant = pikepdf.Dictionary({k: v for k, v in descendant.items()})
        new_descendant.W = _widths_array(widths)
        new_descendant.FontDescriptor = out.make_indirect(new_descriptor)
        new_font = pikepdf.Dictionary({k: v for k, v in template.items()})
        new_font.DescendantFonts = [out.make_indirect(new_descendant)]
        new_font.ToUnicode = out.make_stream(_to_unicode_cmap(to_unicode))
        merged = out.make_indirect(new_font)
        for fonts in holders:
            fonts[key] = merged


def _widths_array(widths: dict[int, float]) -> list:  # type: ignore[type-arg]
    """A CIDFont /W array, as WeasyPrint writes it: runs of consecutive glyph ids."""
    array: list = []  # type: ignore[type-arg]
    for gid in sorted(widths):
        if gid - 1 not in widths:
            array += [gid, []]
        array[-1].append(round(widths[gid], 3))
    return array


def _to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        "<< /Registry (Adobe)",
        "/Ordering (UCS)",
        "/Supplement 0",
        ">> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <ffff>",
        "endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        for glyph, text in batch:
            lines.append(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


_HARFBUZZ: list = []  # type: ignore[type-arg]


def _subset_font(data: bytes, index: int, to_unicode: dict[int, str]) -> bytes | None:
    """The font subset to these glyphs, made as WeasyPrint makes its subsets (HarfBuzz)."""
    import cffi
    from weasyprint.pdf.fonts import Font
    from weasyprint.text import ffi as text_ffi

    if not text_ffi.harfbuzz_subset or not text_ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return None
    if not _HARFBUZZ:
        # WeasyPrint's bindings cannot make a face from bytes: declare the two calls needed.
        own = cffi.FFI()
        own.cdef(
            "typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;"
            "hb_blob_t *hb_blob_create(const char *, unsigned int, int, void *, void *);"
            "hb_face_t *hb_face_create(hb_blob_t *, unsigned int);"
            "void hb_blob_destroy(hb_blob_t *); void hb_face_destroy(hb_face_t *);"
        )
        try:
            _HARFBUZZ.extend([own, own.dlopen("libharfbuzz.so.0")])
        except OSError:
            return None
    own, lib = _HARFBUZZ
    blob = lib.hb_blob_create(data, len(data), 0, own.NULL, own.NULL)  # 0: duplicate the data.
    face = lib.hb_face_create(blob, index)
    try:
        font = SimpleNamespace(
            hb_face=text_ffi.ffi.cast("hb_face_t *", int(own.cast("uintptr_t", face))),
            missing={},
            family="",
            file_content=None,
        )
        Font._harfbuzz_subset(font, to_unicode, False)  # type: ignore[arg-type]
        return font.file_content
    finally:
        lib.hb_face_destroy(face)
        lib.hb_blob_destroy(blob)


def _outline(out, tree) -> None:  # type: ignore[no-untyped-def]
    import pikepdf

    def add(items, parent):  # type: ignore[no-untyped-def]
        made = []
        count = len(items)
        for label, (page, x, y), children, state in items:
            node = out.make_indirect(
                pikepdf.Dictionary(
                    Title=pikepdf.String(label),
                    Dest=pikepdf.Array([out.pages[page].obj, pikepdf.Name.XYZ, x, y, 0]),
                    Parent=parent,
                )
            )
            kids, kids_count = add(children, node)
            node.Count = kids_count if state != "closed" else -kids_count
            if state != "closed":
                count += kids_count
            if made:
                node.Prev = made[-1]
                made[-1].Next = node
            if kids:
                node.First, node.Last = kids[0], kids[-1]
            made.append(node)
        return made, count

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    made, count = add(tree, root)
    root.First, root.Last, root.Count = made[0], made[-1], count
    out.Root.Outlines = root


OVERLAY_PAGES = 32  # Pages per overlay segment: segments are laid out side by side, cached apart.


def _overlay_html(
    html: str,
    laid: Sequence[Laid],
    numbers: dict[str, int],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """The overlay, in segments of OVERLAY_PAGES: one page per issue page, as large, holding
    its folios (see Folio) and each page number a chunk left a placeholder for (not those of
    chunks in `skip`), each in its own type, absolutely placed. Nothing else is laid out: no
    margin boxes, none of the theme's rules but its fonts (render_overlay adds them)."""
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
                if folio.page != n:
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
    root = lxml_html.document_fromstring(html)  # For its attributes (the language).
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


class _Overlays:
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
        self.jobs: dict[str, Future | bytes] = {}

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{VERSION}\0{self.css}\0{text}".encode()).hexdigest()[:32]

    def file(self, text: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"overlay-{self.key(text)}.pdf"

    def start(self, texts: Sequence[str], pool: Workers) -> None:
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
    from weasyprint import HTML

    from masthead.editions.pdf import single as pdf

    fetcher = pdf.asset_fetcher(SimpleNamespace(assets=assets))
    fonts = _font_rules(css)
    sheets = [_stylesheet(fonts, fetcher)] if fonts else []
    with _no_margin_boxes():
        rendered = HTML(string=text, base_url=pdf.ASSET_BASE, url_fetcher=fetcher).render(
            font_config=_font_config(), stylesheets=sheets
        )
    for page in rendered.pages:
        for text_box in _text_boxes(page._page_box):
            element = text_box.element
            if element is None or element.get("data-baseline") is None:
                continue
            x = element.get("data-x")
            text_box.translate(
                float(x) - text_box.position_x if x is not None else 0,
                float(element.get("data-baseline")) - text_box.position_y - text_box.baseline,
            )
    return rendered.write_pdf()


@contextmanager
def _no_margin_boxes() -> Iterator[None]:
    """An overlay has no margin boxes, but WeasyPrint styles all sixteen of every page to
    find that out: a third of the time of an overlay page."""
    from weasyprint import layout

    original = layout.make_margin_boxes  # Called from there, imported from layout.page.
    layout.make_margin_boxes = lambda context, page_box, state: ()
    try:
        yield
    finally:
        layout.make_margin_boxes = original


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


def bookmark_tree(pages: Sequence[tuple[list, float]]) -> list:  # type: ignore[type-arg]
    """The outline from each page's bookmarks and height (CSS px), as WeasyPrint's
    Document.make_bookmark_tree(PT, transform_pages=True) makes it, without importing it here:
    subtrees of (label, (page, x, y), children, state), in PDF points from the bottom left."""
    root: list = []  # type: ignore[type-arg]
    # For each output depth, how many source levels were skipped to reach it (h1 then h3).
    skipped: list[int] = []
    last_by_depth = [root]
    previous = 0
    for number, (marks, height) in enumerate(pages):
        for level, label, (x, y), state in marks:
            if level > previous:
                skipped.append(level - previous - 1)
            else:
                temp = level
                while temp < previous:
                    temp += 1 + skipped.pop()
                if temp > previous:
                    skipped.append(temp - previous - 1)
            previous = level
            depth = level - sum(skipped)
            children: list = []  # type: ignore[type-arg]
            last_by_depth[depth - 1].append(
                (label, (number, x * PT, (height - y) * PT), children, state)
            )
            del last_by_depth[depth:]
            last_by_depth.append(children)
    return root


def _text_boxes(box) -> Iterator:  # type: ignore[no-untyped-def]
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child)


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
