"""The publication archive: a 3-issue publication built once, then a fourth issue added.

Cross-issue related reading in both editions and the archive, suggested reading, the OPDS and
Atom feeds (validated), the archive's pages, and an incremental rebuild that leaves the other
issues' files alone.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from archive_fixtures import ISSUES, write_issue, write_publication
from typer.testing import CliRunner

from conftest import SHARED, need_shared
from masthead.batch import BatchResult, build_all
from masthead.cli import app
from masthead.model import BuildResult

OPDS = SHARED / "opds"
FORMATS = ("epub", "pdf", "kepub")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BatchResult]:
    root = tmp_path_factory.mktemp("archive")
    pub = write_publication(root / "beacon")
    out = root / "dist"
    result = build_all([pub], out_dir=out, formats=FORMATS, jobs=2)
    assert all(isinstance(r, BuildResult) for r in result.results), result.results
    return pub, out, result


def _epub_text(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as book:
        return book.read(f"EPUB/{name}").decode()


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _page_of(out: Path, stem: str, article: str) -> int:
    data = json.loads((out / ".masthead" / f"{stem}.numbers.json").read_text())
    return int(data["numbers"][article])


def test_cross_issue_related_in_the_pdf(built: tuple[Path, Path, BatchResult]) -> None:
    _, out, _ = built
    text = " ".join(_pdf_text(out / "the-beacon-no-3.pdf").split())
    fog_page = _page_of(out, "the-beacon-no-1", "fog")
    lenses_page = _page_of(out, "the-beacon-no-2", "lenses")
    # By a title in other capitals, and by slug: "Title — No. N, p. P" with the page in its PDF.
    assert f"Sounding the Fog — No. 1, p. {fog_page}" in text
    assert f"Glass That Bends the Night — No. 2, p. {lenses_page}" in text
    # A name that matches nothing in the archive and has no address.
    assert "Also from The Beacon: A Lighthouse That Never Was" in text
    # Issue 2 names two articles of issue 1.
    text2 = " ".join(_pdf_text(out / "the-beacon-no-2.pdf").split())
    assert f"The Last Keepers — No. 1, p. {_page_of(out, 'the-beacon-no-1', 'keepers')}" in text2
    assert "Reading the Tides — No. 1" in text2


def test_cross_issue_related_warns_of_names_that_match_nothing(
    built: tuple[Path, Path, BatchResult],
) -> None:
    _, _, result = built
    third = result.results[2]
    assert isinstance(third, BuildResult)
    messages = [w.message for w in third.warnings]
    assert any("'A Lighthouse That Never Was' names no article" in m for m in messages)
    assert not any("Sounding The Fog" in m for m in messages)


def test_cross_issue_related_in_the_epub(built: tuple[Path, Path, BatchResult]) -> None:
    _, out, _ = built
    for name in ("the-beacon-no-3.epub", "the-beacon-no-3.kepub.epub"):
        xhtml = _epub_text(out / name, "storms.xhtml")
        related = xhtml[xhtml.index('class="related"') :]
        words = re.sub(r"<[^>]+>", "", related)  # The Kobo EPUB wraps sentences in spans.
        assert re.search(r"Sounding the Fog\s*No\. 1", words)
        assert re.search(r"Glass That Bends the Night\s*No\. 2", words)
        assert "Also from The Beacon: A Lighthouse That Never Was" in words
        assert 'href="https://example.org/storms"' in related


def test_cross_issue_related_in_the_archive(built: tuple[Path, Path, BatchResult]) -> None:
    _, out, _ = built
    page = (out / "archive" / "articles" / "no-3" / "storms.html").read_text()
    related = page[page.index('class="related"') :]
    assert '<a href="../../articles/no-1/fog.html">Sounding the Fog</a>' in related
    assert '<a href="../../articles/no-2/lenses.html">Glass That Bends the Night</a>' in related
    assert "Also from The Beacon: A Lighthouse That Never Was" in related
    assert '<a href="https://example.org/storms">Storm warnings</a>' in related


def test_suggestions_for_articles_without_related_reading(
    built: tuple[Path, Path, BatchResult],
) -> None:
    _, out, _ = built
    # "The Keepers' Families" (no. 3) names nothing: it gets 3 suggestions, from earlier issues
    # only, the most similar first (the other article about keepers and towers).
    xhtml = _epub_text(out / "the-beacon-no-3.epub", "keepers-wives.xhtml")
    suggested = re.findall(r'<li class="suggested">(.*?) <span class="in-issue">(No\. \d)', xhtml)
    assert len(suggested) == 3
    assert suggested[0] == ("The Last Keepers", "No. 1")
    assert all(issue in ("No. 1", "No. 2") for _, issue in suggested)
    pdf = " ".join(_pdf_text(out / "the-beacon-no-3.pdf").split())
    assert "The Last Keepers — No. 1, p." in pdf
    page = (out / "archive" / "articles" / "no-3" / "keepers-wives.html").read_text()
    assert page.count('class="badge">Suggested</span>') == 3
    # The first issue has nothing earlier to suggest; an article with 4 related items needs none.
    assert 'class="suggested"' not in _epub_text(out / "the-beacon-no-1.epub", "keepers.xhtml")
    assert 'class="suggested"' not in _epub_text(out / "the-beacon-no-3.epub", "storms.xhtml")
    # Ferries (no. 2) names two articles: one suggestion fills it up to three.
    ferries = _epub_text(out / "the-beacon-no-2.epub", "ferries.xhtml")
    assert ferries.count('class="suggested"') == 1


def test_suggestions_are_recorded_as_suggested(built: tuple[Path, Path, BatchResult]) -> None:
    _, out, _ = built
    records = [json.loads(p.read_text()) for p in (out / ".masthead/archive/suggestions").iterdir()]
    entries = [e for r in records for e in r["suggestions"].get("keepers-wives.md", [])]
    assert [e[2] for e in entries][0] == "The Last Keepers"


def _schema(path: Path) -> dict:  # type: ignore[type-arg]
    """A schema of ../shared/opds. JSON Schema patterns are ECMA-262 regexes: their named
    groups `(?<name>…)` (in the BCP 47 language pattern) are Python's `(?P<name>…)`; nothing
    else in these schemas differs."""
    text = re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", path.read_text())
    return json.loads(text)  # type: ignore[no-any-return]


def _validator(schema: dict):  # type: ignore[no-untyped-def, type-arg]
    """Draft 7 with the Readium schemas it refers to, from ../shared/opds (offline)."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource

    resources = []
    for path in [*OPDS.glob("opds-2.0/*.json"), *OPDS.glob("webpub-manifest/**/*.json")]:
        found = _schema(path)
        resources.append((found["$id"], Resource.from_contents(found)))
    return Draft7Validator(schema, registry=Registry().with_resources(resources))


