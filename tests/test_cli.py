"""The CLI: bad input gets one line naming the file, exit 1, no traceback, output untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from masthead.cli import app

runner = CliRunner()

GOOD_ARTICLE = "---\ntitle: Fine\ndate: 2026-01-02\n---\nBody.\n"
MANIFEST = '[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md", "b.md"]\n'


def issue_folder(tmp_path: Path, manifest: str = MANIFEST, **files: str | bytes) -> Path:
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "issue.toml").write_text(manifest)
    contents = {"a.md": GOOD_ARTICLE, "b.md": GOOD_ARTICLE.replace("Fine", "Also fine")}
    contents.update({k.replace("_", "."): v for k, v in files.items()})
    for name, text in contents.items():
        data = text.encode() if isinstance(text, str) else text
        (folder / name).write_bytes(data)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


BAD_INPUTS = {
    "missing file": (
        dict(manifest=MANIFEST.replace('"b.md"', '"nope.md"')),
        "issue.toml:5",
        "nope.md",
    ),
    "malformed front matter": (dict(b_md="---\ntitle: [unclosed\n---\nx\n"), "b.md:", "YAML"),
    "unclosed front matter": (dict(b_md="---\ntitle: x\nno end\n"), "b.md:1", "not closed"),
    "bad date": (dict(b_md="---\ntitle: x\ndate: 31/12/2026\n---\nx\n"), "b.md:3", "not a date"),
    "impossible date": (
        dict(b_md="---\ntitle: x\ndate: 2026-02-30\n---\nx\n"),
        "b.md:3",
        "impossible date",
    ),
    "unknown table key": (
        dict(manifest=MANIFEST.replace("number", "numbr")),
        "issue.toml:2",
        "in [issue]",
    ),
    "unknown manifest key": (
        dict(manifest=MANIFEST.replace("number", "numbre")),
        "issue.toml:2",
        "`numbre`",
    ),
    "duplicate article": (
        dict(manifest=MANIFEST.replace('"b.md"', '"a.md"')),
        "issue.toml",
        "listed twice",
    ),
    "missing image": (
        dict(b_md="# B\n\nText.\n\n![Alt](pics/none.png)\n"),
        "b.md:5",
        "image not found",
    ),
    "non-UTF-8 text": (dict(b_md="# Caf\xe9\n".encode("latin-1")), "b.md:1", "not UTF-8"),
    "binary file": (dict(b_md=b"\x89PNG\r\n\x1a\n\x00\x00\x00"), "b.md", "binary"),
    "no title": (dict(b_md="Just text.\n"), "b.md:1", "no title"),
    "bad TOML": (dict(manifest=MANIFEST + "[[sections]\n"), "issue.toml:6", "invalid TOML"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_1_and_output_untouched(tmp_path: Path, case: str) -> None:
    files, where, what = BAD_INPUTS[case]
    folder = issue_folder(tmp_path, **files)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous build")
    before = snapshot(out)
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error: ")
    assert where in message and what in message, message
    assert "Traceback" not in result.output
    assert snapshot(out) == before


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = issue_folder(tmp_path)
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        # chmod cannot stop root (CI runs as root), so refuse the read the way the OS would.
        if self.name == "b.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == 1
    assert "b.md: cannot read file (Permission denied)" in result.stderr
    assert not out.exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    folder = issue_folder(tmp_path, b_md="---\ntitle: x\ndate: never\n---\n")
    result = runner.invoke(app, ["--debug", "build", str(folder)])
    assert result.exit_code == 1
    assert result.exception is not None and "not a date" in str(result.exception)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["build"]).exit_code == 2
    assert runner.invoke(app, ["build", str(tmp_path), "--format", "docx"]).exit_code == 2
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["new"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output) > 200


def test_check_writes_nothing_and_reports(tmp_path: Path) -> None:
    folder = issue_folder(tmp_path)
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 articles in 1 section" in result.stdout
    assert snapshot(tmp_path) == before


def test_strict_fails_on_warnings_and_writes_nothing(tmp_path: Path) -> None:
    folder = issue_folder(tmp_path, b_md="# B\n\n[dead](#gone)\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["build", str(folder), "--out", str(out), "--strict", "--format", "epub"]
    )
    assert result.exit_code == 1
    assert "--strict" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_new_scaffolds_an_issue_that_builds(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "my-magazine")])
    assert result.exit_code == 0, result.output
    issue_dir = Path(result.stdout.strip())
    assert (tmp_path / "my-magazine" / "publication.toml").is_file()
    out = tmp_path / "dist"
    built = runner.invoke(app, ["build", str(issue_dir), "--out", str(out), "--format", "epub"])
    assert built.exit_code == 0, built.output
    assert [Path(p).name for p in built.stdout.split()] == ["my-magazine-vol-1-no-1.epub"]
    again = runner.invoke(app, ["new", str(tmp_path / "my-magazine")])
    assert again.exit_code == 1 and "not empty" in again.stderr
