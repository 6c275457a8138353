"""The fast PDF trusts only the WeasyPrint it was tested on; else one pass and a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLE
from masthead import build
from masthead.build import prepare
from masthead.editions.pdf import weasy
from masthead.editions.pdf.single import package_pdf, page_size_css
from masthead.render.documents import render_pdf


def _one_pass() -> bytes:
    """The example's default (tagged) PDF laid out in one pass, here and now."""
    issue, _ = prepare(EXAMPLE)
    rendered = render_pdf(issue, page_size_css(issue.publication.page_size))
    return package_pdf(issue, rendered).data


def _build_warned(out: Path) -> tuple[bytes, list[str]]:
    """A default build ("auto": the example's 6 articles would be laid out in pieces)."""
    result = build(EXAMPLE, out_dir=out, formats=("pdf",))
    fell_back = [w.message for w in result.warnings if "laid out in one pass" in w.message]
    return result.outputs[0].read_bytes(), fell_back


def test_a_missing_internal_lays_the_pdf_out_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint.text.fonts

    # Used by the fast path only (WeasyPrint's own drawing imported it already).
    monkeypatch.delattr(weasyprint.text.fonts, "get_pango_font_key")
    assert weasy.problem() is not None
    data, fell_back = _build_warned(tmp_path)
    assert fell_back == [
        "PDF laid out in one pass: WeasyPrint 70.0 lacks "
        "weasyprint.text.fonts.get_pango_font_key, which the fast path needs"
    ]
    # Without the internals the one pass does without its speed-ups (leaders drawn dot by
    # dot): the build's PDF is that one pass.
    assert data == _one_pass()


def test_an_unknown_version_lays_the_pdf_out_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    data, fell_back = _build_warned(tmp_path)
    assert fell_back == [
        "PDF laid out in one pass: WeasyPrint 71.0 is not one the fast path is tested on (70.x)"
    ]
    assert data == _one_pass()


def test_the_tested_weasyprint_is_trusted() -> None:
    assert weasy.problem() is None
