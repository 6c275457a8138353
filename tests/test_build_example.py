"""End to end: the example issue built once, checked by the real EPUBCheck and with pypdf."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import EXAMPLE, epubcheck, findings, link_targets, outline
from masthead import build
from masthead.build import prepare

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("example")
    result = build(EXAMPLE, out_dir=out)
    issue, _ = prepare(EXAMPLE)
    return result, issue


def test_outputs_named_after_publication_and_issue(built) -> None:  # type: ignore[no-untyped-def]
    result, issue = built
    assert [p.name for p in result.outputs] == [
        "the-lantern-vol-3-no-7.epub",
        "the-lantern-vol-3-no-7.pdf",
    ]
    assert len(issue.articles) >= 6 and len(issue.sections) >= 3
    assert sum(len(a.assets) for a in issue.articles) >= 2
    assert any(r.target for a in issue.articles for r in a.related)


def test_build_is_clean(built) -> None:  # type: ignore[no-untyped-def]
    result, _ = built
    assert [str(w) for w in result.warnings] == []


def test_epubcheck_reports_nothing(built) -> None:  # type: ignore[no-untyped-def]
    result, _ = built
    assert findings(epubcheck(result.outputs[0])) == []


def test_epub_structure_and_metadata(built) -> None:  # type: ignore[no-untyped-def]
    result, issue = built
    with zipfile.ZipFile(result.outputs[0]) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        opf = etree.fromstring(zf.read("EPUB/content.opf"))
        nav = etree.fromstring(zf.read("EPUB/nav.xhtml"))
        names = zf.namelist()
    meta = opf.find(f"{OPF}metadata")
    assert meta.findtext(f"{DC}title") == issue.full_title
    assert "The Lantern" in issue.full_title and "No. 7" in issue.full_title
    assert meta.findtext(f"{DC}date") == "2026-11-01"
    assert meta.findtext(f"{DC}language") == "en-GB"
    assert meta.findtext(f"{DC}identifier") == issue.identifier
    assert meta.findtext(f"{DC}publisher") == "Lantern Press"
    creators = {c.text for c in meta.findall(f"{DC}creator")}
    assert creators == {n for a in issue.articles for n in a.authors}
    modified = [
        m.text for m in meta.findall(f"{OPF}meta") if m.get("property") == "dcterms:modified"
    ]
    assert modified == ["2026-11-01T00:00:00Z"]
    spine = [i.get("idref") for i in opf.find(f"{OPF}spine")]
    assert spine[:2] == ["doc-cover", "doc-contents"]
    assert spine[2:-1] == [f"doc-{a.id}" for a in issue.articles]
    assert spine[-1] == "doc-colophon"  # The imprint, at the back.
    assert f"EPUB/{issue.articles[0].lead_image.asset.href}" in names
    # Two-level nav: sections, each with its articles, in spine order.
    ns = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
    toc = nav.find(".//x:nav[@epub:type='toc']/x:ol", ns)
    sections = [
        (li.find("x:a", ns).text, [a.text for a in li.findall("x:ol/x:li/x:a", ns)])
        for li in toc.findall("x:li", ns)
    ]
    assert sections == [(s.title, [a.title for a in s.articles]) for s in issue.sections]


def test_epub_is_reproducible(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result, _ = built
    again = build(EXAMPLE, out_dir=tmp_path)
    assert again.outputs[0].read_bytes() == result.outputs[0].read_bytes()


def test_pdf_outline_contents_and_text(built) -> None:  # type: ignore[no-untyped-def]
    result, issue = built
    reader = PdfReader(result.outputs[1])
    marks = outline(reader)
    assert [(lvl, t) for lvl, t, _ in marks if lvl == 1] == [(1, s.title) for s in issue.sections]
    article_marks = [(t, page) for lvl, t, page in marks if lvl == 2]
    assert [t for t, _ in article_marks] == [a.title for a in issue.articles]
    starts = [page for _, page in article_marks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)

    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    for (title, page), article in zip(article_marks, issue.articles, strict=True):
        assert title in texts[page], f"{title!r} not on page {page + 1}"
        if article.authors:
            assert article.authors[0].upper() in texts[page].upper()

    # The contents page links to each article's first page, in order, and prints that number.
    contents_page = 1
    # Two columns of entries: the links' order on the page is not the reading order.
    assert sorted(link_targets(reader, contents_page)) == starts
    for title, page in article_marks:
        assert f"{title}" in texts[contents_page]
        assert str(page + 1) in texts[contents_page]

    meta = reader.metadata
    assert meta.title == issue.full_title
    assert all(name in meta.author for a in issue.articles for name in a.authors)
    assert "/CreationDate" in meta and meta["/CreationDate"].startswith("D:20261101")


def test_pdf_related_reading_links_to_articles(built) -> None:  # type: ignore[no-untyped-def]
    result, issue = built
    reader = PdfReader(result.outputs[1])
    starts = {t: page for lvl, t, page in outline(reader) if lvl == 2}
    by_id = {a.id: a for a in issue.articles}
    checked = 0
    for article in issue.articles:
        internal = [by_id[r.target].title for r in article.related if r.target]
        if not internal:
            continue
        pages = range(starts[article.title], len(reader.pages))
        targets = {t for p in pages for t in link_targets(reader, p)}
        for title in internal:
            assert starts[title] in targets
            checked += 1
    assert checked >= 2
