"""The e-reader edition: cover, navigation, page list, metadata, accessibility, Kobo, Kindle."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from conftest import EXAMPLE, epubcheck, findings, outline
from masthead import build
from masthead.cli import app
from masthead.editions.epub.validate import ace_executable, kindle_risks, run_ace

OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("epub")
    build(EXAMPLE, out_dir=folder, formats=["epub", "pdf", "kepub"])
    return folder


@pytest.fixture(scope="module")
def book(out: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(out / "the-lantern-vol-3-no-7.epub") as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def opf_meta(book: dict[str, bytes]) -> tuple[etree._Element, list[etree._Element]]:
    opf = etree.fromstring(book["EPUB/content.opf"])
    return opf, list(opf.find(f"{OPF}metadata"))


def test_cover_image_is_declared_both_ways_and_shown_with_alt(book: dict[str, bytes]) -> None:
    opf, meta = opf_meta(book)
    items = {i.get("id"): i for i in opf.iter(f"{OPF}item")}
    cover_items = [i for i in items.values() if "cover-image" in (i.get("properties") or "")]
    assert len(cover_items) == 1
    cover_item = cover_items[0]
    assert [m.get("content") for m in meta if m.get("name") == "cover"] == [cover_item.get("id")]
    image = Image.open(io.BytesIO(book["EPUB/" + cover_item.get("href")]))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (1600, 2560) and image.width * image.height < 4_100_000
    # Not a blank page: the navy cover with light type has real contrast.
    lo, hi = image.convert("L").getextrema()
    assert hi - lo > 150
    page = etree.fromstring(book["EPUB/cover.xhtml"])
    img = page.find(f".//{XHTML}img")
    assert img.get("src") == cover_item.get("href") and img.get("role") == "doc-cover"
    assert "The Lantern" in img.get("alt") and "No. 7" in img.get("alt")


def test_series_authors_and_dates(book: dict[str, bytes]) -> None:
    _, meta = opf_meta(book)
    props = {m.get("property"): m for m in meta if m.get("property")}
    assert props["belongs-to-collection"].text == "The Lantern"
    series_id = props["belongs-to-collection"].get("id")
    refines = {(m.get("refines"), m.get("property")): m.text for m in meta if m.get("refines")}
    assert refines[(f"#{series_id}", "collection-type")] == "series"
    assert refines[(f"#{series_id}", "group-position")] == "7"
    named = {m.get("name"): m.get("content") for m in meta if m.get("name")}
    assert named["calibre:series"] == "The Lantern" and named["calibre:series_index"] == "7"
    creators = [m for m in meta if m.tag.endswith("creator")]
    vance = next(c for c in creators if c.text == "Harriet Vance")
    assert refines[(f"#{vance.get('id')}", "file-as")] == "Vance, Harriet"
    assert refines[(f"#{vance.get('id')}", "role")] == "aut"
    assert any(m.tag.endswith("rights") for m in meta)
    assert any(m.tag.endswith("subject") for m in meta)


def test_accessibility_metadata(book: dict[str, bytes]) -> None:
    _, meta = opf_meta(book)
    values: dict[str, list[str]] = {}
    for m in meta:
        if m.get("property", "").startswith("schema:"):
            values.setdefault(m.get("property"), []).append(m.text)
    assert set(values["schema:accessMode"]) == {"textual", "visual"}
    assert values["schema:accessModeSufficient"] == ["textual"]
    assert {
        "structuralNavigation",
        "tableOfContents",
        "alternativeText",
        "readingOrder",
        "pageNavigation",
    } <= set(values["schema:accessibilityFeature"])
    assert values["schema:accessibilityHazard"] == ["none"]
    assert values["schema:accessibilitySummary"][0]
    assert [m.text for m in meta if m.get("property") == "pageBreakSource"][0].startswith("urn:")


def test_every_document_declares_utf8_and_language(book: dict[str, bytes]) -> None:
    opf = etree.fromstring(book["EPUB/content.opf"])
    assert opf.get(XML_LANG) == "en-GB"
    docs = [n for n in book if n.endswith(".xhtml")]
    assert len(docs) >= 9
    for name in docs:
        assert book[name].startswith(b"<?xml version=") and b"encoding=" in book[name][:60]
        root = etree.fromstring(book[name])
        assert root.get(XML_LANG) == "en-GB" and root.get("lang") == "en-GB", name
    for name in book:
        if name.startswith("EPUB/"):
            assert re.fullmatch(r"[a-z0-9-]+(\.[a-z]+)+", name.rsplit("/", 1)[1]), name


def test_landmarks_and_guide(book: dict[str, bytes]) -> None:
    nav = etree.fromstring(book["EPUB/nav.xhtml"])
    landmarks = nav.find(f".//{XHTML}nav[@{EPUB_TYPE}='landmarks']")
    kinds = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iter(f"{XHTML}a")}
    assert kinds["cover"] == "cover.xhtml" and kinds["toc"] == "contents.xhtml"
    assert kinds["bodymatter"] == "lamplighters.xhtml"
    opf = etree.fromstring(book["EPUB/content.opf"])
    assert {r.get("type") for r in opf.iter(f"{OPF}reference")} == {"cover", "toc", "text"}
    assert "EPUB/toc.ncx" in book


def test_page_list_matches_the_pdf_edition(out: Path, book: dict[str, bytes]) -> None:
    reader = PdfReader(out / "the-lantern-vol-3-no-7.pdf")
    nav = etree.fromstring(book["EPUB/nav.xhtml"])
    page_list = nav.find(f".//{XHTML}nav[@{EPUB_TYPE}='page-list']")
    entries = [(a.text, a.get("href")) for a in page_list.iter(f"{XHTML}a")]
    assert [int(label) for label, _ in entries] == list(range(1, len(reader.pages) + 1))
    for label, href in entries:  # Every entry resolves to a page-break marker.
        file_name, marker = href.split("#")
        doc = etree.fromstring(book[f"EPUB/{file_name}"])
        span = doc.find(f".//*[@id='{marker}']")
        assert span is not None and span.get("role") == "doc-pagebreak"
        assert span.get("aria-label") == label
    # The page on which each article starts in the PDF is the page of its title in the EPUB:
    # its marker is right before the title, or, for an article that runs on after the one
    # before it, the page began in that article and none begins in this one before its title.
    by_label = dict(entries)
    spine = [
        name
        for name in re.findall(r'href="([^"]+\.xhtml)"', book["EPUB/content.opf"].decode())
        if name not in {"nav.xhtml"}
    ]
    for level, title, page in outline(reader):
        if level == 2:
            file_name, marker = by_label[str(page + 1)].split("#")
            doc = etree.fromstring(book[f"EPUB/{file_name}"])
            span = doc.find(f".//*[@id='{marker}']")
            heading = doc.find(f".//{XHTML}h1[@class='article-title']")
            if heading is not None and heading.text == title:
                assert span.getnext().text == title
                continue
            own = next(
                n
                for n in spine
                if (h := etree.fromstring(book[f"EPUB/{n}"]).find(f".//{XHTML}h1")) is not None
                and h.text == title
            )
            assert spine.index(own) == spine.index(file_name) + 1, (title, file_name)
            own_doc = etree.fromstring(book[f"EPUB/{own}"])
            before_title = []
            for element in own_doc.iter():
                if element.tag == f"{XHTML}h1":
                    break
                before_title.append(element.get("role"))
            assert "doc-pagebreak" not in before_title


def test_epub_only_build_reuses_an_up_to_date_page_map(out: Path, tmp_path: Path) -> None:
    again = build(EXAMPLE, out_dir=out, formats=["epub"])
    with zipfile.ZipFile(again.outputs[0]) as zf:
        assert b"page-list" in zf.read("EPUB/nav.xhtml")
    fresh = build(EXAMPLE, out_dir=tmp_path, formats=["epub"])
    with zipfile.ZipFile(fresh.outputs[0]) as zf:
        assert b"page-list" not in zf.read("EPUB/nav.xhtml")


def test_source_date_epoch_sets_modified_and_zip_times(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    first = build(EXAMPLE, out_dir=tmp_path / "a", formats=["epub"]).outputs[0]
    second = build(EXAMPLE, out_dir=tmp_path / "b", formats=["epub"]).outputs[0]
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert not infos[0].extra
        # Sorted, but the cover, added last (its render overlaps the packing: package.py).
        names = [i.filename for i in infos[1:]]
        cover = "EPUB/images/cover.jpg"
        assert names == [*sorted(n for n in names if n != cover), cover]
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert b"2023-11-14T22:13:20Z" in zf.read("EPUB/content.opf")


def test_kepub_has_kobo_spans_and_validates(out: Path) -> None:
    kepub = out / "the-lantern-vol-3-no-7.kepub.epub"
    assert findings(epubcheck(kepub)) == []
    with zipfile.ZipFile(kepub) as zf:
        doc = etree.fromstring(zf.read("EPUB/counting-the-dark.xhtml"))
    body = doc.find(f"{XHTML}body")
    assert [c.get("id") for c in body] == ["book-columns"]
    assert body[0][0].get("id") == "book-inner"
    spans = [s for s in doc.iter(f"{XHTML}span") if s.get("class") == "koboSpan"]
    ids = [s.get("id") for s in spans]
    assert len(spans) > 50 and len(ids) == len(set(ids))
    assert all(i.startswith("kobo.") and len(i.split(".")) == 3 for i in ids)
    for pre in doc.iter(f"{XHTML}pre"):
        assert not any(s.get("class") == "koboSpan" for s in pre.iter(f"{XHTML}span"))
    text = "".join(doc.find(f"{XHTML}body").itertext())
    plain = zipfile.ZipFile(out / "the-lantern-vol-3-no-7.epub").read(
        "EPUB/counting-the-dark.xhtml"
    )
    assert text == "".join(etree.fromstring(plain).find(f"{XHTML}body").itertext())


def test_kindle_check_passes_the_example_and_finds_real_risks(out: Path, tmp_path: Path) -> None:
    good = out / "the-lantern-vol-3-no-7.epub"
    assert kindle_risks(good) == []
    bad = tmp_path / "bad.epub"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "EPUB/content.opf":
                data = data.replace(b"<dc:language>en-GB</dc:language>", b"")
            if info.filename == "EPUB/moths.xhtml":
                data = data.split(b"?>", 1)[1]  # No XML declaration.
                data = data.replace(b"<body>", b"<body id='top'><img alt='x'/>")
                data = data.replace(b"</body>", b"<a href='#top'>up</a></body>")
            if info.filename == "EPUB/dim-rooms.xhtml":
                data = data.replace(b"<body>", b"<body><!-- a -- b -->")
            dst.writestr(info, data)
    codes = {f.code for f in kindle_risks(bad)}
    assert {"language", "encoding", "comment", "img-src", "body-link"} <= codes


def test_check_command_runs_the_validators(out: Path) -> None:
    good = str(out / "the-lantern-vol-3-no-7.epub")
    result = CliRunner().invoke(app, ["check", "--epub", good, "--kindle", good])
    assert result.exit_code == 0, result.output
    assert "0 findings" in result.stdout


def test_ace_reports_no_violations(out: Path) -> None:
    if ace_executable() is None or not (shutil.which("chromium") or os.environ.get("CI")):
        if os.environ.get("CI"):
            pytest.fail("DAISY Ace is not installed on CI; setup.sh installs it")
        pytest.skip("DAISY Ace is not installed (setup.sh installs it)")
    found = run_ace(out / "the-lantern-vol-3-no-7.epub")
    assert found == []


def test_check_reports_epubcheck_findings_even_when_ace_cannot_run(
    out: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.epub"
    with (
        zipfile.ZipFile(out / "the-lantern-vol-3-no-7.epub") as src,
        zipfile.ZipFile(broken, "w") as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "EPUB/moths.xhtml":
                data = data.replace(b"</body>", b"<p>unclosed</body>")
            dst.writestr(info, data)
    result = CliRunner().invoke(app, ["check", "--epub", str(broken), "--kindle", str(broken)])
    assert result.exit_code == 1
    assert "epubcheck" in result.stdout and "moths.xhtml" in result.stdout
    assert "Traceback" not in result.output
    fake = tmp_path / "fake.epub"
    fake.write_text("not a zip")
    result = CliRunner().invoke(app, ["check", "--kindle", str(fake)])
    assert result.exit_code == 1 and "not an EPUB" in result.stderr


def test_an_image_used_by_two_articles_is_one_file(tmp_path: Path) -> None:
    """The same picture in two articles (one as its lead image) is stored once in the EPUB and
    embedded once in the PDF; both articles show it."""
    Image.new("RGB", (600, 400), (40, 90, 120)).save(tmp_path / "harbour.png")
    (tmp_path / "first.md").write_text(
        "---\ntitle: The Harbour at Dawn\ndate: 2026-11-01\nimage: harbour.png\n"
        "image_alt: A calm blue harbour\n---\n\nBoats come in as the lamps go out.\n"
    )
    (tmp_path / "second.md").write_text(
        "---\ntitle: Back to the Harbour\ndate: 2026-11-02\n---\n\nThe same water, later.\n\n"
        "![A calm blue harbour](harbour.png)\n"
    )
    result = build(tmp_path, out_dir=tmp_path / "dist", formats=("epub", "pdf"), title="Harbours")
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as book:
        images = [n for n in book.namelist() if "harbour" in n]
        chapters = [book.read(n).decode() for n in book.namelist() if n.endswith(".xhtml")]
    assert len(images) == 1
    name = images[0].split("/", 1)[1]
    assert sum(name in chapter for chapter in chapters) >= 2
    import pikepdf

    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    with pikepdf.open(pdf) as document:
        images = [
            o
            for o in document.objects
            if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
        ]
        pages = [
            n for n, page in enumerate(document.pages) if page.Resources.get("/XObject") is not None
        ]
    assert len(images) == 1 and len(pages) >= 2
