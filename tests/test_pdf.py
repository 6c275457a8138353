"""The PDF edition: contents, links, outline, cover, fonts, tags, page sizes and the email budget.

The example issue is built once per variant for the module; a small "stress" issue made here
(wide table, long code, huge images, footnotes, a pull quote) is laid out at every page size.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import EXAMPLE, link_targets, outline
from masthead import build
from masthead.build import prepare
from masthead.editions.pdf.single import PDF_VARIANTS, finish_html, package_pdf, pdf_variant
from masthead.errors import InputError
from masthead.render.documents import render_pdf

MM = 72 / 25.4  # PDF points per millimetre.


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    result = build(EXAMPLE, out_dir=tmp_path_factory.mktemp("pdf"), formats=["pdf"])
    issue, _ = prepare(EXAMPLE)
    pdf = result.outputs[0]
    return result, issue, PdfReader(pdf), pdf


@pytest.fixture(scope="module")
def archival(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("pdfa")
    result = build(EXAMPLE, out_dir=out, formats=["pdf"], pdf_variant="pdf/a-3b")
    return PdfReader(result.outputs[0])


def _texts(reader: PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _contents_pages(reader: PdfReader, first_article: int) -> range:
    return range(1, first_article)


# Contents, links and outline -------------------------------------------------------------------


def test_contents_numbers_are_the_pages_where_titles_appear(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    texts = _texts(reader)
    starts = {t: page for lvl, t, page in outline(reader) if lvl == 2}
    contents = " ".join(texts[i] for i in _contents_pages(reader, min(starts.values())))
    for article in issue.articles:
        match = re.search(re.escape(article.title) + r" ?\.{3,} ?(\d+)", contents)
        assert match, f"no contents entry with a page number for {article.title!r}"
        printed = int(match.group(1))
        assert article.title in texts[printed - 1], f"{article.title!r} is not on p. {printed}"
        assert printed - 1 == starts[article.title]
        if article.dek:
            assert " ".join(article.dek.split()[:6]) in contents


def test_every_page_after_the_cover_has_its_number_as_folio(example) -> None:  # type: ignore[no-untyped-def]
    _, _, reader, _ = example
    for index, page in enumerate(reader.pages[1:], start=2):
        assert page.extract_text().split()[-1] == str(index), f"page {index} folio"


def test_contents_entries_link_to_their_articles(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    starts = [page for lvl, _, page in outline(reader) if lvl == 2]
    targets = [t for i in _contents_pages(reader, starts[0]) for t in link_targets(reader, i)]
    # Two columns of entries: the links' order on the page is not the reading order.
    assert sorted(targets) == starts
    assert len(starts) == len(issue.articles)


def test_related_items_in_the_issue_link_and_print_their_page(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    texts = _texts(reader)
    starts = {t: page for lvl, t, page in outline(reader) if lvl == 2}
    by_id = {a.id: a for a in issue.articles}
    checked = 0
    for position, article in enumerate(issue.articles):
        first = starts[article.title]
        last = starts[issue.articles[position + 1].title] if position + 1 < len(starts) else None
        # To the page where the next article starts: it may run on after this one's end.
        pages = range(first, last + 1 if last is not None else len(reader.pages))
        text = " ".join(texts[p] for p in pages)
        links = {t for p in pages for t in link_targets(reader, p)}
        for item in article.related:
            if item.target:
                title = by_id[item.target].title
                assert f"{title} — p. {starts[title] + 1}" in text
                assert starts[title] in links
                checked += 1
            elif item.url:
                assert item.url in text.replace(" ", "")  # Printed for readers on paper.
    assert checked >= 4


def test_external_related_items_are_live_links(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    uris = {
        annot.get_object().get("/A", {}).get("/URI")
        for page in reader.pages
        for annot in page.get("/Annots", []) or []
    }
    external = [r.url for a in issue.articles for r in a.related if r.url and not r.target]
    assert external and set(external) <= uris


def test_outline_is_sections_then_articles_in_contents_order(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    marks = outline(reader)
    expected = []
    for section in issue.sections:
        expected.append((1, section.title))
        expected.extend((2, a.title) for a in section.articles)
    assert [(lvl, t) for lvl, t, _ in marks] == expected
    pages = [p for _, _, p in marks]
    assert pages == sorted(pages)


# Cover, articles, footnotes ----------------------------------------------------------------------


def test_cover_has_only_its_own_words(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    text = reader.pages[0].extract_text()
    info = issue.info
    own = [
        f"Vol. {info.volume} · No. {info.number} · November 2026",
        issue.publication.name,
        issue.publication.tagline,
        info.title,
        *info.cover_lines,
    ]
    rest = text.casefold()
    for words in own:
        assert words.casefold() in rest
        rest = rest.replace(words.casefold(), "", 1)
    assert rest.split() == [], f"the cover also says {rest!r} (a folio or running head?)"


def test_articles_open_a_page_with_section_title_dek_and_localised_byline(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    texts = _texts(reader)
    for lvl, title, page in outline(reader):
        if lvl != 2:
            continue
        article = next(a for a in issue.articles if a.title == title)
        text = texts[page]
        assert f"{article.section.upper()} {title}" in text  # The kicker, then the title.
        assert " ".join(article.dek.split()[:5]) in text
        names = " and ".join(article.authors)
        day = f"{article.date.day} {article.date:%B %Y}"
        assert f"By {names} · {day}" in text


def test_running_heads_and_folios_make_spreads(example) -> None:  # type: ignore[no-untyped-def]
    """A left page carries the publication and date, a right page the article running on; none
    where an article opens (its title is right there) nor on the contents. Each at the outer
    edge of its page, as the folio is."""
    *_, pdf = example
    document = pypdfium2.PdfDocument(str(pdf))
    starts = {t: page for lvl, t, page in outline(PdfReader(pdf)) if lvl == 2}
    head = "THE LANTERN · NOVEMBER 2026"
    running, seen = None, {"left": 0, "right": 0}
    for index in range(1, len(document)):
        page = document[index]
        width, height = page.get_size()
        text = page.get_textpage()
        top = text.get_text_bounded(0, height - 20 * 72 / 25.4, width, height).split()
        foot = text.get_text_bounded(0, 0, width, 14 * 72 / 25.4)
        left, right = (
            text.get_text_bounded(*box).strip()
            for box in ((0, 0, width / 2, 14 * 72 / 25.4), (width / 2, 0, width, 14 * 72 / 25.4))
        )
        number, side = index + 1, "left" if (index + 1) % 2 == 0 else "right"
        # The folio, alone at the foot, on the outer half of the page.
        assert foot.strip() == str(number) and (left if side == "left" else right) == str(number)
        opened = [t for t, p in starts.items() if p == index]
        running = opened[-1] if opened else running
        words = " ".join(top)
        if index == 1 or opened:
            assert head not in words and not (running and running in words), f"p. {number}"
            continue
        seen[side] += 1
        expected, other = (head, running) if side == "left" else (running, head)
        assert expected in words and other not in words, f"p. {number}: {words!r}"
        # At the outer edge: the head's text lies in the page's outer half.
        half = (0, 0, width / 2, height) if side == "left" else (width / 2, 0, width, height)
        assert expected in " ".join(text.get_text_bounded(*half).split()), f"p. {number}"
    assert seen["left"] and seen["right"]  # Both kinds of page carry heads.


def test_footnotes_sit_at_the_foot_of_the_page_that_cites_them(example) -> None:  # type: ignore[no-untyped-def]
    _, _, reader, _ = example
    texts = _texts(reader)
    note = "Robins and blackbirds are quick to learn that a trap means breakfast."
    cited = [i for i, t in enumerate(texts) if "a robin learns your routine." in t]
    assert len(cited) == 1
    page = texts[cited[0]]
    assert note in page
    assert page.index(note) > page.index("a robin learns your routine.")
    assert "↩" not in " ".join(texts)


def test_drop_cap_and_end_marks(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    texts = _texts(reader)
    assert sum(t.count("■") for t in texts) == len(issue.articles)
    # The first article opens with a drop cap ("A", drawn first) and small capitals.
    assert texts[2].startswith("A ") and "t a quarter to four" in texts[2]


# Fonts, tags, variants, metadata ----------------------------------------------------------------


def _fonts(resources, seen: set[int]):  # type: ignore[no-untyped-def]
    """Every font dictionary under a resources dictionary, forms included."""
    resources = resources.get_object() if resources is not None else {}
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        ref = getattr(xobject, "idnum", None)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and ref not in seen:
            seen.add(ref)
            yield from _fonts(xobject.get("/Resources"), seen)


def test_every_font_is_embedded_and_subset(example) -> None:  # type: ignore[no-untyped-def]
    _, _, reader, _ = example
    names = set()
    seen: set[int] = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), seen):
            descendant = font
            if "/DescendantFonts" in font:
                descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            assert re.match(r"/[A-Z]{6}\+", font["/BaseFont"]), font["/BaseFont"]
            names.add(str(font["/BaseFont"]).split("+")[1])
    assert {"EB-Garamond", "Inter"} <= names


def _xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def _struct_tags(reader: PdfReader) -> list[tuple[str, str]]:
    """(structure type, alt text) in document order."""
    found: list[tuple[str, str]] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
            return
        if not hasattr(node, "get"):
            return
        if node.get("/Type") == "/StructElem":
            found.append((str(node["/S"])[1:], str(node.get("/Alt", ""))))
        if "/K" in node:
            walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_default_pdf_is_tagged_pdf_ua(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert 'pdfuaid:part="1"' in _xmp(reader)
    tags = _struct_tags(reader)
    figures = [alt for tag, alt in tags if tag == "Figure"]
    images = 1 + sum(len(a.assets) for a in issue.articles)  # The cover art and every image.
    assert len(figures) >= images and all(figures)
    levels = [int(tag[1]) for tag, _ in tags if re.fullmatch(r"H[1-6]", tag)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_archival_variant_is_pdf_a_3b_and_still_tagged(archival) -> None:  # type: ignore[no-untyped-def]
    xmp = _xmp(archival)
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    root = archival.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/StructTreeRoot" in root
    assert len(archival.trailer["/ID"]) == 2


def test_unknown_variant_is_refused() -> None:
    assert pdf_variant(None) == "pdf/ua-1"
    assert pdf_variant("PDF/A-3B") == "pdf/a-3b"
    assert "none" in PDF_VARIANTS
    with pytest.raises(InputError, match="pdf/a-3b"):
        pdf_variant("pdf/x-4")


def test_metadata_from_the_issue(example) -> None:  # type: ignore[no-untyped-def]
    _, issue, reader, _ = example
    meta = reader.metadata
    assert meta.title == issue.full_title
    assert meta.author == ", ".join(dict.fromkeys(n for a in issue.articles for n in a.authors))
    assert meta.subject == issue.info.description
    assert {t for a in issue.articles for t in a.tags} == set(meta["/Keywords"].split(", "))
    assert meta["/CreationDate"].startswith("D:20261101") and meta["/Creator"] == "masthead"
    assert str(reader.trailer["/ID"][0]) == issue.identifier


def test_two_builds_are_byte_identical(example, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, _, pdf = example
    again = build(EXAMPLE, out_dir=tmp_path, formats=["pdf"])
    assert again.outputs[0].read_bytes() == pdf.read_bytes()


def test_example_is_small_and_clean(example) -> None:  # type: ignore[no-untyped-def]
    result, _, reader, pdf = example
    assert pdf.stat().st_size < 2_000_000
    assert result.warnings == ()
    assert len(reader.pages) == result.pdf_pages


def test_first_pages_render_with_ink(example) -> None:  # type: ignore[no-untyped-def]
    _, _, _, pdf = example
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index, dark_background in ((0, True), (1, False), (2, False)):
            image = document[index].render(scale=30 / 72).to_pil().convert("L")
            histogram = image.histogram()
            dark = sum(histogram[:96]) / sum(histogram)
            assert image.getextrema()[0] < 60 and image.getextrema()[1] > 200, index
            assert (dark > 0.5) == dark_background, (index, dark)
    finally:
        document.close()


# A made-up issue that pushes the layout: every page size -----------------------------------------

LONG = (
    "The night shift begins when the last office light goes out and the first delivery van "
    "turns into the square, and it goes on long after anyone has thought to count the hours. "
)
WIDE_TABLE = "\n".join(
    [
        "| " + " | ".join(f"Column {i}" for i in range(8)) + " |",
        "|" + "---|" * 8,
        *(
            "| " + " | ".join(f"value-{r}-{c}-" + "x" * (4 + 3 * c) for c in range(8)) + " |"
            for r in range(6)
        ),
    ]
)
CODE = "```\n" + "let a_very_long_identifier = " + "call(" * 30 + ")" * 30 + ";\n" * 3 + "```"
URL = "https://example.org/" + "a-path-that-goes-on-and-on/" * 8


def _stress_issue(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    # Larger than 200 dpi at every page width; noise so that JPEG cannot make it small.
    Image.effect_noise((1800, 1200), 60).convert("RGB").save(root / "images" / "wide.jpg")
    Image.linear_gradient("L").resize((300, 1500)).save(root / "images" / "tall.png")
    (root.parent / "publication.toml").write_text(
        'name = "Night Shift Weekly"\nlanguage = "en-US"\npublisher = "Test Press"\n'
    )
    (root / "issue.toml").write_text(
        '[issue]\nnumber = 12\ndate = 2026-12-01\ntitle = "Long Lines"\n'
        'cover_image = "images/wide.jpg"\n'
        '[[sections]]\ntitle = "Reports"\narticles = ["one.md", "two.md"]\n'
        '[[sections]]\ntitle = "Notes"\narticles = ["three.md"]\n'
    )
    (root / "one.md").write_text(
        "---\ntitle: The Long Night\ndek: A test of everything at once.\nauthor: Ada Test\n"
        "date: 2026-11-20\npull_quote: Nobody counts the hours after midnight.\n"
        "image: images/wide.jpg\nimage_alt: Noise\nimage_caption: A caption.\n"
        "image_credit: 'Photo: Nobody'\nrelated:\n  - The Short Note\n"
        f"  - {{title: Far away, url: '{URL}'}}\n---\n\n"
        + "\n\n".join(f"{LONG * 3} Paragraph {i}.[^{i % 2 + 1}]" for i in range(1, 9))
        + "\n\n[^1]: The first note, cited twice.\n\n[^2]: The second note.\n\n"
        "    It has a second paragraph.\n"
    )
    (root / "two.md").write_text(
        "---\ntitle: Tables and Code\nauthor: Bo Test\n---\n\n"
        f"{LONG}\n\n{WIDE_TABLE}\n\n{CODE}\n\nSee {URL} for more.\n\n"
        '![A tall picture](images/tall.png "A caption under a tall, narrow picture, long enough '
        'to wrap")\n\n'
        f"![A wide picture](images/wide.jpg)\n\n{LONG}\n"
    )
    (root / "three.md").write_text(f"---\ntitle: The Short Note\n---\n\n{LONG}\n")
    return root


@pytest.fixture(scope="module")
def stress(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _stress_issue(tmp_path_factory.mktemp("stress") / "no-12")


@pytest.fixture(scope="module")
def stress_pdf(stress: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The stress issue's PDF at a page size, built once per size."""
    built: dict[str, object] = {}

    def at(size: str):  # type: ignore[no-untyped-def]
        if size not in built:
            out = tmp_path_factory.mktemp(f"stress-{size}")
            built[size] = build(stress, out_dir=out, formats=["pdf"], page_size=size)
        return built[size]

    return at


