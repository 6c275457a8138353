"""Page fill: a feature whose last page would hold a few lines has its lead photograph cropped
by their height, which brings them back (one pass and pieces alike)."""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pages import fullness, pdfs_by_mode

from conftest import ROOT

MARGINS = (20, 17, 21)  # The default theme's A4 text frame (tests/test_magazine.py).


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Eight synthetic features (the benchmark's, ~1,000 words and a photograph each), in one
    pass and in pieces; and in one pass without fitting."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run  # benchmarks/run.py: the synthetic issue

    tmp = tmp_path_factory.mktemp("fit")
    issue = run.make_issue(tmp / "pub" / "issue", 8)
    return pdfs_by_mode(issue, tmp)


def _short_pages(pdf: Path) -> list[int]:
    """Pages (1-based, not the last) less than 35% full."""
    shares = fullness(pdf, MARGINS)[:-1]
    return [number for number, share in enumerate(shares, start=1) if share < 0.35]


def _texts(pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def test_without_fitting_features_end_on_nearly_empty_pages(pdfs: dict[str, Path]) -> None:
    assert len(_short_pages(pdfs["off"])) >= 2


@pytest.mark.parametrize("mode", ["single", "fast"])
def test_fitted_features_leave_no_nearly_empty_page(pdfs: dict[str, Path], mode: str) -> None:
    assert _short_pages(pdfs[mode]) == []
    assert len(_texts(pdfs[mode])) < len(_texts(pdfs["off"]))


def test_one_pass_and_pieces_agree(pdfs: dict[str, Path]) -> None:
    assert _texts(pdfs["fast"]) == _texts(pdfs["single"])


def test_nothing_is_lost(pdfs: dict[str, Path]) -> None:
    """The same words in the text frames as without fitting (page numbers aside: pages went)."""

    def words(pdf: Path) -> list[str]:
        document = pdfium.PdfDocument(pdf)
        found: list[str] = []
        try:
            for page in document:
                width, height = page.get_size()
                top, _, bottom = (mm * 72 / 25.4 for mm in MARGINS)
                text = page.get_textpage().get_text_bounded(0, bottom, width, height - top)
                found += [w for w in text.split() if w.isalpha()]
        finally:
            document.close()
        return sorted(found)

    assert words(pdfs["single"]) == words(pdfs["off"])
