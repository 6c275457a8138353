"""What laid-out pages hold, read from WeasyPrint's boxes (internals: see __init__.py for the
guard): folios and page-number placeholders, the digits' glyphs, hyphenated line-ends."""

from __future__ import annotations

from typing import Any

from masthead.editions.pdf import pieces
from masthead.editions.pdf.fonts import unit_width


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

    def glyph(shaped: list[tuple[int, float]]) -> tuple[int, int, float]:
        gid, advance = shaped[0]
        # As drawn (weasy.unit_widths): the glyph's own advance, not Pango's at this size.
        width = unit_width(font.file_content, font.index, gid)
        return gid, width, advance * 1000 / font_size

    units = 1000 / font_size
    kerns = [[(p[0][1] - alone[1 + a][0][1]) * units for p in row] for a, row in enumerate(pairs)]  # type: ignore[index]
    digits = tuple(glyph(s) for s in alone[1:])  # type: ignore[arg-type]
    return pieces.Glyphs(font.hash, font_size, glyph(alone[0]), digits, tuple(map(tuple, kerns)))  # type: ignore[arg-type]


def short_ends(document: Any, below: float) -> dict[str, tuple[float, float, float]]:
    """Articles that open a page, have a lead picture and end on a page filled less than
    `below` of its height, by id: (the height their last page's text takes, their picture's
    laid-out width and height), in CSS px."""
    from weasyprint.formatting_structure import boxes

    starts: list[tuple[int, str]] = []  # Where each article that opens a page starts.
    pictures: dict[str, tuple[float, float]] = {}
    fills: list[tuple[float, float]] = []  # Each page's text height, and its content height.
    seen: set[str] = set()
    current = ""
    for index, page in enumerate(document.pages):
        page_box = page._page_box
        top = bottom = page_box.content_box_y()
        roots = [b for b in page_box.children if b.element_tag == "html"]  # No margins, notes.
        for box in (d for root in roots for d in root.descendants()):
            element = box.element
            if element is None:
                continue
            name = element.get("id") or ""
            if box.element_tag == "article" and name and name not in seen:
                seen.add(name)
                current = name
                if "opens" in (element.get("class") or "").split():
                    starts.append((index, name))
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                bottom = max(bottom, box.position_y + box.margin_height())
            if isinstance(box, boxes.ReplacedBox) and "lead-picture" in (
                element.get("class") or ""
            ):
                pictures.setdefault(current, (box.width, box.height))
        fills.append((bottom - top, page_box.height))
    found: dict[str, tuple[float, float, float]] = {}
    for number, (first, name) in enumerate(starts):
        last = starts[number + 1][0] - 1 if number + 1 < len(starts) else len(fills) - 1
        used, height = fills[last]
        if last > first and name in pictures and used < below * height:
            found[name] = (used, *pictures[name])
    return found
