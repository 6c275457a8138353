"""Every folder of the nodejs-i18n corpus (15 languages, 5 scripts) builds zero-config: exit 0,
EPUBCheck clean, no missing glyphs, the language guessed and reported, Arabic and Persian right
to left in both editions with their own labels.

Built once per module by two real CLI runs (EPUB only for most folders; EPUB and PDF for the
scripts that need looking at: ar, fa, ja, ta, zh-cn). PDFs are laid out in one pass
(`--pdf-mode single`): the fast path's fonts for glyphs that fall back to other faces are being
fixed elsewhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from conftest import SHARED, epubcheck, findings, need_shared

CORPUS = SHARED / "corpora" / "nodejs-i18n"
WITH_PDF = ("ar", "fa", "ja", "ta", "zh-cn")
# What each folder's language is taken to be: its name, where its script agrees.
EXPECTED_LANGUAGE = {
    "ar": "ar",
    "en": "en",
    "es": "es",
    "fa": "fa",
    "fr": "fr",
    "id": "id",
    "ja": "ja",
    "ko": "ko",
    "pt": "pt",
    "pt-br": "pt-br",
    "ro": "ro",
    "ta": "ta",
    "tr": "tr",
    "uk": "uk",
    "zh-cn": "zh-cn",
    "zh-tw": "zh-tw",
}
OPF_NS = {"opf": "http://www.idpf.org/2007/opf"}
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _masthead(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "masthead", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    need_shared(CORPUS)
    folders = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    assert set(folders) == set(EXPECTED_LANGUAGE), folders
    out = tmp_path_factory.mktemp("nodejs-i18n")
    epub_only = [str(CORPUS / f) for f in folders if f not in WITH_PDF]
    both = [str(CORPUS / f) for f in WITH_PDF]
    runs = [
        _masthead("build", *epub_only, "-o", str(out), "-f", "epub", "-j", "2"),
        _masthead(
            "build",
            *both,
            "-o",
            str(out),
            "-f",
            "epub",
            "-f",
            "pdf",
            "--pdf-mode",
            "single",
            "-j",
            "2",
        ),
    ]
    with ThreadPoolExecutor(2) as pool:
        reports = pool.map(lambda f: findings(epubcheck(out / f"{f}.epub")), folders)
        checks = dict(zip(folders, reports, strict=True))
    return out, runs, checks


def test_every_folder_builds_with_exit_0(corpus) -> None:  # type: ignore[no-untyped-def]
    out, runs, _ = corpus
    for run in runs:
        assert run.returncode == 0, run.stderr
    for name in EXPECTED_LANGUAGE:
        assert (out / f"{name}.epub").is_file(), name
    for name in WITH_PDF:
        assert (out / f"{name}.pdf").is_file(), name


@pytest.mark.parametrize("name", sorted(EXPECTED_LANGUAGE))
def test_epubcheck_reports_nothing(corpus, name: str) -> None:  # type: ignore[no-untyped-def]
    _, _, checks = corpus
    assert checks[name] == []


def test_no_missing_glyph_warnings(corpus) -> None:  # type: ignore[no-untyped-def]
    _, runs, _ = corpus
    for run in runs:
        assert ".notdef" not in run.stderr
        assert "printed as boxes" not in run.stderr


def test_language_is_guessed_and_reported_in_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    out, runs, _ = corpus
    stderr = "".join(run.stderr for run in runs)
    for name, tag in EXPECTED_LANGUAGE.items():
        with zipfile.ZipFile(out / f"{name}.epub") as epub:
            opf = etree.fromstring(epub.read("EPUB/content.opf"))
            contents = epub.read("EPUB/contents.xhtml").decode()
        assert opf.findtext(".//{http://purl.org/dc/elements/1.1/}language") == tag, name
        assert '<html xmlns="http://www.w3.org/1999/xhtml"' in contents
        assert f'lang="{tag}" xml:lang="{tag}"' in contents, name
        notes = [line for line in stderr.splitlines() if f"nodejs-i18n/{name}: language" in line]
        assert len(notes) == 1, (name, notes)
        assert f"'{tag}' chosen" in notes[0]


def _epub_text(epub_path: Path, name: str) -> str:
    with zipfile.ZipFile(epub_path) as epub:
        return epub.read(f"EPUB/{name}").decode()


@pytest.mark.parametrize(
    ("name", "contents_label", "head_label"),
    [("ar", "في هذا العدد", "المحتويات"), ("fa", "در این شماره", "فهرست مطالب")],
)
def test_rtl_epub(corpus, name: str, contents_label: str, head_label: str) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    epub_path = out / f"{name}.epub"
    with zipfile.ZipFile(epub_path) as epub:
        opf = etree.fromstring(epub.read("EPUB/content.opf"))
        documents = [n for n in epub.namelist() if n.endswith(".xhtml")]
    spine = opf.find("opf:spine", OPF_NS)
    assert spine is not None and spine.get("page-progression-direction") == "rtl"
    for document in documents:
        root = etree.fromstring(_epub_text(epub_path, document.removeprefix("EPUB/")).encode())
        body = root.find("{http://www.w3.org/1999/xhtml}body")
        assert root.get("dir") == "rtl", document
        assert body is not None and body.get("dir") == "rtl", document
    contents = _epub_text(epub_path, "contents.xhtml")
    assert f">{contents_label}</h1>" in contents
    assert f">{head_label}</h1>" in _epub_text(epub_path, "nav.xhtml")
    # Latin names inside the right-to-left text are isolated.
    governance = _epub_text(epub_path, "governance.xhtml")
    assert "<bdi>Node.js</bdi>" in governance
    assert "In this issue" not in contents and "Contents" not in contents


def _page_text(pdf: Path, index: int) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return BIDI_CONTROLS.sub("", document[index].get_textpage().get_text_range())
    finally:
        document.close()


def _largest_text_box(pdf: Path, index: int) -> tuple[float, float, float]:
    """(left, right, page width) of the characters set in the largest size on a page: its
    title, on its first line (the top of those characters)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        text = page.get_textpage()
        chars = range(text.count_chars())
        sizes = {i: pypdfium2.raw.FPDFText_GetFontSize(text.raw, i) for i in chars}
        largest = max(sizes.values())
        boxes = [text.get_charbox(i) for i in chars if sizes[i] > largest - 0.5]
        boxes = [b for b in boxes if b[2] > b[0]]  # Not spaces.
        top = max(b[3] for b in boxes)
        first_line = [b for b in boxes if b[3] > top - largest]
        return min(b[0] for b in first_line), max(b[2] for b in first_line), page.get_width()
    finally:
        document.close()


