"""The preview's parts without a browser: what it refuses, what a change rebuilds, and that its
EPUB view is the EPUB edition's own XHTML and its PDF view the PDF edition's own pages."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
import watchfiles

from conftest import EXAMPLE, ROOT
from masthead.build import build
from masthead.errors import InputError
from masthead.preview.app import Preview
from masthead.preview.pdfview import PdfView
from masthead.preview.rebuild import EpubRenderer
from masthead.preview.safety import file_inside, safe_request_path
from masthead.preview.server import bind, is_loopback
from masthead.preview.watch import PreviewFilter, affected


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"/i/no-7/epub/../../etc/passwd", "/i/no-7/epub/../../etc/passwd"),
        (b"/i/no-7/epub/%2e%2e/%2e%2e/etc/passwd", "/i/no-7/epub/../../etc/passwd"),
        (b"/i/no-7/epub/%2E%2E%2Fissue.toml", "/i/no-7/epub/../issue.toml"),
        (b"/i/no-7/epub/images%2f..%2f..%2fissue.toml", "/i/no-7/epub/images/../../issue.toml"),
        (b"/i/no-7/epub/..%5cissue.toml", "/i/no-7/epub/..\\issue.toml"),
        (b"//etc/passwd", "//etc/passwd"),
        (b"/i/no-7/epub//etc/passwd", "/i/no-7/epub//etc/passwd"),
        (b"/i/no-7/epub/./style.css", "/i/no-7/epub/./style.css"),
        (b"/i/no-7/epub/a%00.css", "/i/no-7/epub/a\x00.css"),
    ],
)
def test_paths_that_climb_or_hide_a_separator_are_refused(raw: bytes, path: str) -> None:
    assert not safe_request_path(raw, path)


@pytest.mark.parametrize(
    "path",
    ["/", "/i/no-7/", "/i/no-7/epub/night-ferry.xhtml", "/i/no-7/epub/images/a-b.c.png"],
)
def test_plain_paths_pass(path: str) -> None:
    assert safe_request_path(path.encode(), path)


def test_a_symlink_out_of_the_publication_is_not_served(tmp_path: Path) -> None:
    publication, outside = tmp_path / "pub", tmp_path / "outside"
    (publication / "no-1" / "images").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"not yours")
    (publication / "no-1" / "images" / "own.png").write_bytes(b"yours")
    (publication / "no-1" / "images" / "link.png").symlink_to(outside / "secret.png")
    (publication / "no-1" / "images" / "inner.png").symlink_to(
        publication / "no-1" / "images" / "own.png"
    )
    images = publication / "no-1" / "images"
    assert file_inside(publication, images / "own.png") == (images / "own.png").resolve()
    assert file_inside(publication, images / "inner.png") == (images / "own.png").resolve()
    assert file_inside(publication, images / "link.png") is None
    assert file_inside(publication, images / "missing.png") is None
    assert (
        file_inside(publication, publication / "no-1" / ".." / ".." / "outside" / "secret.png")
        is None
    )
    assert file_inside(publication, images) is None  # A folder is not a file to serve.


class _Issue:
    def __init__(self, path: Path, root: Path, inputs: set[Path]) -> None:
        self.path, self.root, self._inputs = path, root, inputs

    def inputs(self) -> set[Path]:
        return self._inputs

    def changed(self, paths: object) -> None:
        raise AssertionError("not called by affected()")


def test_a_change_reaches_the_issues_it_feeds(tmp_path: Path) -> None:
    root = tmp_path
    shared_image = root / "shared" / "photo.jpg"
    seven = _Issue(root / "no-7", root, {shared_image})
    eight = _Issue(root / "no-8", root, set())
    changes = [
        root / "no-7" / "moths.md",
        root / "no-8" / "issue.toml",
        root / "publication.toml",
        root / "templates" / "pdf" / "style.css",
        shared_image,
        root / "shared" / "unused.jpg",
        root / "notes.txt",
    ]
    assert affected(seven, changes) == [
        root / "no-7" / "moths.md",
        root / "publication.toml",
        root / "templates" / "pdf" / "style.css",
        shared_image,
    ]
    assert affected(eight, changes) == [
        root / "no-8" / "issue.toml",
        root / "publication.toml",
        root / "templates" / "pdf" / "style.css",
    ]


def test_the_watcher_skips_hidden_files_swap_files_and_the_preview_output(tmp_path: Path) -> None:
    keep = PreviewFilter([tmp_path / "out"])
    added = watchfiles.Change.added
    assert keep(added, str(tmp_path / "no-7" / "moths.md"))
    assert not keep(added, str(tmp_path / "no-7" / ".moths.md.swp"))
    assert not keep(added, str(tmp_path / "no-7" / "moths.md~"))
    assert not keep(added, str(tmp_path / "no-7" / ".masthead" / "build.json"))
    assert not keep(added, str(tmp_path / ".git" / "index"))
    assert not keep(added, str(tmp_path / "out" / "issue.pdf"))


def test_a_publication_offers_its_issues_and_an_issue_its_publication_root(tmp_path: Path) -> None:
    publication = tmp_path / "the-lantern"
    shutil.copytree(EXAMPLE.parent, publication)
    shutil.copytree(publication / "no-7", publication / "no-8")
    whole = Preview(publication, tmp_path / "out")
    assert whole.picker and whole.only is None
    assert list(whole.entries) == ["no-7", "no-8"]
    assert whole.entries["no-7"].title == "No. 7 · The Night Issue"
    assert whole.root == publication.resolve()
    one = Preview(publication / "no-7", tmp_path / "out")
    assert not one.picker and one.only == "no-7"
    assert one.root == publication.resolve()  # Its publication.toml and templates are inputs.
    assert Preview(publication / "no-7" / "issue.toml", tmp_path / "out").only == "no-7"
    with pytest.raises(InputError, match="no such folder"):
        Preview(tmp_path / "nowhere", tmp_path / "out")


def test_loopback_hosts_and_a_busy_port() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    first = bind("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(Exception, match=f"cannot listen on 127.0.0.1:{port}"):
            bind("127.0.0.1", port)
    finally:
        first.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example issue built (EPUB and PDF) as `masthead build` does it."""
    work = tmp_path_factory.mktemp("preview-built")
    issue = work / "the-lantern" / "no-7"
    shutil.copytree(EXAMPLE.parent, work / "the-lantern")
    build(issue, out_dir=work / "out", formats=("epub", "pdf"))
    return issue, work / "out"


