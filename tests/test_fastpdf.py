"""The fast PDF (articles laid out apart, then joined) against one WeasyPrint pass."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, link_targets, outline, structure, structure_problems
from masthead import build
from masthead.build import prepare
from masthead.editions.pdf import fast as fastpdf
from masthead.editions.pdf.single import package_pdf, page_size_css
from masthead.render.documents import places, render_pdf


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


def _without(words: list[str], folio: int) -> list[str]:
    """The words without (the first occurrence of) the page's folio."""
    words = list(words)
    if str(folio) in words:
        words.remove(str(folio))
    return words


def test_same_pages_and_text(pair) -> None:  # type: ignore[no-untyped-def]
    _, single, fast, _ = pair
    one, two = PdfReader(io.BytesIO(single.data)), PdfReader(io.BytesIO(fast.data))
    assert fast.pages == single.pages == len(one.pages) == len(two.pages)
    assert fast.page_map == single.page_map
    for number, (a, b) in enumerate(zip(one.pages, two.pages, strict=True), start=1):
        words_a, words_b = _words(a), _words(b)
        # Every word and number on every page, each as often...
        assert Counter(words_a) == Counter(words_b), f"page {number}"
        # ...and in the same order, "p. N" too (set in its own text); only the folio, which
        # the overlay draws, may come elsewhere in the page's text.
        assert _without(words_a, number) == _without(words_b, number), f"page {number}"


def _same_pixels(one_pdf: bytes, two_pdf: bytes) -> None:
    import pypdfium2
    from PIL import ImageChops

    one, two = pypdfium2.PdfDocument(one_pdf), pypdfium2.PdfDocument(two_pdf)
    assert len(one) == len(two)
    for index in range(len(one)):
        a = one[index].render(scale=1.5).to_pil().convert("L")
        b = two[index].render(scale=1.5).to_pil().convert("L")
        # Every pixel: glyph widths are the fonts' own in pieces and in one pass alike
        # (weasy.unit_widths), so no glyph sits a hundredth of a point away.
        assert ImageChops.difference(a, b).getbbox() is None, f"page {index + 1}"


def test_same_pixels(pair) -> None:  # type: ignore[no-untyped-def]
    """The stamped folios and page numbers sit exactly where one pass draws them."""
    _, single, fast, _ = pair
    _same_pixels(single.data, fast.data)


@pytest.fixture(scope="module")
def tagged_pair():  # type: ignore[no-untyped-def]
    """The example issue as tagged PDF/UA-1, in one pass and the fast way."""
    issue, _ = prepare(EXAMPLE)
    rendered = _rendered(issue)
    single = package_pdf(issue, rendered, "pdf/ua-1")
    fast = fastpdf.build_fast(issue, rendered.html, variant="pdf/ua-1", jobs=2)
    return single, fast


def test_tagged_same_pages_text_and_pixels(tagged_pair) -> None:  # type: ignore[no-untyped-def]
    single, fast = tagged_pair
    one, two = PdfReader(io.BytesIO(single.data)), PdfReader(io.BytesIO(fast.data))
    assert len(one.pages) == len(two.pages) == single.pages
    for number, (a, b) in enumerate(zip(one.pages, two.pages, strict=True), start=1):
        words_a, words_b = _words(a), _words(b)
        assert Counter(words_a) == Counter(words_b), f"page {number}"
        assert _without(words_a, number) == _without(words_b, number), f"page {number}"
    assert outline(two) == outline(one)
    _same_pixels(single.data, fast.data)


def test_tagged_same_structure_tree(tagged_pair) -> None:  # type: ignore[no-untyped-def]
    """The joined structure tree is one pass's: every element, in order, with its alt text and
    its marked content; every reference in it holds (parents, pages, MCIDs, links)."""
    single, fast = tagged_pair
    one, two = pikepdf.open(io.BytesIO(single.data)), pikepdf.open(io.BytesIO(fast.data))
    tree_one, tree_two = structure(one), structure(two)
    assert len(tree_one) > 500
    assert tree_two == tree_one
    assert two.Root.MarkInfo.Marked and str(two.Root.Lang) == str(one.Root.Lang)
    assert "pdfuaid" in str(two.open_metadata())
    problems_one, problems_two = structure_problems(one), structure_problems(two)
    # One pass: WeasyPrint tags the margin boxes' text outside the tree, and nothing else is
    # wrong. The pieces' running heads and folios are drawn by the overlay as artifacts, left
    # and right pages being known only at the join (sides.py): nothing outside the tree.
    assert problems_one and all("outside the tree" in p for p in problems_one)
    assert problems_two == []


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
        fastpdf.split(html.replace('class="break-auto"', 'class="break-none"', 1))
    with pytest.raises(fastpdf.NotApplicable):
        fastpdf.split(html.replace("@page cover", "@page :first", 1))
    with pytest.raises(fastpdf.NotApplicable):
        fastpdf.build_fast(issue, html, variant="pdf/a-3b", jobs=1)
    # "auto": a piece for each article that starts a page, with those that run on after it.
    names = [chunk.name for chunk in fastpdf.split(html)]
    assert names == ["front", *(p.article.id for p in places(issue) if p.opens)]
    assert len(names) < len(issue.articles) + 1
    every = fastpdf.split(html.replace('class="break-auto"', 'class="break-page"', 1))
    assert [chunk.name for chunk in every] == ["front", *(a.id for a in issue.articles)]


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