def _chars_outside(pdf: Path) -> int:
    document = pypdfium2.PdfDocument(pdf)
    outside = 0
    try:
        for page in document:
            width, height = page.get_size()
            text = page.get_textpage()
            for index in range(text.count_chars()):
                left, bottom, right, top = text.get_charbox(index)
                if left < -0.5 or right > width + 0.5 or bottom < -0.5 or top > height + 0.5:
                    outside += 1
    finally:
        document.close()
    return outside


def _image_widths(reader: PdfReader) -> list[int]:
    widths = []
    for page in reader.pages:
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image":
                widths.append(int(xobject["/Width"]))
    return widths


@pytest.mark.parametrize(
    ("size", "points"),
    [("a4", (595, 842)), ("letter", (612, 792)), ("a5", (420, 595)), ("tablet", (432, 648))],
)
def test_layout_holds_at_every_page_size(stress_pdf, size, points) -> None:  # type: ignore[no-untyped-def]
    result = stress_pdf(size)
    assert [str(w) for w in result.warnings] == []
    reader = PdfReader(result.outputs[0])
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == points
    assert _chars_outside(result.outputs[0]) == 0  # Tables, code and URLs wrap inside the page.
    # Images are downsampled to about 200 dpi at the size they are printed.
    # The cover art fills the page, cropped: as tall as the page, so as wide as its proportions
    # (3:2 here) make it.
    widest = max(points[0] / 72 + 1, points[1] / 72 * 1.5) * 200
    assert _image_widths(reader) and max(_image_widths(reader)) <= widest
    texts = _texts(reader)
    starts = {t: p for lvl, t, p in outline(reader) if lvl == 2}
    assert list(starts) == ["The Long Night", "Tables and Code", "The Short Note"]
    # Both footnotes are at the foot of pages; the one cited twice is numbered once.
    joined = " ".join(texts)
    assert joined.count("The first note, cited twice.") == 1
    assert "The second note. It has a second paragraph." in joined
    # The pull quote stands between paragraphs, after the opening ones.
    quote = joined.index("Nobody counts the hours after midnight.")
    assert joined.index("Paragraph 2.") < quote < joined.index("Paragraph 8.")
    assert URL in joined.replace(" ", "")
    assert f"The Short Note — p. {starts['The Short Note'] + 1}" in joined