def test_the_epub_view_is_the_epub_editions_own_xhtml(built: tuple[Path, Path]) -> None:
    issue, out = built
    view = EpubRenderer(issue, out).render()
    epub = next(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as book:
        assert view.stylesheet == book.read("EPUB/style.css")
        for document in view.documents:
            assert document.content == book.read(f"EPUB/{document.file_name}"), document.file_name
        in_book = {n.removeprefix("EPUB/") for n in book.namelist() if n.endswith(".xhtml")}
    assert {d.file_name for d in view.documents} == in_book - {"nav.xhtml"}
    # The page markers of the PDF built alongside are there, as in the book.
    assert any(b'role="doc-pagebreak"' in d.content for d in view.documents)
    assert [d.kind for d in view.documents[:3]] == ["cover", "contents", "article"]


def test_the_pdf_view_finds_each_documents_pages(built: tuple[Path, Path]) -> None:
    issue, out = built
    view = EpubRenderer(issue, out).render()
    # The colophon is the EPUB's alone: no page of the PDF begins it.
    documents = [d for d in view.documents if d.anchor]
    assert [d.file_name for d in view.documents if not d.anchor] == ["colophon.xhtml"]
    pdf_file = next(out.glob("*.pdf"))
    pdf = PdfView(1, pdf_file.read_bytes())
    try:
        # article_break "auto": short pieces run on, sharing a page with the one before.
        ranges = pdf.ranges([d.anchor for d in documents], run_on=True)
        with pikepdf.open(pdf_file) as opened:
            dests = pikepdf.NameTree(opened.Root.Names.Dests)
            page_of = {page.objgen: i for i, page in enumerate(opened.pages)}
            starts = [page_of[dests[d.anchor][0].objgen] for d in documents]
            count = len(opened.pages)
        # Each document from its own first page up to where the next begins; every page.
        assert [ranges[d.anchor][0] for d in documents] == starts
        pages = [p for d in documents for p in ranges[d.anchor]]
        assert sorted(set(pages)) == list(range(count))
        assert pages == sorted(pages)  # In reading order; a shared page where one runs on.
        moths = ranges["moths"]
        text = " ".join(run["text"] for run in pdf.text(moths[0])["runs"])
        assert "What the Moths Know" in text
        assert pdf.image(moths[0])[:3] == b"\xff\xd8\xff"  # A JPEG.
    finally:
        pdf.close()


def _masthead(
    *args: str, modules: str = "", env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`masthead ARGS…` in a fresh interpreter; `modules`: names to make unimportable first."""
    blocked = "".join(f"sys.modules[{name!r}] = None; " for name in modules.split())
    code = (
        f"import sys; {blocked}sys.argv = ['masthead', *sys.argv[1:]]; "
        "from masthead.cli import main; main()"
    )
    env = dict(env or os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_another_host_is_warned_about(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.parent, tmp_path / "the-lantern")
    issue = tmp_path / "the-lantern" / "no-7"
    process = _masthead(
        "preview", str(issue), "--host", "0.0.0.0", "--port", "0", "--out", str(tmp_path / "out")
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert url.startswith("http://0.0.0.0:")
    assert "warning: listening on 0.0.0.0: the preview has no authentication" in stderr
    assert process.returncode in (0, 130) and "Traceback" not in stderr


def test_a_missing_folder_and_a_missing_extra_are_one_line_errors(tmp_path: Path) -> None:
    missing = _masthead("preview", str(tmp_path / "nowhere"))
    _, stderr = missing.communicate(timeout=120)
    assert missing.returncode == 1
    assert stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nowhere'}: no such folder — give an issue or publication folder"
    ]
    no_extra = _masthead("preview", str(EXAMPLE), modules="uvicorn")
    _, stderr = no_extra.communicate(timeout=120)
    assert no_extra.returncode == 1 and "Traceback" not in stderr
    assert "masthead preview needs the `preview` extra" in stderr
    assert "pip install 'masthead[preview]'" in stderr


def test_open_shows_the_preview_in_the_users_browser(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    opener = tmp_path / "browser.sh"
    opener.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    opener.chmod(0o755)
    env = dict(os.environ, BROWSER=str(opener))
    process = _masthead(
        "preview", str(EXAMPLE), "--port", "0", "--open", "--out", str(tmp_path / "out"), env=env
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    deadline = time.monotonic() + 60
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert url.startswith("http://127.0.0.1:")
    assert opened.read_text().strip() == url


def test_a_folder_of_a_static_site_is_previewed_within_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (site / "static" / "img").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "A Site"\n')
    (posts / "first.md").write_text("---\ntitle: First\n---\n\n![A dot](/img/dot.png)\n")
    preview = Preview(posts, tmp_path / "out")
    assert preview.only == "posts"
    assert preview.root == site.resolve()  # Its images live in static/, above the posts.
