"""The pieces of a fast PDF and what their layouts record for the join (plain, picklable data).

How the fast path works is told in fast.py.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

VERSION = "17"  # Of the chunk cache format and method: a change here lays everything out anew.


SENTINEL = -7_000_003  # The page value given to a reference whose number is not known yet.


FIGURE_SPACE = "\u2007"  # A digit's width, and never a line break: the placeholder.


PT = 0.75  # CSS px to PDF points.


DIGITS = 5  # Figure spaces in a placeholder (see Chunk.digits).


# A chunk's page counter starts here: its folios print zeros, which set_numbers replaces
# (WeasyPrint draws no text made of spaces only, as a folio of figure spaces would be).
PAGE_SENTINEL = SENTINEL - 2_000_000


FOLIO_MARK = "0" * DIGITS


class NotApplicable(Exception):
    """The issue cannot be laid out in pieces; the caller lays it out in one pass."""


class Untrusted(NotApplicable):
    """The fast path does not trust its result or its tools (WeasyPrint's internals, a check
    of the joined PDF): the caller lays the PDF out in one pass and tells the user why."""


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
    # Margin boxes of one side of the page (at-keyword, "left"/"right"), laid out on every
    # page of the chunk and kept by the overlay on their side's (see sides.py).
    sides: tuple[tuple[str, str], ...] = ()


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
    side: str = ""  # "left" or "right": drawn on that side's pages only; "": on every page.


@dataclass(frozen=True)
class FontUse:
    """A font a chunk embedded (subset to its glyphs), and what the join needs to merge it
    with the same font of other chunks into one subset."""

    digest: str  # Of the font file before subsetting.
    index: int  # In a font collection.
    to_unicode: dict[int, str]  # Glyph id: text.
    widths: dict[int, float]  # Glyph id: width (1/1000 em).
    mergeable: bool  # False for bitmap, variable and form fonts, and with missing glyphs.
    # Glyphs drawn without ink (their text is not read from the page: see check.py).
    empty: frozenset[int] = frozenset()


@dataclass(frozen=True)
class EmbeddedFont:
    """A font WeasyPrint is about to embed in a piece, as read from it (see fonts.record)."""

    name: str  # The font's resource name (WeasyPrint's hash of its description).
    data: bytes  # The font file before subsetting.
    index: int  # In a font collection.
    to_unicode: dict[int, str]  # Glyph id: text.
    widths: dict[int, float]  # Glyph id: width (1/1000 em).
    plain: bool  # An outline font, not variable, all of whose glyphs were found, not in forms.
    notdef: bool  # Whether it drew .notdef boxes for characters no font has.
    colour: bool  # A colour (emoji) font: WeasyPrint draws images, and empty glyphs.


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
    # Each page's glyphs drawn with ink: font name: glyph id: how many (check.piece_glyphs).
    glyphs: list[dict[str, dict[int, int]]] = field(default_factory=list)
    notdef: bool = False  # Whether some text had no font (drawn as .notdef boxes).

    @property
    def pages(self) -> int:
        return len(self.sizes)


# What makes a type (the computed style's names): its CSS is Placeholder.css and Folio.css.
TYPE_PROPERTIES = (
    "font_family",
    "font_size",
    "font_weight",
    "font_style",
    "font_stretch",
    "color",
    "letter_spacing",
    "font_variant_numeric",
    "font_feature_settings",
)


def type_css(style: dict[str, Any]) -> str:
    """CSS declarations for a type, from its computed values (TYPE_PROPERTIES)."""
    families = ", ".join(f'"{f}"' for f in style["font_family"])
    r, g, b, a = style["color"]
    spacing = style["letter_spacing"]
    numeric = style["font_variant_numeric"]
    numeric = numeric if isinstance(numeric, str) else " ".join(numeric)
    features = style["font_feature_settings"]
    if features == "normal" or not features:
        features = "normal"
    else:
        features = ", ".join(f'"{tag}" {number}' for tag, number in features)
    return (
        f"font-family: {families}; font-size: {style['font_size']}px; "
        f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
        f"font-stretch: {style['font_stretch']}; "
        f"color: rgba({r * 255:.0f}, {g * 255:.0f}, {b * 255:.0f}, {a}); "
        f"letter-spacing: {'normal' if spacing == 'normal' else f'{spacing}px'}; "
        f"font-variant-numeric: {numeric}; "
        f"font-feature-settings: {features};"
    )


class Pool(Protocol):
    """Where work is done: worker processes, or this process (workers.Workers)."""

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]: ...
