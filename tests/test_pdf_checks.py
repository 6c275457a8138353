"""Every joined PDF is checked before it is written; a failed check means one pass instead.

Each test breaks one step of the join (in this process: one job, no workers) and expects the
check that catches it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import page_differences
from masthead import build
from masthead.build import prepare
from masthead.editions.pdf import fast as fastpdf
from masthead.editions.pdf import fonts, join
from masthead.editions.pdf.single import package_pdf, page_size_css
from masthead.render.documents import render_pdf

TITLES = ["Fine print", "Office hours", "Last words"]


@pytest.fixture(scope="module")
def issue_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short articles, each naming the next as related (page references), with a
    footnote and ligatures."""
    folder = tmp_path_factory.mktemp("checked")
    for number, title in enumerate(TITLES):
        related = TITLES[(number + 1) % len(TITLES)]
        body = " ".join(["The efficient office files the final figures first."] * 30)
        (folder / f"a{number}.md").write_text(
            f"+++\ntitle = '{title}'\ndate = 2026-11-0{number + 1}\nrelated = ['{related}']\n"
            f"+++\n\n{body}[^1]\n\n{body}\n\n[^1]: A note on {title.lower()}.\n",
            encoding="utf-8",
        )
    return folder


def _fast(folder: Path) -> fastpdf.FastOutput:
    issue, _ = prepare(folder, title="Checked")
    html = render_pdf(issue, page_size_css(issue.publication.page_size)).html
    return fastpdf.build_fast(issue, html, variant="pdf/ua-1", jobs=1)


def test_a_good_join_passes(issue_folder: Path) -> None:
    assert _fast(issue_folder).pages >= 4


def _half_subsets(original: Callable[..., Any]) -> Callable[..., Any]:
    def half(data: bytes, index: int, glyphs: list[int]) -> bytes | None:
        return original(data, index, glyphs[: len(glyphs) // 2])

    return half


def _no_numbers(*_: Any) -> None:
    """Placeholders and folio marks left as the pieces drew them."""


def _outline_retitled(original: Callable[..., Any]) -> Callable[..., Any]:
    def retitled(out: Any, tree: Any) -> None:
        original(out, [("Another title", *tree[0][1:]), *tree[1:]])

    return retitled


def _parent_tree_lost(original: Callable[..., Any]) -> Callable[..., Any]:
    def lost(out: Any, sources: Any, laid: Any) -> None:
        original(out, sources, laid)
        del out.pages[-1].obj.StructParents

    return lost


@pytest.mark.parametrize(
    ("where", "name", "broken", "check"),
    [
        (fonts, "subset_font", _half_subsets(fonts.subset_font), "fonts"),
        (join, "set_numbers", _no_numbers, "text"),
        (join, "_outline", _outline_retitled(join._outline), "outline"),
        (join, "merge_structure", _parent_tree_lost(join.merge_structure), "structure tree"),
    ],
)
def test_a_broken_join_is_caught(
    issue_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: Any,
    name: str,
    broken: Callable[..., Any],
    check: str,
) -> None:
    monkeypatch.setattr(where, name, broken)
    with pytest.raises(fastpdf.Untrusted, match=f"failed its {check} check"):
        _fast(issue_folder)


def test_a_failed_check_gives_the_one_pass_pdf_and_one_warning(
    issue_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "subset_font", _half_subsets(fonts.subset_font))
    # "auto" mode, one job: the pieces are laid out here, where the break is.
    result = build(issue_folder, out_dir=tmp_path, formats=("pdf",), title="Checked", pdf_jobs=1)
    fell_back = [w.message for w in result.warnings if "one pass" in w.message]
    assert len(fell_back) == 1
    assert fell_back[0].startswith("PDF laid out in one pass: the joined PDF failed its fonts")
    issue, _ = prepare(issue_folder, title="Checked")
    single = package_pdf(issue, render_pdf(issue, page_size_css(issue.publication.page_size)))
    assert page_differences(result.outputs[0].read_bytes(), single.data) == []


def test_copied_text_is_the_source_text_ligatures_included(issue_folder: Path) -> None:
    """The fonts the join subsets carry Unicode maps: PDFium reads the articles' words as they
    were written, "ffi" and "fi" ligatures included (only spaces, line breaks and hyphens
    differ). Each article repeats one sentence 60 times; a page break (running head, folio,
    footnote) interrupts at most two of them a page."""
    import re

    import pypdfium2

    def squeezed(text: str) -> str:
        return re.sub(r"[\s\ufffe\x02\u00ad\u2010-]+", "", text)

    pdf = pypdfium2.PdfDocument(_fast(issue_folder).data)
    read = squeezed("".join(page.get_textpage().get_text_range() for page in pdf))
    sentence = squeezed("The efficient office files the final figures first.")
    assert read.count(sentence) >= 60 * len(TITLES) - 2 * len(pdf)
    for title in TITLES:
        assert squeezed(f"A note on {title.lower()}.") in read
