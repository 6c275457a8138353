"""Real-world content nobody here wrote: the Rust blog's 2018 posts as a zero-config issue."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from conftest import RUST_BLOG, epubcheck, findings, need_shared, outline
from masthead import build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = need_shared(RUST_BLOG)
    return build(folder, out_dir=tmp_path_factory.mktemp("rust"), title="Rust Blog 2018")


def test_epubcheck_reports_nothing(built) -> None:  # type: ignore[no-untyped-def]
    assert findings(epubcheck(built.outputs[0])) == []


def test_every_post_is_in_the_pdf_in_date_order(built) -> None:  # type: ignore[no-untyped-def]
    reader = PdfReader(built.outputs[1])
    titles = [t for lvl, t, _ in outline(reader) if lvl == 2]
    assert len(titles) == 35
    assert titles[0] == "New Year’s Rust: A Call for Community Blogposts"  # Typeset apostrophe.
    assert titles[-1] == "Procedural Macros in Rust 2018"
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for title in titles:
        assert title in text


def test_images_of_every_kind_are_carried(built) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    with zipfile.ZipFile(built.outputs[0]) as zf:
        images = [n for n in zf.namelist() if n.startswith("EPUB/images/")]
    assert {n.rsplit(".", 1)[1] for n in images} >= {"png", "gif"}
    assert len(images) >= 30


def test_pages_are_full_and_measured(built) -> None:  # type: ignore[no-untyped-def]
    """Two columns of 50-75 characters; at most 3% of pages (not the last) under 35% full:
    posts without art run on after the one before instead of leaving a page nearly empty."""
    from pages import characters, full_lines, fullness, text_lines

    pdf = built.outputs[1]
    shares = fullness(pdf, (20, 17, 21))[:-1]
    sparse = [i + 1 for i, share in enumerate(shares) if share < 0.35]
    assert len(sparse) <= 0.03 * len(shares), sparse
    counts = sorted(characters(line) for line in full_lines(text_lines(pdf, 10.25)))
    assert len(counts) > 1000
    # All but a line in fifty: a line before an unbreakable path or URL in code is set loose,
    # and a one-line list item is as wide as its measure.
    measured = [c for c in counts if 50 <= c <= 75]
    assert len(measured) >= 0.98 * len(counts) and counts[-1] <= 80, (counts[:3], counts[-3:])
    assert 55 <= counts[len(counts) // 2] <= 66


def test_code_is_highlighted_in_colour(built) -> None:  # type: ignore[no-untyped-def]
    """Keywords in the print palette's blue (#1d4d8f) on the pages with Rust code."""
    import numpy as np
    import pypdfium2

    pdf = pypdfium2.PdfDocument(built.outputs[1])
    coloured = 0
    for index in range(len(pdf)):
        image = np.asarray(pdf[index].render(scale=2).to_pil().convert("RGB")).astype(int)
        near = np.abs(image - np.array([0x1D, 0x4D, 0x8F])).sum(axis=2) < 40
        coloured += int(near.sum() > 20)
    pdf.close()
    assert coloured >= 10
