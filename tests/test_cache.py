"""No-change rebuilds: nothing is parsed, laid out or rewritten when no input changed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE
from masthead import build
from masthead.cli import app

EPUB = ("epub",)  # EPUB-only builds keep these tests fast; the cache treats formats alike.


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    """A writable copy of the example publication; returns its issue folder."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "pub")
    return tmp_path / "pub" / EXAMPLE.name


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.rglob("*") if p.is_file()
    }


def test_second_build_does_nothing_and_rewrites_nothing(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    first = build(issue, out_dir=out, formats=EPUB)
    assert "load" in first.timings
    before = _stamps(out)
    second = build(issue, out_dir=out, formats=EPUB)
    assert set(second.timings) == {"cache"}
    assert second.outputs == first.outputs
    assert second.warnings == first.warnings
    assert _stamps(out) == before


def test_no_change_build_imports_no_engine(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(issue, out_dir=out, formats=EPUB)
    script = (
        "import sys; from pathlib import Path; import masthead\n"
        f"r = masthead.build(Path({str(issue)!r}), out_dir=Path({str(out)!r}), formats=('epub',))\n"
        "heavy = ('weasyprint', 'ebooklib', 'markdown_it', 'jinja2', 'PIL', 'lxml')\n"
        "print(sorted(r.timings), sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "['cache'] []"


def test_an_edited_article_is_rebuilt(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(issue, out_dir=out, formats=EPUB)
    article = issue / "moths.md"
    article.write_text(article.read_text() + "\nOne more line about moths.\n")
    again = build(issue, out_dir=out, formats=EPUB)
    assert "load" in again.timings


@pytest.mark.parametrize("change", ["template", "publication", "image"])
def test_templates_publication_and_images_are_inputs(
    issue: Path, tmp_path: Path, change: str
) -> None:
    out = tmp_path / "dist"
    build(issue, out_dir=out, formats=EPUB)
    if change == "template":
        folder = issue.parent / "templates" / "epub"
        folder.mkdir(parents=True)
        shutil.copy(EXAMPLE.parents[2] / "templates" / "epub" / "style.css", folder)
        (folder / "style.css").write_text((folder / "style.css").read_text() + "\np{}\n")
    elif change == "publication":
        toml = issue.parent / "publication.toml"
        toml.write_text(toml.read_text().replace("The Lantern", "The Lamp", 1))
    else:
        image = next((issue / "images").iterdir())
        image.write_bytes(image.read_bytes() + b"\0")
    assert "load" in build(issue, out_dir=out, formats=EPUB).timings


def test_changed_or_missing_output_and_other_options_rebuild(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    first = build(issue, out_dir=out, formats=EPUB)
    epub = first.outputs[0]
    epub.write_bytes(epub.read_bytes()[:-1] + b"x")
    assert "load" in build(issue, out_dir=out, formats=EPUB).timings
    epub.unlink()
    assert "load" in build(issue, out_dir=out, formats=EPUB).timings
    assert epub.exists()
    assert "load" in build(issue, out_dir=out, formats=EPUB, title="Another").timings
    assert "load" in build(issue, out_dir=out, formats=EPUB, use_cache=False).timings


def test_record_lists_outputs_with_sizes(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(issue, out_dir=out, formats=EPUB)
    (record,) = (out / ".masthead").glob("build-*.json")
    data = json.loads(record.read_text())
    assert {name: meta["size"] for name, meta in data["outputs"].items()} == {
        p.name: p.stat().st_size for p in result.outputs
    }


def test_cli_no_cache_forces_a_build(issue: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    args = ["build", str(issue), "--out", str(out), "--format", "epub"]
    assert CliRunner().invoke(app, args).exit_code == 0
    before = _stamps(out)
    assert CliRunner().invoke(app, args).exit_code == 0
    assert _stamps(out) == before
    result = CliRunner().invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert _stamps(out) != before