def _existing(archive: Path, href: str, base: Path) -> Path:
    """The file a feed's link points to (relative to the feed), which must exist."""
    assert not urlsplit(href).scheme, href
    target = (base / unquote(href)).resolve()
    assert target.is_relative_to(archive.resolve()), href
    assert target.is_file(), href
    return target


def test_opds2_feed_validates_and_links_to_files(built: tuple[Path, Path, BatchResult]) -> None:
    need_shared(OPDS)
    _, out, _ = built
    archive = out / "archive"
    schema = _schema(OPDS / "opds-2.0" / "feed.schema.json")
    feed = json.loads((archive / "catalog.json").read_text())
    _validator(schema).validate(feed)
    assert [
        p["metadata"]["belongsTo"]["periodical"]["issue"]["position"] for p in feed["publications"]
    ] == [3, 2, 1]
    for publication in feed["publications"]:
        links = [link for link in publication["links"] if link["rel"].startswith("http://opds")]
        assert {link["type"] for link in links} == {
            "application/epub+zip",
            "application/kepub+zip",
            "application/pdf",
        }
        for link in links + publication["images"]:
            _existing(archive, link["href"], archive)


def test_opds2_schema_catches_a_broken_feed(built: tuple[Path, Path, BatchResult]) -> None:
    """The validation above can fail: a publication without acquisition links is refused."""
    need_shared(OPDS)
    _, out, _ = built
    schema = _schema(OPDS / "opds-2.0" / "feed.schema.json")
    feed = json.loads((out / "archive" / "catalog.json").read_text())
    feed["publications"][0]["links"] = [{"rel": "alternate", "href": "x.html"}]
    assert list(_validator(schema).iter_errors(feed))
    feed = json.loads((out / "archive" / "catalog.json").read_text())
    feed["publications"][0]["metadata"]["language"] = "not a language!"
    assert list(_validator(schema).iter_errors(feed))  # The translated pattern is applied.


