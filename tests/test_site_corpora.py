"""Real static sites built zero-config (each once per module): Jekyll's news posts and each
section of Hugo's documentation. Exit 0, EPUBCheck silent, and no template tag in the text of
either edition — outside code, where a post shows Liquid on purpose (`{% raw %}`) and a
workflow file has `${{ github.x }}`: those are the text."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from lxml import etree
from typer.testing import CliRunner

from conftest import SHARED, epubcheck, findings, need_shared
from masthead.cli import app

CORPORA = SHARED / "corpora"
SITES = {
    "jekyll-news": CORPORA / "jekyll-news" / "_posts",
    "hugo-host-and-deploy": CORPORA / "hugo-docs" / "content" / "en" / "host-and-deploy",
    "hugo-getting-started": CORPORA / "hugo-docs" / "content" / "en" / "getting-started",
}
TAGS = re.compile(r"\{\{|\{%|%\}|\}\}")
XHTML = "{http://www.w3.org/1999/xhtml}"
runner = CliRunner()


@pytest.fixture(scope="module", params=list(SITES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = need_shared(SITES[request.param])
    out = tmp_path_factory.mktemp(request.param)
    result = runner.invoke(app, ["build", str(folder), "-o", str(out), "--no-cache"])
    return request.param, result, out


def _epub_text(epub: Path) -> tuple[str, str]:
    """(text outside code, text inside code) of every XHTML document of an EPUB."""
    outside, inside = [], []
    with zipfile.ZipFile(epub) as zf:
        for name in zf.namelist():
            if not name.endswith(".xhtml"):
                continue
            root = etree.fromstring(zf.read(name))
            for code in list(root.iter(f"{XHTML}pre", f"{XHTML}code")):
                if code.getparent() is None or any(
                    a.tag in (f"{XHTML}pre", f"{XHTML}code") for a in code.iterancestors()
                ):
                    continue
                inside.append("".join(code.itertext()))
                tail = code.tail
                parent = code.getparent()
                parent.remove(code)
                if tail:  # Keep the words after the code.
                    outside.append(tail)
            outside.append("".join(root.itertext()))
    return "\n".join(outside), "\n".join(inside)


def test_builds_with_exit_0(built) -> None:  # type: ignore[no-untyped-def]
    name, result, out = built
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert len(list(out.glob("*.epub"))) == 1 and len(list(out.glob("*.pdf"))) == 1


def test_epubcheck_reports_nothing(built) -> None:  # type: ignore[no-untyped-def]
    _, _, out = built
    assert findings(epubcheck(next(out.glob("*.epub")))) == []


def test_no_template_tags_reach_a_reader(built) -> None:  # type: ignore[no-untyped-def]
    name, _, out = built
    outside, inside = _epub_text(next(out.glob("*.epub")))
    assert not TAGS.findall(outside), [
        outside[max(0, m.start() - 60) : m.end() + 60] for m in TAGS.finditer(outside)
    ][:5]
    # Hugo shortcodes are never the text, not even in code (a page shows one as {{</* */>}}).
    assert "{{<" not in inside and "{{%" not in inside
    document = pypdfium2.PdfDocument(next(out.glob("*.pdf")))
    pdf_text = "\n".join(page.get_textpage().get_text_range() for page in document)
    # The PDF has no more tags than the EPUB's code shows (same words, set another way).
    for tag in ("{{<", "{{%", "{%", "{{"):
        assert pdf_text.count(tag) <= inside.count(tag), (tag, name)


def test_site_material_used(built) -> None:  # type: ignore[no-untyped-def]
    """Site-absolute images, section introductions and callouts made it in."""
    name, _, out = built
    with zipfile.ZipFile(next(out.glob("*.epub"))) as zf:
        names = zf.namelist()
        documents = "".join(zf.read(n).decode() for n in names if n.endswith(".xhtml"))
    if name == "jekyll-news":
        assert any(n.endswith("jekyll-sticker.png") for n in names)
        assert 'href="https://github.com/jekyll/jekyll/issues/1037"' in documents  # a loop ran
    else:
        assert 'class="section-intro"' in documents
        assert 'class="callout callout-note"' in documents
        assert "[!NOTE]" not in documents
