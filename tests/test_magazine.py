"""The default theme as a magazine: measure, columns, page fill, typography, code, covers."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pages import MM, characters, full_lines, fullness, object_extents, text_lines

from conftest import EXAMPLE
from masthead import build
from masthead.build import prepare
from masthead.compose.typography import smart
from masthead.deliver.message import greeting

# Body size and margins (top, side, bottom; mm) of the default theme, as pdf/style.css sets them.
THEME = {
    "a4": (10.25, (20, 17, 21)),
    "tablet": (12, (18, 21, 18)),
}
STRAIGHT = re.compile(r"[\"']")


@pytest.fixture(scope="module")
def example_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example issue, PDF only, on A4 and on a tablet (each laid out once)."""
    out: dict[str, Path] = {}
    for size in THEME:
        folder = tmp_path_factory.mktemp(size)
        result = build(EXAMPLE, out_dir=folder, formats=("pdf",), page_size=size)
        out[size] = next(p for p in result.outputs if p.suffix == ".pdf")
    return out


@pytest.mark.parametrize("size", list(THEME))
def test_body_lines_hold_50_to_75_characters(example_pdfs, size: str) -> None:  # type: ignore[no-untyped-def]
    body, _ = THEME[size]
    lines = full_lines(text_lines(example_pdfs[size], body))
    assert len(lines) > 150, "too few body lines found: the body size changed?"
    counts = sorted(characters(line) for line in lines)
    assert counts[0] >= 50 and counts[-1] <= 75, (counts[:3], counts[-3:])


def test_a4_sets_two_columns_and_a_tablet_one(example_pdfs) -> None:  # type: ignore[no-untyped-def]
    for size, columns in (("a4", 2), ("tablet", 1)):
        body, _ = THEME[size]
        lines = full_lines(text_lines(example_pdfs[size], body))
        lefts = {round(line.left / (30 * MM)) for line in lines}
        assert len(lefts) == columns, (size, lefts)


@pytest.mark.parametrize("size", list(THEME))
def test_pages_are_full(example_pdfs, size: str) -> None:  # type: ignore[no-untyped-def]
    """At most 3% of pages (not the last) under 35% full: short pieces run on."""
    _, margins = THEME[size]
    shares = fullness(example_pdfs[size], margins)[:-1]
    sparse = [i + 1 for i, share in enumerate(shares) if share < 0.35]
    assert len(sparse) <= 0.03 * len(shares), sparse


def test_tablet_body_is_at_least_11_5_pt(example_pdfs) -> None:  # type: ignore[no-untyped-def]
    assert THEME["tablet"][0] >= 11.5
    assert len(text_lines(example_pdfs["tablet"], THEME["tablet"][0])) > 300


@pytest.mark.parametrize("size", list(THEME))
def test_nothing_reaches_the_side_margins(example_pdfs, size: str) -> None:  # type: ignore[no-untyped-def]
    """Code, tables and figures stay inside the text frame (the cover is full bleed)."""
    _, (_, side, _) = THEME[size]
    outside = [
        (page + 1, round(left), round(right))
        for page, left, right, width in object_extents(example_pdfs[size])
        # 2 pt: a drop cap's optical overhang (0.04 em) and a glyph's side bearing.
        if left < side * MM - 2 or right > width - side * MM + 2
    ]
    assert outside == []


def test_capitals_and_small_capitals_copy_as_words(example_pdfs) -> None:  # type: ignore[no-untyped-def]
    pdf = pdfium.PdfDocument(example_pdfs["a4"])
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pdf.close()
    assert "THE LANTERN" in text and "FEATURES" in text and "NOVEMBER 2026" in text
    assert "T H E" not in text and "F E AT" not in text
    assert "a quarter to four" in text  # The lead-in, in small capitals.


def test_no_straight_quotes_on_the_cover_contents_or_heads(example_pdfs) -> None:  # type: ignore[no-untyped-def]
    pdf = pdfium.PdfDocument(example_pdfs["a4"])
    cover, contents = (pdf[i].get_textpage().get_text_range() for i in (0, 1))
    pdf.close()
    assert "city’s" in contents
    assert not STRAIGHT.search(cover + contents)


def test_display_text_is_typeset() -> None:
    issue, _ = prepare(EXAMPLE)
    texts = [issue.info.title, *issue.info.cover_lines, issue.publication.tagline]
    for article in issue.articles:
        texts += [article.title, article.dek, *(r.title for r in article.related)]
        if article.lead_image is not None:
            texts.append(article.lead_image.caption)
    assert not [t for t in texts if STRAIGHT.search(t)]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("'Tis the season", "en", "’Tis the season"),
        ("New Year's Rust", "en", "New Year’s Rust"),
        ('He said "go" -- then... nothing', "en", "He said “go” – then… nothing"),
        ("Rock 'n' roll in the '90s", "en", "Rock ’n’ roll in the ’90s"),
        ('"Nacht" und Nebel', "de", "„Nacht“ und Nebel"),
        ('"Nuit" blanche', "fr", "«\u202fNuit\u202f» blanche"),
        ("5 * 3 _not_ emphasis", "en", "5 * 3 _not_ emphasis"),
    ],
)
def test_smart_punctuation(text: str, language: str, expected: str) -> None:
    assert smart(text, language) == expected


def test_greeting_falls_back_gracefully() -> None:
    assert greeting("Ada Lovelace") == "Dear Ada,"
    assert greeting("Dr. Jade Okafor") == "Dear Dr. Okafor,"
    assert greeting("") == "Hello,"
    assert greeting("reader@example.org") == "Hello,"


def test_one_article_has_no_contents_page(tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "only.md").write_text(
        "---\ntitle: The Only One\n---\n\n" + "A sentence of the only article. " * 80 + "\n"
    )
    result = build(folder, out_dir=tmp_path / "out", formats=("pdf",), page_size="tablet")
    pdf = pdfium.PdfDocument(next(p for p in result.outputs if p.suffix == ".pdf"))
    second = pdf[1].get_textpage().get_text_range()
    pdf.close()
    assert "The Only One" in second and "In this issue" not in second


def test_epub_has_a_colophon_and_highlighted_code(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: Code\nrelated: [the other one]\n---\n\nTry this:\n\n"
        '```rust\nfn main() { println!("hi"); }\n```\n'
    )
    (folder / "b.md").write_text("---\ntitle: The Other One\n---\n\nWords.\n")
    result = build(folder, out_dir=tmp_path / "out", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0]) as zf:
        names = zf.namelist()
        article = zf.read("EPUB/a.xhtml").decode()
        css = zf.read("EPUB/style.css").decode()
    assert "EPUB/colophon.xhtml" in names
    assert '<span class="k">fn</span>' in article
    assert 'class="leads-in"' in article
    assert ">The Other One</a>" in article  # The article's real title, not front matter's.
    assert "prefers-color-scheme: dark" in css and "pre .k" in css