def test_opds1_feed_parses_and_follows_the_spec(built: tuple[Path, Path, BatchResult]) -> None:
    import feedparser

    _, out, _ = built
    archive = out / "archive"
    feed = feedparser.parse((archive / "catalog.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    kind = "application/atom+xml;profile=opds-catalog;kind=acquisition"
    self_link = next(link for link in feed.feed.links if link.rel == "self")
    assert self_link.type == kind
    assert feed.feed.id.startswith("urn:uuid:") and feed.feed.updated == "2026-09-01T00:00:00Z"
    assert [e.title for e in feed.entries] == [
        "The Beacon, No. 3: Storm Season (September 2026)",
        "The Beacon, No. 2: Harbour Lights (June 2026)",
        "The Beacon, No. 1: First Light (March 2026)",
    ]
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:") and entry.updated.endswith("T00:00:00Z")
        rels = {link.rel: link for link in entry.links}
        assert rels["http://opds-spec.org/image"].type == "image/jpeg"
        assert rels["http://opds-spec.org/image/thumbnail"].type == "image/jpeg"
        acquisitions = [x for x in entry.links if x.rel == "http://opds-spec.org/acquisition"]
        assert sorted(x.type for x in acquisitions) == [
            "application/epub+zip",
            "application/kepub+zip",
            "application/pdf",
        ]
        for link in entry.links:
            if link.rel.startswith("http://opds-spec.org/") or link.rel == "alternate":
                _existing(archive, link.href, archive)
        assert entry.authors and entry.summary


def test_atom_feed_for_feed_readers(built: tuple[Path, Path, BatchResult]) -> None:
    import feedparser

    _, out, _ = built
    feed = feedparser.parse((out / "archive" / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 3
    assert "Storm Season" in feed.entries[0].title
    assert "When the Storm Comes In" in feed.entries[0].content[0].value
    assert [e.href for e in feed.entries[0].enclosures][0].endswith("the-beacon-no-3.epub")


def test_opds_pages_of_fifty_with_next_links() -> None:
    from masthead.archive.feeds import pages_of

    pages = pages_of(list(range(120)))  # type: ignore[arg-type]
    assert [len(p.issues) for p in pages] == [50, 50, 20]
    assert [(p.path, p.next) for p in pages] == [
        ("catalog.xml", "catalog-2.xml"),
        ("catalog-2.xml", "catalog-3.xml"),
        ("catalog-3.xml", ""),
    ]


def test_archive_pages(built: tuple[Path, Path, BatchResult]) -> None:
    _, out, result = built
    archive = out / "archive"
    assert result.archives[0].index == archive / "index.html"
    home = (archive / "index.html").read_text()
    # The newest cover, then every issue, newest first, with thumbnails, dates and contents.
    assert '<img class="cover" src="covers/no-3.jpg"' in home
    order = [home.index(t) for t in ("Storm Season", "Harbour Lights", "First Light")]
    assert order == sorted(order)
    assert 'src="covers/no-1-thumb.jpg"' in home and "March 2026" in home
    assert "Sounding the Fog" in home
    issue = (archive / "issues" / "no-2.html").read_text()
    for href in ("the-beacon-no-2.epub", "the-beacon-no-2.kepub.epub", "the-beacon-no-2.pdf"):
        assert f'href="../files/{href}"' in issue
    assert "A story about lenss." in issue or "A story about lens" in issue  # The dek.
    article = (archive / "articles" / "no-1" / "fog.html").read_text()
    assert "Sounding the Fog" in article and 'href="../../tags/weather.html"' in article
    assert re.search(r"The Beacon, No\. 1: First Light \(March 2026\)</a>, page \d+", article)
    author = (archive / "authors" / "ada-quill.html").read_text()
    assert "When the Storm Comes In" in author
    tag = (archive / "tags" / "lighthouses.html").read_text()
    assert "The Last Keepers" in tag and "The Keepers’ Families" in tag  # Typeset apostrophe.
    for page in archive.rglob("*.html"):
        html = page.read_text()
        assert "<script" not in html
        for href in re.findall(r'(?:href|src)="([^"]+)"', html):
            if not urlsplit(href).scheme:
                _existing(archive, href, page.parent)


def test_archive_templates_are_overridable(tmp_path: Path) -> None:
    pub = write_publication(tmp_path / "pub", ISSUES[:2])
    (pub / "templates" / "archive").mkdir(parents=True)
    (pub / "templates" / "archive" / "home.html").write_text(
        '{% extends "!default/archive/home.html" %}'
        "{% block main %}<p>Our own home page</p>{{ super() }}{% endblock %}"
    )
    result = build_all([pub], out_dir=tmp_path / "dist", formats=("epub",))
    home = (result.archives[0].index).read_text()
    assert "<p>Our own home page</p>" in home and "Harbour Lights" in home


def _stamps(out: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in out.rglob("*")
        if p.is_file() and not p.is_relative_to(out / "archive")
    }


def test_a_new_issue_rebuilds_only_itself(
    built: tuple[Path, Path, BatchResult], tmp_path: Path
) -> None:
    pub, out, _ = built
    pub = shutil.copytree(pub, tmp_path / "beacon")
    out = shutil.copytree(out, tmp_path / "dist", copy_function=shutil.copy2)
    # The copies' folders moved: build once there so that the records point at them.
    build_all([pub], out_dir=out, formats=FORMATS, jobs=2)
    before = _stamps(out)
    old_pages = {p: p.read_bytes() for p in (out / "archive" / "articles").rglob("*.html")}
    spec = (
        "no-4",
        4,
        ISSUES[0][2].replace(month=12),
        "Winter Lights",
        [("winter.md", "Winter Keepers", ["lighthouses"], ["When the Storm Comes In"], "snow")],
    )
    write_issue(pub, spec)
    result = build_all([pub], out_dir=out, formats=FORMATS, jobs=2)
    assert all(isinstance(r, BuildResult) for r in result.results)
    timings = [r.timings for r in result.results if isinstance(r, BuildResult)]
    assert [set(t) == {"cache"} for t in timings] == [True, True, True, False]
    after = _stamps(out)
    changed = {p for p in after if before.get(p) != after[p]}
    # The fourth issue's files and state; nothing of issues 1-3.
    assert changed and all("no-4" in Path(p).name or ".masthead" in p for p in changed), changed
    for name in [n for n in before if "-no-" in Path(n).name and ".masthead" not in n]:
        assert before[name] == after[name], name
    # The archive knows the new issue, and the old article pages were not rewritten.
    assert "Winter Lights" in (out / "archive" / "index.html").read_text()
    winter = (out / "archive" / "articles" / "no-4" / "winter.html").read_text()
    assert 'href="../../articles/no-3/storms.html"' in winter
    for page, data in old_pages.items():
        assert page.read_bytes() == data, page
    written = {p.relative_to(out / "archive").as_posix() for p in result.archives[0].written}
    assert not any(
        p.startswith(("articles/no-1", "articles/no-2", "articles/no-3")) for p in written
    )


def test_accept_suggestions_into_front_matter(
    built: tuple[Path, Path, BatchResult], tmp_path: Path
) -> None:
    pub, out, _ = built
    pub = shutil.copytree(pub, tmp_path / "beacon")
    article = pub / "no-3" / "keepers-wives.md"
    original = article.read_bytes()
    runner = CliRunner()
    # The records of the copied publication: build its archive (EPUB only) into a new folder.
    dist = tmp_path / "dist"
    build_all([pub], out_dir=dist, formats=("epub",))
    result = runner.invoke(app, ["related", "--accept", str(pub / "no-3"), "--out", str(dist)])
    assert result.exit_code == 0, result.output
    assert str(article) in result.stdout.split()
    new = article.read_bytes()
    head, tail = original.split(b"\n---\n", 1)
    assert new.startswith(head + b'\nrelated:\n  - "The Last Keepers"\n')
    assert new.endswith(b"\n---\n" + tail)
    # Accepted: the next build links them as the editor's own, not as suggestions.
    build_all([pub], out_dir=dist, formats=("epub",))
    xhtml = _epub_text(dist / "the-beacon-no-3.epub", "keepers-wives.xhtml")
    assert "The Last Keepers" in xhtml and 'class="suggested"' not in xhtml
    # An issue folder that is not in a publication is refused in one line.
    lone = tmp_path / "lone"
    lone.mkdir()
    result = runner.invoke(app, ["related", "--accept", str(lone), "--out", str(dist)])
    assert result.exit_code == 1 and "is not an issue folder of a publication" in result.stderr


def test_base_url_makes_links_absolute(tmp_path: Path) -> None:
    import feedparser

    pub = write_publication(tmp_path / "pub", ISSUES[:2])
    base = "https://beacon.example.org/archive/"
    build_all([pub], out_dir=tmp_path / "dist", formats=("epub",), base_url=base)
    xhtml = _epub_text(tmp_path / "dist" / "the-beacon-no-2.epub", "ferries.xhtml")
    # The EPUB links to the archive's page of an article of another issue.
    assert f'<a href="{base}articles/no-1/keepers.html">The Last Keepers</a>' in xhtml
    feed = feedparser.parse((tmp_path / "dist" / "archive" / "catalog.xml").read_bytes())
    hrefs = [link.href for entry in feed.entries for link in entry.links]
    assert hrefs and all(h.startswith(base) for h in hrefs)
    assert f"{base}files/the-beacon-no-1.epub" in hrefs
    catalog = json.loads((tmp_path / "dist" / "archive" / "catalog.json").read_text())
    assert catalog["links"][0] == {
        "rel": "self",
        "href": f"{base}catalog.json",
        "type": "application/opds+json",
    }
