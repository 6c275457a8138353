"""`masthead preview` in a real browser (Debian's chromium through chromium-driver): edits on
disk show up in the EPUB and PDF views, a broken file shows its error and the page recovers,
the reader's controls work, no page script fails; refusals over plain HTTP; Ctrl-C stops it."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import EXAMPLE, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 120  # Seconds: only a ceiling for a loaded machine; nothing here measures speed.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
]


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, publication: Path) -> None:
        self.process, self.url, self.publication = process, url, publication
        self.issue = publication / "no-7"
        split = urlsplit(url)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80

    def get(self, path: str, method: str = "GET", host: str | None = None) -> tuple[int, bytes]:
        """A request with the path exactly as given (no client-side normalisation)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        try:
            headers = {"Host": host} if host else {}
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The preview of a copy of the example publication (two issues), started as a user would."""
    work = tmp_path_factory.mktemp("preview")
    publication = work / "the-lantern"
    shutil.copytree(EXAMPLE.parent, publication)
    shutil.copytree(publication / "no-7", publication / "no-8")
    toml = publication / "no-8" / "issue.toml"
    toml.write_text(toml.read_text().replace("number = 7", "number = 8"))
    # A picture that is a symlink to a file outside the publication: a build refuses such a
    # file when an article uses it (issue 13), and the preview must not serve it either.
    outside = work / "outside"
    outside.mkdir()
    chart = publication / "no-7" / "images" / "sky-brightness.svg"
    shutil.copy(chart, outside / "private.svg")
    (chart.parent / "private.svg").symlink_to(outside / "private.svg")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "masthead", "preview", str(publication), "--port", "0"]
        + ["--out", str(work / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # Ctrl-C below goes to the server alone, as from its terminal.
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), (url, process.stderr and process.stderr.read())
    running = Server(process, url, publication)
    assert running.get("/i/no-7/")[0] == 200  # Starts building it while the browser starts.
    yield running
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing on CI; setup.sh installs them")
        pytest.skip("Debian's chromium and chromium-driver are not installed (see setup.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="masthead-chromium-")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(driver, script: str, *args: object) -> object:  # type: ignore[no-untyped-def]
    """Polls a script in the page until it returns something truthy; returns that."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(
        lambda d: d.execute_script(script, *args)
    )


EPUB_TEXT = """
const frame = document.getElementById('epub-frame');
const body = frame.contentDocument && frame.contentDocument.body;
return body && body.textContent.includes(arguments[0]) ? body.textContent : null;
"""
# The text layer of a PDF page whose image has loaded, once it holds the words (its lines
# joined: each ends with a space, a word broken at a line's end with a hyphen, U+2010).
PDF_TEXT = r"""
for (const page of document.querySelectorAll('#pdf-pages .pdf-page')) {
  const image = page.querySelector('img');
  const text = page.querySelector('.text-layer').textContent
    .replace(/\u2010\s*/g, '').replace(/\s+/g, ' ');
  if (image.complete && image.naturalWidth > 0 && text.includes(arguments[0])) {
    return {page: page.dataset.page, version: page.dataset.version, src: image.src};
  }
}
return null;
"""
ERROR_TEXT = """
const error = document.getElementById('error');
return !error.hidden && error.textContent.includes(arguments[0]) ? error.textContent : null;
"""


def append(file: Path, text: str) -> None:
    file.write_text(file.read_text().rstrip() + f"\n\n{text}\n")


def severe_logs(driver) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_the_picker_lists_the_publications_issues(server: Server) -> None:
    status, body = server.get("/")
    assert status == 200
    assert b'href="/i/no-7/"' in body and b'href="/i/no-8/"' in body
    assert b"No. 8 \xc2\xb7 The Night Issue" in body


