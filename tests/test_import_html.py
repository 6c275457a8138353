"""Importing saved web pages: metadata from meta tags and JSON-LD, the article through trafilatura,
nothing executable in the output."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from masthead.build import prepare
from masthead.errors import InputError
from masthead.sources.html import sanitise
from masthead.sources.imported import import_file

FIXTURES = Path(__file__).parent / "fixtures" / "import"
HARBOUR = FIXTURES / "harbour-library.html"
TRAMS = FIXTURES / "tram-depot.html"


@pytest.fixture(scope="module")
def harbour():  # type: ignore[no-untyped-def]
    return import_file(HARBOUR)


def test_metadata_from_json_ld_and_meta_tags(harbour) -> None:  # type: ignore[no-untyped-def]
    meta = harbour.meta
    assert meta["title"] == "Night Hours at the Harbour Library"
    assert meta["authors"] == ["Mira Okafor", "Tom Reyes"]  # JSON-LD, not the one meta author
    assert meta["date"] == dt.date(2026, 10, 14)
    assert meta["url"] == "https://lantern.example.org/2026/10/night-hours"
    assert meta["image_url"] == "https://lantern.example.org/img/reading-room.jpg"
    assert meta["image_alt"].startswith("Readers under green lamps")
    assert meta["image_caption"] == "The long reading room after midnight."
    assert meta["image_credit"] == "Lantern Staff"
    assert meta["tags"] == ["libraries", "night"]
    assert meta["summary"].startswith("The harbour library now stays open")
    assert meta["related"] == [
        {"title": "The Last Night Ferry", "url": "https://lantern.example.org/2026/09/ferry"},
        {
            "title": "Lamplighters of the Old Town",
            "url": "https://lantern.example.org/2026/08/lamplighters",
        },
    ]
    assert "image" not in meta  # Not saved beside the page: only its address is kept.


def test_article_text_and_structure_kept(harbour) -> None:  # type: ignore[no-untyped-def]
    body = harbour.body
    assert body.startswith("![Readers under green lamps")
    assert "For forty years the harbour library closed its doors at six." in body
    assert "[night crowd](https://lantern.example.org/night)" in body
    assert "\n## Who comes after dark\n" in body
    assert "- Students who share crowded flats\n" in body
    assert "\n> It is the only room in the city" in body
    assert body.rstrip().endswith("not one asks for the hours to be cut.")
    assert "# Night Hours" not in body  # The title went to the front matter.


@pytest.mark.parametrize(
    "furniture",
    [
        "cookies",
        "Accept all",
        "newsletter",
        "Share this",
        "Wonderful news",
        "Mill Street",
        "All rights reserved",
        "Privacy",
        "secret-token",
        "font-family",
        "onclick",
        "<script",
        "<iframe",
        "<form",
        "<style",
        "video.example.com",
        "Subscribe",
    ],
)
def test_page_furniture_and_code_never_reach_the_output(harbour, furniture: str) -> None:  # type: ignore[no-untyped-def]
    assert furniture.lower() not in harbour.markdown().lower()


def test_local_lead_image_becomes_the_image(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    shutil.copy(HARBOUR, page)
    (tmp_path / "images").mkdir()
    Image.new("RGB", (40, 30), "gray").save(tmp_path / "images" / "reading-room.jpg")
    article = import_file(page)
    assert article.meta["image"] == "images/reading-room.jpg"
    assert "![" not in article.body  # It is the lead image now, not repeated in the body.


def test_div_soup_page_with_br_paragraphs() -> None:
    article = import_file(TRAMS)
    assert article.meta["title"] == "The tram depot that never sleeps"  # Site name trimmed.
    assert article.meta["authors"] == ["Jonas Brandt"]
    assert article.meta["date"] == dt.date(2025, 3, 9)
    paragraphs = article.body.strip().split("\n\n")
    assert paragraphs[0].startswith("The depot on Ostkai")
    assert paragraphs[-1].startswith("By five the first trams roll out")
    assert len(paragraphs) == 6
    for noise in ("About this blog", "grandfather", "Powered by", "comments"):
        assert noise not in article.body


HOSTILE = """<html><head><title>Hostile</title>
<script>steal()</script><style>p{color:red}</style></head>
<body><article><h1>A Quiet Page</h1>
<p onmouseover="steal()">First paragraph of the quiet page, long enough to count as text for the
extractor, with a <a href="javascript:steal()">bad link</a> and a
<a href="https://example.org/good" onclick="steal()">good link</a>.</p>
<iframe src="https://evil.example/frame"></iframe>
<p>Second paragraph: &lt;script&gt;alert(1)&lt;/script&gt; is only text here, and so is
&lt;img src=x onerror=alert(1)&gt; which must stay text too.</p>
<img src="x" onerror="steal()" alt="">
<form action="/steal"><input name="card"><p>Give us your card number</p></form>
<svg onload="steal()"><text>svg text</text></svg>
<p>Third paragraph of the page, which ends the article with a full stop.</p>
</article></body></html>"""


def test_hostile_html_is_sanitised(tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(HOSTILE, encoding="utf-8")
    article = import_file(page)
    text = article.markdown()
    assert article.meta["title"] == "A Quiet Page"
    for bad in (
        "steal",
        "javascript:",
        "evil.example",
        "card number",
        "svg text",
        "<script",
        "<img",
    ):
        assert bad not in text, bad
    assert "&lt;img src=x onerror=alert(1)> which must stay text" in text  # Text, not a tag.
    assert "[good link](https://example.org/good)" in text
    assert "&lt;script>alert(1)&lt;/script> is only text" in text
    assert "Third paragraph" in text


def test_sanitise_keeps_structure_only() -> None:
    clean = sanitise(
        '<div class="x" onclick="a()"><p style="color:red">Hi</p><script>x</script>'
        '<iframe src="y"></iframe><button>Go</button></div>'
    )
    assert clean == '<div class="x"><p>Hi</p></div>'


def test_hostile_html_built_has_no_script(tmp_path: Path) -> None:
    (tmp_path / "hostile.html").write_text(HOSTILE, encoding="utf-8")
    (tmp_path / "issue.toml").write_text(
        '[issue]\ntitle = "T"\n[[sections]]\ntitle = "S"\narticles = ["hostile.html"]\n'
    )
    issue, _ = prepare(tmp_path)
    (article,) = issue.articles
    assert article.title == "A Quiet Page"
    for body in (article.body_xhtml, article.body_html):
        for bad in ("<script", "<iframe", "<form", "<img", "javascript:"):
            assert bad not in body
        assert not re.search(r"<[^>]*\son\w+=", body)  # No event attribute on any tag.
        assert "&lt;script&gt;alert(1)&lt;/script&gt; is only text" in body


@pytest.mark.parametrize(
    ("html", "words"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("<html><body><div></div></body></html>", "no article text"),
        (
            "<html><body><p>Some words on a page without any title, which is the article's"
            " only paragraph and ends here.</p></body></html>",
            "no title",
        ),
    ],
)
def test_bad_pages_give_one_clear_line(tmp_path: Path, html: str, words: str) -> None:
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_file(page)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_declared_charset_is_honoured(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Caf\xe9 de nuit</title></head><body>'
        "<article><h1>Caf\xe9 de nuit</h1><p>"
        + "On y sert du th\xe9 \xe0 minuit. " * 8
        + "</p></article></body></html>"
    )
    page.write_bytes(html.encode("latin-1"))
    article = import_file(page)
    assert article.meta["title"] == "Café de nuit"
    assert "du thé à minuit" in article.body
    assert article.notes == ("not UTF-8: read as iso-8859-1",)
