"""Measuring laid-out pages as a reader sees them: characters a line from the PDF's text
positions, how full each page is from a rendering, where drawn objects sit (pypdfium2)."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MM = 72 / 25.4  # PDF points in a millimetre.


@dataclass(frozen=True)
class Line:
    page: int  # 0-based.
    left: float  # PDF points from the page's left edge.
    right: float
    size: float  # Font size of its characters, points.
    text: str


def text_lines(path: Path, size: float, first_page: int = 1) -> list[Line]:
    """Lines of text mostly set at `size` points (± 0.1; inline code and other smaller type
    count along), split into columns at gaps wider than 3 mm.
    (PDFium reports WeasyPrint's font sizes in CSS pixels.)"""
    size = size * 4 / 3
    pdf = pdfium.PdfDocument(path)
    lines: list[Line] = []
    try:
        for index in range(first_page, len(pdf)):
            textpage = pdf[index].get_textpage()
            rows: dict[int, list[tuple[float, float, str]]] = {}
            for i in range(textpage.count_chars()):
                char = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
                char_size = pdfium_c.FPDFText_GetFontSize(textpage, i)
                if not 0.7 * size <= char_size <= size + 0.15:
                    continue
                if char in "\r\n\ufffe\x02":
                    continue
                x = ctypes.c_double()
                y = ctypes.c_double()
                pdfium_c.FPDFText_GetCharOrigin(textpage, i, x, y)
                left, _, right, _ = textpage.get_charbox(i)
                at_size = abs(char_size - size) <= 0.15
                rows.setdefault(round(y.value), []).append((left, right, char, at_size))
            for chars in rows.values():
                chars.sort()
                runs: list[list[tuple[float, float, str, bool]]] = [[]]
                for char in chars:
                    if runs[-1] and char[0] - runs[-1][-1][1] > 3 * MM:
                        runs.append([])
                    runs[-1].append(char)
                for run in runs:
                    if run and sum(c[3] for c in run) * 2 > len(run):  # Mostly body type.
                        lines.append(_line(index, run, size))
    finally:
        pdf.close()
    return lines


def _line(page: int, run: list[tuple[float, float, str, bool]], size: float) -> Line:
    text = "".join(c[2] for c in run)
    return Line(page, run[0][0], max(c[1] for c in run), size, text)


def full_lines(lines: list[Line]) -> list[Line]:
    """The lines that run the whole measure (justified lines, not a paragraph's last line):
    those within 2 pt of the widest line that starts where they start, where at least four
    lines of the page start (a column's edge, not the lines beside a drop cap)."""
    widest: dict[tuple[int, int], float] = {}
    count: dict[tuple[int, int], int] = {}
    for line in lines:
        key = (line.page, round(line.left))
        widest[key] = max(widest.get(key, 0), line.right - line.left)
        count[key] = count.get(key, 0) + 1
    return [
        line
        for line in lines
        if line.right - line.left >= widest[(line.page, round(line.left))] - 2
        and widest[(line.page, round(line.left))] > 40 * MM
        and count[(line.page, round(line.left))] >= 4
    ]


def characters(line: Line) -> int:
    """Characters of a line as a reader counts them: letters, spaces and punctuation; a
    hyphen added at a break counts."""
    return len(" ".join(line.text.split()))


def fullness(path: Path, margins_mm: tuple[float, float, float], dpi: float = 30) -> list[float]:
    """How full each page's text frame is, 0 to 1: the share of its height with ink in it
    (within a line's reach), the mean of its left and right halves so that one full column
    of two counts as half a page."""
    top, side, bottom = margins_mm
    pdf = pdfium.PdfDocument(path)
    out: list[float] = []
    try:
        for index in range(len(pdf)):
            bitmap = pdf[index].render(scale=dpi / 72, grayscale=True)
            image = np.asarray(bitmap.to_pil().convert("L"))
            height, width = image.shape
            px = dpi / 25.4
            frame = image[
                int(top * px) : height - int(bottom * px), int(side * px) : width - int(side * px)
            ]
            ink = frame < 200
            reach = max(1, int(4 * px))
            halves = (ink[:, : ink.shape[1] // 2], ink[:, ink.shape[1] // 2 :])
            shares = []
            for half in halves:
                rows = half.any(axis=1).astype(np.uint8)
                shares.append(float((np.convolve(rows, np.ones(2 * reach + 1), "same") > 0).mean()))
            out.append(sum(shares) / 2)
    finally:
        pdf.close()
    return out


def object_extents(path: Path, first_page: int = 1) -> list[tuple[int, float, float, float]]:
    """(page, left, right, page width) of every drawn object, in points, from the second page on."""
    pdf = pdfium.PdfDocument(path)
    out: list[tuple[int, float, float, float]] = []
    try:
        for index in range(first_page, len(pdf)):
            page = pdf[index]
            width = page.get_width()
            # The page's own objects; a picture drawn as a form counts whole (PDFium gives the
            # objects inside a form without the form's clip).
            for obj in page.get_objects(max_depth=1):
                left, _, right, _ = obj.get_bounds()
                out.append((index, left, right, width))
    finally:
        pdf.close()
    return out


def pdfs_by_mode(issue: Path, out: Path) -> dict[str, Path]:
    """The issue's PDF laid out in one pass ("single"), in pieces ("fast"), and in one pass
    without the layout's second looks ("off": no hyphen ladders undone, no photograph cropped;
    editions/pdf/single.py REFINE_ROUNDS)."""
    import pytest

    from masthead import build
    from masthead.editions.pdf import single

    def pdf(mode: str, name: str) -> Path:
        result = build(issue, out_dir=out / name, formats=("pdf",), pdf_mode=mode, use_cache=False)
        return next(p for p in result.outputs if p.suffix == ".pdf")

    found = {mode: pdf(mode, mode) for mode in ("single", "fast")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(single, "REFINE_ROUNDS", 0)
        found["off"] = pdf("single", "off")
    return found