def test_an_edit_shows_in_both_views_and_keeps_the_place(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(server.url + "i/no-7/#doc=moths.xhtml")
    wait_until(browser, EPUB_TEXT, "What the Moths Know")
    first = wait_until(browser, PDF_TEXT, "What the Moths Know")
    # The PDF view shows the article's own pages, with the folio the PDF prints on them.
    label = browser.execute_script("return document.getElementById('pdf-where').textContent")
    assert label.startswith("pp. ") and first["page"] in label
    # Scroll the chapter down, then edit the article on disk.
    browser.execute_script("document.getElementById('epub-frame').contentWindow.scrollTo(0, 400)")
    sentence = "A late moth settled on the open page of the preview"
    append(server.issue / "moths.md", sentence + ".")
    wait_until(browser, EPUB_TEXT, sentence)
    scrolled = browser.execute_script(
        "return document.getElementById('epub-frame').contentWindow.scrollY"
    )
    assert scrolled == 400  # Patched in place: the reader's place is kept.
    found = wait_until(browser, PDF_TEXT, sentence)
    assert found["version"] != first["version"]
    assert severe_logs(browser) == []


def test_a_broken_file_shows_its_error_and_the_page_recovers(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(server.url + "i/no-7/#doc=lamplighters.xhtml")
    wait_until(browser, EPUB_TEXT, "The Last Lamplighters")
    article = server.issue / "lamplighters.md"
    good = article.read_text()
    article.write_text(good.replace('"The Last Lamplighters"', "The Last: Lamplighters"))
    shown = wait_until(browser, ERROR_TEXT, "lamplighters.md:2")
    assert "malformed YAML front matter" in shown
    link = browser.execute_script("return document.getElementById('error-where').href")
    assert link.endswith("/i/no-7/source/no-7/lamplighters.md#L2")
    status, source = server.get(urlsplit(link).path)
    assert status == 200 and b'id="L2"' in source and b"The Last: Lamplighters" in source
    assert server.process.poll() is None
    # A missing image: its error, with the article's line.
    article.write_text(good.replace("images/lamplighter.jpg", "images/no-such-lamp.jpg"))
    shown = wait_until(browser, ERROR_TEXT, "image not found")
    assert "lamplighters.md:11" in shown
    # A save that builds, with a warning: the error goes, the warnings panel lists it.
    no_alt = "\n".join(line for line in good.splitlines() if not line.startswith("image_alt:"))
    article.write_text(no_alt + "\n")
    wait_until(browser, "return document.getElementById('error').hidden")
    # (The PDF adds its own: WeasyPrint's PDF/UA check finds the same image without alt.)
    found = wait_until(
        browser,
        """
        const item = [...document.querySelectorAll('#warning-list li')]
          .find((li) => li.textContent.includes('lamplighters.md:11'));
        const where = item && item.querySelector('a.where');
        return where ? {text: item.textContent, where: where.textContent, href: where.href} : null;
        """,
    )
    assert "lead image has no `image_alt` text" in found["text"]
    assert found["where"] == "no-7/lamplighters.md:11"
    assert found["href"].endswith("/i/no-7/source/no-7/lamplighters.md#L11")
    browser.find_element("id", "warnings-toggle").click()
    assert browser.find_element("id", "warnings").is_displayed()
    # The next good save: the warning goes, the new text comes.
    sentence = "The round ended where it began, at the lamp by the pier"
    article.write_text(good.rstrip() + f"\n\n{sentence}.\n")
    wait_until(browser, EPUB_TEXT, sentence)
    wait_until(browser, "return document.getElementById('error').hidden")
    wait_until(browser, PDF_TEXT, sentence)
    wait_until(browser, "return document.getElementById('warnings-toggle').textContent"
               " === 'No warnings'")  # fmt: skip
    status, _ = server.get("/i/no-7/source/no-7/lamplighters.md")
    assert status == 404  # Named by no error or warning now: not shown.
    assert severe_logs(browser) == []


def test_the_download_is_the_previews_untagged_pdf(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    """The same pages as the edition, untagged (faster to rebuild), and named as a preview's."""
    browser.get(server.url + "i/no-7/#doc=moths.xhtml")
    href = wait_until(
        browser,
        "const a = document.getElementById('download'); return a.hidden ? null : a.href;",
    )
    assert href.endswith("/i/no-7/download/the-lantern-vol-3-no-7-preview.pdf")
    status, data = server.get(urlsplit(href).path)
    assert status == 200
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 10 and "/StructTreeRoot" not in pdf.Root


def test_reader_controls_and_previous_next(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(server.url + "i/no-7/#doc=night-market.xhtml")
    wait_until(browser, EPUB_TEXT, "The Market That Opens at Midnight")
    wait_until(browser, PDF_TEXT, "The Market That Opens at Midnight")
    size = (
        "return parseFloat(getComputedStyle(document.getElementById('epub-frame')"
        ".contentDocument.querySelector('p')).fontSize)"
    )
    before = browser.execute_script(size)
    browser.find_element("id", "larger").click()
    browser.find_element("id", "larger").click()
    assert browser.execute_script(size) > before
    browser.find_element("id", "night").click()
    background = browser.execute_script(
        "return getComputedStyle(document.getElementById('epub-frame').contentDocument.body)"
        ".backgroundColor"
    )
    assert background == "rgb(23, 24, 28)"
    browser.find_element("id", "night").click()
    browser.find_element("id", "smaller").click()
    browser.find_element("id", "smaller").click()
    browser.find_element("id", "next").click()
    wait_until(browser, EPUB_TEXT, "In Praise of Dim Rooms")
    wait_until(browser, PDF_TEXT, "In Praise of Dim Rooms")
    browser.find_element("id", "previous").click()
    browser.find_element("id", "previous").click()
    wait_until(browser, EPUB_TEXT, "Last Boat to Skerrin")
    wait_until(browser, PDF_TEXT, "Last Boat to Skerrin")
    assert browser.execute_script("return location.hash") == "#doc=night-ferry.xhtml"
    # A link inside the chapter moves both views too.
    browser.execute_script(
        "document.getElementById('epub-frame').contentDocument"
        ".querySelector('.article-nav .next a').click()"
    )
    wait_until(browser, PDF_TEXT, "The Market That Opens at Midnight")
    assert severe_logs(browser) == []


def test_a_template_of_the_publication_restyles_the_epub_view(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(server.url + "i/no-7/#doc=dim-rooms.xhtml")
    wait_until(browser, EPUB_TEXT, "In Praise of Dim Rooms")
    colour = (
        "const title = document.getElementById('epub-frame').contentDocument"
        ".querySelector('.article-title');"
        "return title && getComputedStyle(title).color === arguments[0];"
    )
    before = browser.execute_script(
        "return getComputedStyle(document.getElementById('epub-frame').contentDocument"
        ".querySelector('.article-title')).color"
    )
    assert before != "rgb(140, 30, 20)"
    # A templates folder appears beside publication.toml, with the EPUB stylesheet in it.
    override = server.publication / "templates" / "epub" / "style.css"
    override.parent.mkdir(parents=True)
    override.write_text(
        '{% include "!default/epub/style.css" %}\n.article-title { color: rgb(140, 30, 20); }\n'
    )
    wait_until(browser, colour, "rgb(140, 30, 20)")
    assert server.get("/i/no-7/epub/style.css")[1].endswith(b"color: rgb(140, 30, 20); }\n")
    shutil.rmtree(server.publication / "templates")
    wait_until(browser, colour, before)
    assert severe_logs(browser) == []


def test_only_the_issues_outputs_and_assets_are_served(server: Server) -> None:
    status, state = server.get("/i/no-7/state")
    assert status == 200
    assert server.get("/i/no-7/epub/style.css")[0] == 200
    assert server.get("/i/no-7/epub/images/lamplighters-lamplighter.jpg")[0] == 200
    refused = [
        "/i/no-7/epub/../../../../../../etc/passwd",
        "/i/no-7/epub/images/../../issue.toml",
        "/i/no-7/epub/%2e%2e/%2e%2e/issue.toml",
        "/i/no-7/epub/..%2f..%2fissue.toml",
        "/i/no-7/epub/%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/i/no-7/epub//etc/passwd",
        "/i/..%2fno-7/state",
        "/i/no-7/epub/issue.toml",  # A file of the issue, but not an output or an asset.
        "/i/no-7/epub/lamplighters.md",
        "/i/no-7/source/no-7/issue.toml",  # Sources only when an error names them.
        "/i/no-9/state",
    ]
    for path in refused:
        assert server.get(path)[0] == 404, path
    # A picture in the issue's folder that is a symlink out of the publication.
    assert server.get("/i/no-7/epub/images/private.svg")[0] == 404
    assert server.get("/i/no-7/source/no-7/images/private.svg")[0] == 404
    # No write endpoint; only this machine's names are answered.
    assert server.get("/i/no-7/state", method="POST")[0] == 405
    assert server.get("/i/no-7/epub/moths.xhtml", method="PUT")[0] == 405
    assert server.get("/i/no-7/epub/moths.xhtml", method="DELETE")[0] == 405
    assert server.get("/i/no-7/state", host="attacker.example")[0] == 400


def test_ctrl_c_stops_the_server_cleanly(server: Server) -> None:
    children = _children(server.process.pid)
    assert children  # The build process, at least.
    os.kill(server.process.pid, signal.SIGINT)
    _, stderr = server.process.communicate(timeout=WAIT)
    assert server.process.returncode in (0, 130)
    assert "Traceback" not in stderr and "Preview stopped." in stderr
    # The build process (in a process group of its own) is gone with it; multiprocessing's
    # resource tracker leaves once it sees the server gone.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.1)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found