def test_articles_can_run_on(stress: Path, stress_pdf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issue = (stress / "issue.toml").read_text()
    # One column: after a multi-column body broken across pages, WeasyPrint 70 can move what
    # follows to a new page even with room left (seen with this issue's tables and notes).
    (stress / "issue.toml").write_text(
        issue + '[publication]\narticle_break = "none"\ncolumns = 1\n'
    )
    try:
        result = build(stress, out_dir=tmp_path, formats=["pdf"], page_size="a4")
    finally:
        (stress / "issue.toml").write_text(issue)
    reader = PdfReader(result.outputs[0])
    texts = _texts(reader)
    starts = [(t, p) for lvl, t, p in outline(reader) if lvl == 2]
    # Articles start on the page where the one before ends (its ■), unless its last lines
    # and related reading fill that page.
    run_on = [
        title
        for title, page in starts[1:]
        if "■" in texts[page] and texts[page].index("■") < texts[page].index(title)
    ]
    assert len(run_on) >= len(starts) // 2, (run_on, starts)
    assert len(reader.pages) <= stress_pdf("a4").pdf_pages  # "auto" runs short pieces on too.


def test_email_limit_warns(stress: Path) -> None:
    issue, _ = prepare(stress)
    small = dataclasses.replace(
        issue, publication=dataclasses.replace(issue.publication, email_limit_mb=0.01)
    )
    out = package_pdf(small, render_pdf(small, "A5"), "none")
    assert [w.message for w in out.warnings if "email limit" in w.message] == [
        f"PDF is {len(out.data) / 1_000_000:.1f} MB, over the 0.01 MB email limit "
        "(email_limit_mb): use smaller images or raise the limit"
    ]
    assert "/StructTreeRoot" not in PdfReader(io.BytesIO(out.data)).trailer["/Root"]


def test_finish_html_keeps_ids_and_moves_notes() -> None:
    body = (
        '<html><body><div class="article-body" data-footnotes="page" data-drop-cap data-end-mark>'
        f'<p id="a--b1">“{LONG * 2}<sup class="footnote-ref"><a href="#a--fn1">[1]</a></sup></p>'
        '<p id="a--b2">Two.</p><p id="a--b3">Three.</p><ul id="a--b4"><li>Last item</li></ul>'
        '<hr class="footnotes-sep"><section class="footnotes"><ol class="footnotes-list">'
        '<li id="a--fn1" class="footnote-item"><p id="a--b5">Note. '
        '<a href="#a--fnref1" class="footnote-backref">↩︎</a></p></li></ol></section>'
        "</div></body></html>"
    )
    out = finish_html(body)
    assert '<span class="drop-cap">“T</span><span class="lead-in">he night shift</span>' in out
    assert '<span class="footnote" id="a--fn1"><span id="a--b5" class="footnote-para">' in out
    assert "footnotes-sep" not in out and "↩" not in out
    assert all(f'id="a--b{i}"' in out for i in range(1, 6))
    assert 'Last item<span class="end-mark" aria-hidden="true">■</span>' in out


def test_drop_caps_can_be_turned_off(stress: Path) -> None:
    issue, _ = prepare(stress)
    assert "data-drop-cap" in render_pdf(issue, "A4").html
    plain = dataclasses.replace(
        issue, publication=dataclasses.replace(issue.publication, drop_caps=False)
    )
    html = finish_html(render_pdf(plain, "A4").html)
    assert "drop-cap" not in html.split("</style>")[1]


def test_article_break_is_checked(stress: Path) -> None:
    issue = (stress / "issue.toml").read_text()
    (stress / "issue.toml").write_text(issue + '[publication]\narticle_break = "sometimes"\n')
    try:
        with pytest.raises(InputError, match="article_break") as error:
            prepare(stress)
    finally:
        (stress / "issue.toml").write_text(issue)
    assert error.value.line == issue.count("\n") + 2
    assert "page, section, none" in str(error.value)
