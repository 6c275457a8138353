"""The fast PDF (articles laid out apart, then joined) against one WeasyPrint pass."""

from __future__ import annotations

import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, link_targets, outline
from masthead import build, fastpdf
from masthead.build import prepare
from masthead.pdf import package_pdf, page_size_css
from masthead.render import render_pdf

NUMBER = re.compile(r"^\d+$")


def _rendered(issue):  # type: ignore[no-untyped-def]
    return render_pdf(issue, page_size_css(issue.publication.page_size))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The example issue, untagged, in one pass and the fast way (two workers, a cache)."""
    issue, _ = prepare(EXAMPLE)
    rendered = _rendered(issue)
    single = package_pdf(issue, rendered, "none")
    cache = tmp_path_factory.mktemp("chunks")
    fast = fastpdf.build_fast(issue, rendered.html, jobs=2, cache_dir=cache)
    for file, data in fast.cache_files.items():
        file.write_bytes(data)
    return issue, single, fast, cache


def _words(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.extract_text().split()


def test_same_pages_and_text(pair) -> None:  # type: ignore[no-untyped-def]
    _, single, fast, _ = pair
    one, two = PdfReader(io.BytesIO(single.data)), PdfReader(io.BytesIO(fast.data))
    assert fast.pages == single.pages == len(one.pages) == len(two.pages)
    assert fast.page_map == single.page_map
    for number, (a, b) in enumerate(zip(one.pages, two.pages, strict=True), start=1):
        words_a, words_b = _words(a), _words(b)
        # Every word and number on every page, each as often...
        assert Counter(words_a) == Counter(words_b), f"page {number}"
        # ...and the words in the same order: only the stamped numbers (folio, "p. N") may come
        # later in the page's text.
        assert [w for w in words_a if not NUMBER.match(w)] == [
            w for w in words_b if not NUMBER.match(w)
        ], f"page {number}"


def test_same_pixels(pair) -> None:  # type: ignore[no-untyped-def]
    """The stamped folios and page numbers sit exactly where one pass draws them."""
    import pypdfium2
    from PIL import ImageChops

    _, single, fast, _ = pair
    one, two = pypdfium2.PdfDocument(single.data), pypdfium2.PdfDocument(fast.data)
    for index in range(len(one)):
        a = one[index].render(scale=1.5).to_pil().convert("L")
        b = two[index].render(scale=1.5).to_pil().convert("L")
        assert ImageChops.difference(a, b).getbbox() is None, f"page {index + 1}"


def test_same_outline_destinations_and_links(pair) -> None:  # type: ignore[no-untyped-def]
    _, single, fast, _ = pair
    one, two = PdfReader(io.BytesIO(single.data)), PdfReader(io.BytesIO(fast.data))
    assert outline(two) == outline(one)
    assert len(outline(one)) >= 6
    dests_one = {k: one.get_destination_page_number(v) for k, v in one.named_destinations.items()}
    dests_two = {k: two.get_destination_page_number(v) for k, v in two.named_destinations.items()}
    assert dests_two == dests_one
    for index in range(len(one.pages)):
        assert link_targets(two, index) == link_targets(one, index), f"page {index + 1}"
    assert any(link_targets(two, index) for index in range(2, len(two.pages)))


def test_a_rebuild_lays_out_nothing_from_the_cache(pair) -> None:  # type: ignore[no-untyped-def]
    issue, _, fast, cache = pair
    again = fastpdf.build_fast(issue, _rendered(issue).html, jobs=2, cache_dir=cache)
    assert again.laid_out == 0
    assert again.data == fast.data


def test_an_edited_article_alone_is_laid_out_again(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.parent, tmp_path / "pub")
    folder = tmp_path / "pub" / EXAMPLE.name
    out = tmp_path / "dist"
    first = build(folder, out_dir=out, formats=("pdf",), pdf_variant="none", pdf_mode="fast")
    assert first.warnings == ()
    moths = folder / "moths.md"
    moths.write_text(moths.read_text().replace("moth", "moth", 1) + "\nOne more line.\n")
    issue, _ = prepare(folder)
    cache = out / ".masthead" / fastpdf.CACHE_DIR / issue.output_stem
    edited = fastpdf.build_fast(issue, _rendered(issue).html, jobs=1, cache_dir=cache)
    # The edited article, and the contents only if page numbers moved.
    assert 1 <= edited.laid_out <= 2
    single = package_pdf(issue, _rendered(issue), "none")
    assert edited.pages == single.pages
    one, two = PdfReader(io.BytesIO(single.data)), PdfReader(io.BytesIO(edited.data))
    for a, b in zip(one.pages, two.pages, strict=True):
        assert Counter(_words(a)) == Counter(_words(b))


def test_not_applicable_where_pieces_would_differ() -> None:
    issue, _ = prepare(EXAMPLE)
    html = _rendered(issue).html
    with pytest.raises(fastpdf.NotApplicable):
        fastpdf.split(html.replace('class="break-page"', 'class="break-none"', 1))
    with pytest.raises(fastpdf.NotApplicable):
        fastpdf.split(html.replace("@page cover", "@page :first", 1))
    with pytest.raises(fastpdf.NotApplicable):
        fastpdf.build_fast(issue, html, variant="pdf/ua-1", jobs=1)
    names = [chunk.name for chunk in fastpdf.split(html)]
    assert names == ["front", *(a.id for a in issue.articles)]


def test_one_pass_given_known_page_numbers_is_the_same_pdf(pair) -> None:  # type: ignore[no-untyped-def]
    """An earlier build's page numbers spare the second layout and change nothing."""
    issue, single, _, _ = pair
    numbers = dict(single.numbers)
    assert numbers and all(isinstance(page, int) for page in numbers.values())
    again = package_pdf(issue, _rendered(issue), "none", known=numbers)
    assert again.data == single.data
    # Wrong numbers are found out and corrected.
    wrong = package_pdf(issue, _rendered(issue), "none", known=dict.fromkeys(numbers, 99))
    assert wrong.data == single.data
