"""Themes: a publication overrides any default template, or extends it."""

from __future__ import annotations

from pathlib import Path

import pytest

from masthead.build import prepare
from masthead.errors import TemplateError
from masthead.render.documents import render_epub, render_pdf, theme_for
from masthead.render.theme import Theme


def make(tmp_path: Path) -> Path:
    (tmp_path / "publication.toml").write_text('name = "Themed"\n')
    issue = tmp_path / "no-1"
    issue.mkdir()
    (issue / "issue.toml").write_text('[[sections]]\ntitle = "S"\narticles = ["a.md"]\n')
    (issue / "a.md").write_text("# Article A\n\nBody.\n")
    return issue


def test_override_replaces_a_default_file(tmp_path: Path) -> None:
    issue_dir = make(tmp_path)
    (tmp_path / "templates" / "epub").mkdir(parents=True)
    (tmp_path / "templates" / "epub" / "style.css").write_text("body { margin: 0 }\n")
    issue, _ = prepare(issue_dir)
    assert render_epub(issue).stylesheet == "body { margin: 0 }\n"


def test_override_can_extend_the_default(tmp_path: Path) -> None:
    issue_dir = make(tmp_path)
    folder = issue_dir / "templates" / "pdf"
    folder.mkdir(parents=True)
    (folder / "issue.html").write_text(
        '{% extends "!default/pdf/issue.html" %}{% block cover %}<p>CUSTOM COVER</p>{% endblock %}'
    )
    issue, _ = prepare(issue_dir)
    html = render_pdf(issue, "A4").html
    assert "CUSTOM COVER" in html and "Article A" in html
    assert 'class="cover"' not in html


def test_issue_templates_win_over_publication_templates(tmp_path: Path) -> None:
    issue_dir = make(tmp_path)
    for folder, text in (
        (tmp_path / "templates" / "epub", "pub"),
        (issue_dir / "templates" / "epub", "issue"),
    ):
        folder.mkdir(parents=True)
        (folder / "style.css").write_text(text)
    issue, _ = prepare(issue_dir)
    assert theme_for(issue).render("epub/style.css") == "issue"


def test_missing_template_names_every_folder_searched(tmp_path: Path) -> None:
    theme = Theme([tmp_path / "mine"])
    with pytest.raises(TemplateError) as caught:
        theme.render("pdf/nothing.html")
    message = str(caught.value)
    assert "pdf/nothing.html" in message
    assert str(tmp_path / "mine") in message and str(theme.default_dir) in message
