"""Page numbers set into the placeholders and folio marks of the joined pages' own text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from masthead.editions.pdf.pieces import (
    DIGITS,
    FIGURE_SPACE,
    FOLIO_MARK,
    Glyphs,
    Laid,
    NotApplicable,
    Placeholder,
)
from masthead.editions.pdf.structure import as_list


def stamp_ok(place: Placeholder, number: int) -> bool:
    """Whether a number can go into its placeholder and set exactly as a real layout would."""
    width = sum(place.digit_widths[int(d)] for d in str(number))
    return place.exact and width <= place.width + 0.01


def set_numbers(out: Any, laid: Sequence[Laid], numbers: dict[str, int], tagged: bool) -> None:
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
        data = b"".join(stream.read_bytes() for stream in (as_list(contents) if contents else ()))
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


def _placeholder_text(
    data: bytes, glyphs: Glyphs, marker: str, taken: list[tuple[int, int]]
) -> Any:
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