def test_tagged_tables_keep_their_headers_apart(tmp_path: Path) -> None:
    """Table header ids are made per piece (from PDF object numbers, so two like articles get
    the same ones): the join keeps them unique, and every cell still names its own headers."""
    rows = "\n".join(f"| Tide {i} | {i * 3} |" for i in range(1, 4))
    for n in range(1, 5):
        (tmp_path / f"table-{n}.md").write_text(
            f"+++\ntitle = 'Table {'ABCD'[n - 1]}'\ndate = 2026-11-0{n}\n+++\n\n"
            f"A short table follows.\n\n| Tide | Height |\n| --- | --- |\n{rows}\n"
        )
    issue, _ = prepare(tmp_path, title="Tables")
    rendered = _rendered(issue)
    single = package_pdf(issue, rendered, "pdf/ua-1")
    fast = fastpdf.build_fast(issue, rendered.html, variant="pdf/ua-1", jobs=1)
    one, two = pikepdf.open(io.BytesIO(single.data)), pikepdf.open(io.BytesIO(fast.data))
    assert structure(two) == structure(one)
    ids: list[str] = []
    headers: list[str] = []
    stack = list(two.Root.StructTreeRoot.K)
    while stack:
        element = stack.pop()
        if not isinstance(element, pikepdf.Dictionary):
            continue
        if "/ID" in element:
            ids.append(str(element.ID))
        attributes = element.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
            headers += [str(h) for h in attributes.Headers]
        kids = element.get("/K")
        stack += list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert len(headers) == 24 and set(headers) <= set(ids)


def test_two_builds_in_one_process_each_embed_their_fonts() -> None:
    """Pieces laid out in this process (one job) send each font file once per build: a second
    build without a cache folder still has every font to subset."""
    issue, _ = prepare(EXAMPLE)
    html = _rendered(issue).html
    first = fastpdf.build_fast(issue, html, jobs=1)
    second = fastpdf.build_fast(issue, html, jobs=1)
    assert second.pages == first.pages and second.data == first.data


def _with_theme(tmp_path: Path, *edits: tuple[str, str]):  # type: ignore[no-untyped-def]
    """The example issue with the default stylesheet edited (each `old` must be there), laid out
    in one pass and the fast way (untagged): (one pass, fast)."""
    from masthead.render.theme import default_theme_dir

    shutil.copytree(EXAMPLE.parent, tmp_path / "pub")
    style = (default_theme_dir() / "pdf" / "style.css").read_text()
    for old, new in edits:
        assert old in style
        style = style.replace(old, new)
    (tmp_path / "pub" / "templates" / "pdf").mkdir(parents=True)
    (tmp_path / "pub" / "templates" / "pdf" / "style.css").write_text(style)
    issue, _ = prepare(tmp_path / "pub" / EXAMPLE.name)
    rendered = _rendered(issue)
    return package_pdf(issue, rendered, "none"), fastpdf.build_fast(issue, rendered.html, jobs=1)


def _overlaid(data: bytes) -> bool:
    """Whether any page carries the overlay (see fastpdf.join)."""
    return any(
        str(name).startswith("/MastheadOverlay")
        for page in pikepdf.open(io.BytesIO(data)).pages
        for name in page.Resources.get("/XObject", pikepdf.Dictionary()).keys()  # noqa: SIM118
    )


@pytest.mark.parametrize("side", ["right", "left"])
def test_folios_with_words_on_either_side_are_set_in_place(tmp_path: Path, side: str) -> None:
    """A theme's folio "Page N" at the bottom right (or left): the number set into the piece's
    own text, the text moved as the margin box aligns it, the same pixels as one pass."""
    single, fast = _with_theme(
        tmp_path,
        # No left and right pages: the folio on every page, in the base rule.
        ('{% for side in ("left", "right") %}', "{% for side in () %}"),
        (
            "@page {\n  size: {{ page_size }};",
            "@page {\n  size: {{ page_size }};\n"
            f'  @bottom-{side} {{ content: "Page " counter(page, {{{{ page_counter }}}}); '
            f"font: 500 7.5pt Inter; vertical-align: top; padding-top: 7mm; text-align: {side}; }}",
        ),
    )
    assert "Page 8" in PdfReader(io.BytesIO(fast.data)).pages[7].extract_text()
    assert not _overlaid(fast.data)  # Every number is the piece's own text.
    _same_pixels(single.data, fast.data)


def test_folios_in_roman_numerals_come_from_the_overlay(tmp_path: Path) -> None:
    """A folio that cannot be set as decimal digits (here lower-roman) is left out of its piece
    and drawn by the overlay, still exactly where one pass draws it."""
    single, fast = _with_theme(
        tmp_path,
        ("content: counter(page, {{ page_counter }});", "content: counter(page, lower-roman);"),
    )
    assert "viii" in PdfReader(io.BytesIO(fast.data)).pages[7].extract_text().split()
    assert _overlaid(fast.data)
    _same_pixels(single.data, fast.data)
