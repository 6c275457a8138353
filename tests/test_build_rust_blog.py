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
    assert titles[0] == "New Year's Rust: A Call for Community Blogposts"
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