@pytest.mark.parametrize(
    ("name", "labels"),
    # The magazine theme's contents page carries the publication as its running head, not
    # "Contents": the page's own heading is the label printed there.
    [("ar", ["في هذا العدد"]), ("fa", ["در این شماره"])],
)
def test_rtl_pdf_labels(corpus, name: str, labels: list[str]) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    contents_page = _page_text(out / f"{name}.pdf", 1)
    for label in labels:
        assert label in contents_page, (label, contents_page[:300])
    assert "In this issue" not in contents_page and "Contents" not in contents_page


A4_SIDE_MARGIN = 18 / 25.4 * 72  # The magazine theme: about 18 mm on each side of an A4 page.


@pytest.mark.parametrize("name", ["ar", "fa"])
def test_rtl_pdf_title_sits_at_the_right_margin(corpus, name: str) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    left, right, width = _largest_text_box(out / f"{name}.pdf", 2)  # The first article.
    assert abs(right - (width - A4_SIDE_MARGIN)) < 8, (left, right, width)
    assert left > A4_SIDE_MARGIN + 20  # Its line ends short of the left margin: ragged left.


def test_ltr_pdf_title_sits_at_the_left_margin(corpus) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    left, _, _ = _largest_text_box(out / "ja.pdf", 2)
    assert abs(left - A4_SIDE_MARGIN) < 8, left


def _font_names(pdf: Path) -> set[str]:
    names: set[str] = set()
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for font in (page.resources.get("/Font") or {}).values():
                names.add(str(font.get("/BaseFont", "")).split("+")[-1])
    return names


@pytest.mark.parametrize(
    ("name", "face"),
    [
        ("ja", "Noto-Serif-CJK-JP"),
        ("zh-cn", "Noto-Serif-CJK-SC"),
        ("ta", "Noto-Serif-Tamil"),
        ("ar", "Noto-Naskh-Arabic"),
    ],
)
def test_each_script_set_in_its_own_noto_face(corpus, name: str, face: str) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    fonts = _font_names(out / f"{name}.pdf")
    assert any(f.startswith(face) for f in fonts), fonts
    assert not any(f.startswith("DejaVu-Sans") and "Mono" not in f for f in fonts), fonts


def test_cjk_labels_and_no_letter_spacing_hyphens(corpus) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = corpus
    assert "この号の内容" in _page_text(out / "ja.pdf", 1)
    assert "本期内容" in _page_text(out / "zh-cn.pdf", 1)
    body = _page_text(out / "ja.pdf", 2)
    assert "-\n" not in body  # No hyphenation at line ends.
