"""What a newcomer saw instead of a good message: tracebacks (`new` where it cannot write, Ctrl-C,
a failing `build --strict`) and messages that blamed masthead's own files or said too little.
Each case asserts the exit code, the one line (naming the user's file and line) and that nothing
was written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE, ROOT
from masthead.cli import app

runner = CliRunner()
MANIFEST = '[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md", "b.md"]\n'
CLI = [sys.executable, "-m", "masthead"]


def issue(folder: Path, manifest: str = MANIFEST, **articles: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "issue.toml").write_text(manifest)
    texts = {"a.md": "---\ntitle: A\n---\nWords.\n", "b.md": "---\ntitle: B\n---\nMore.\n"}
    texts.update({name.replace("_", "."): text for name, text in articles.items()})
    for name, text in texts.items():
        (folder / name).write_text(text)
    return folder


def one_error(result, expected: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in result.output
    assert message.startswith(f"error: {expected}"), message
    return message


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


# --- masthead new ----------------------------------------------------------------------------


def test_new_in_a_folder_that_cannot_exist(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "/proc/x"])
    one_error(result, "/proc/x: cannot write output (No such file or directory)")
    assert not Path("/proc/x").exists()


def test_new_in_a_folder_it_may_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):  # type: ignore[no-untyped-def]
        # chmod cannot stop root (CI runs as root): refuse the way the OS would.
        if str(kwargs.get("dir", "")).startswith(str(tmp_path / "mag")):
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    result = runner.invoke(app, ["new", str(tmp_path / "mag")])
    one_error(result, f"{tmp_path / 'mag'}: cannot write output (Permission denied)")
    assert "choose a folder you can write to" in result.stderr
    assert list(tmp_path.iterdir()) == []  # Not even the folders it made.


def test_new_over_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["new", str(tmp_path / "notes.txt")])
    one_error(result, f"{tmp_path / 'notes.txt'}: is a file")
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --- wrong messages --------------------------------------------------------------------------


def test_an_issue_without_articles_names_issue_toml_and_the_line(tmp_path: Path) -> None:
    manifest = '[issue]\nnumber = 1\n\n[[sections]]\ntitle = "S"\narticles = []\n'
    folder = issue(tmp_path / "i", manifest)
    for command in (["check", str(folder)], ["build", str(folder), "-o", str(tmp_path / "o")]):
        one_error(runner.invoke(app, command), f"{folder / 'issue.toml'}:6: lists no articles")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("mistake", "what"),
    [
        ("<p>{{ issue.no_such_thing }}</p>", "template error: 'masthead.model.Issue object' has"),
        ("{% if %}", "template syntax error: Expected an expression"),
    ],
    ids=["undefined", "syntax"],
)
def test_a_mistake_in_the_users_template_names_that_template_and_line(
    tmp_path: Path, mistake: str, what: str
) -> None:
    (tmp_path / "publication.toml").write_text('name = "Pub"\n')
    templates = tmp_path / "templates" / "pdf"
    templates.mkdir(parents=True)
    cover = templates / "cover.html"
    lines = ['<section class="cover" id="cover">', "<p>{{ publication.name }}</p>", mistake]
    cover.write_text("\n".join([*lines, "</section>", ""]))
    folder = issue(tmp_path / "no-1")
    out = tmp_path / "o"
    for command in (["check", str(folder)], ["build", str(folder), "-o", str(out)]):
        one_error(runner.invoke(app, command), f"{cover}:3: {what}")
    assert not out.exists()


def test_check_epub_refuses_a_file_that_is_not_an_epub(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Hello\n")
    result = runner.invoke(app, ["check", "--epub", str(readme)])
    one_error(result, f"{readme}: is not an EPUB file")
    assert "findings" not in result.output


def test_check_epub_shows_what_it_is_doing(tmp_path: Path) -> None:
    folder = issue(tmp_path / "i")
    built = runner.invoke(app, ["build", str(folder), "-o", str(tmp_path / "o"), "-f", "epub"])
    epub = Path(built.stdout.split()[0])
    result = runner.invoke(app, ["check", "--epub", str(epub)])
    steps = [line for line in result.stderr.splitlines() if line.startswith("Checking")]
    assert steps[0] == f"Checking {epub.name} with EPUBCheck…", result.stderr
    assert f"{epub}: 0 findings" in result.stdout


def test_a_caption_without_a_picture_is_not_printed_and_warns(tmp_path: Path) -> None:
    caption = "---\ntitle: A\nimage_caption: The harbour at dawn\n---\nWords.\n"
    folder = issue(tmp_path / "i", a_md=caption)
    result = runner.invoke(app, ["build", str(folder), "-o", str(tmp_path / "o"), "-f", "epub"])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {folder / 'a.md'}:3: `image_caption` without an `image`: not printed"
        in result.stderr
    )
    with zipfile.ZipFile(result.stdout.split()[0]) as epub:
        assert "harbour at dawn" not in epub.read("EPUB/a.xhtml").decode()


def test_a_related_item_that_leads_nowhere_is_named(tmp_path: Path) -> None:
    related = "---\ntitle: A\nrelated:\n  - B\n  - Nowhere To Be Found\n---\nWords.\n"
    folder = issue(tmp_path / "i", a_md=related)
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "related" in line]
    assert warnings == [
        f"warning: {folder / 'a.md'}:3: related reading that leads nowhere (no article of this "
        "issue, no web address), printed as plain text: 'Nowhere To Be Found'"
    ]


def test_a_build_with_nothing_changed_says_so(tmp_path: Path) -> None:
    folder = issue(tmp_path / "i")
    command = ["build", str(folder), "-o", str(tmp_path / "o"), "-f", "epub"]
    first = runner.invoke(app, command)
    assert first.exit_code == 0 and "up to date" not in first.stderr
    epub = Path(first.stdout.split()[0])
    before = epub.stat().st_mtime_ns
    again = runner.invoke(app, command)
    assert again.exit_code == 0
    assert "up to date: nothing changed since the last build; --no-cache to rebuild" in again.stderr
    assert again.stdout == first.stdout and epub.stat().st_mtime_ns == before


# --- Ctrl-C and a failing --strict: real processes ---------------------------------------------


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.5])
def test_ctrl_c_exits_130_quietly_and_writes_nothing(tmp_path: Path, delay: float) -> None:
    out = tmp_path / "o"
    process = subprocess.Popen(
        [*CLI, "build", str(EXAMPLE), "--out", str(out), "--pdf-mode", "fast", "-j", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
        start_new_session=True,  # Its own process group, as a terminal's job is.
    )
    deadline = time.monotonic() + 120
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # The PDF workers and the cover helper have started.
    assert process.poll() is None, "the build ended before it could be interrupted"
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches every process of the group.
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr.decode()
    assert stderr.decode().strip() == "" and stdout == b""
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_a_failing_strict_build_never_ends_with_a_traceback(tmp_path: Path) -> None:
    # Two articles, both formats: the EPUB's cover comes from a helper process, whose pool was
    # left shutting down as the interpreter exited ("Bad file descriptor" in 7 of 30 runs).
    folder = issue(tmp_path / "i", a_md="---\ntitle: A\n---\nA [dead link](#nowhere).\n")
    for run in range(10):
        out = tmp_path / f"o{run}"
        done = subprocess.run(
            [*CLI, "build", str(folder), "--out", str(out), "--strict"],
            capture_output=True,
            env=env(),
            timeout=300,
        )
        stderr = done.stderr.decode()
        assert done.returncode == 1, stderr
        assert stderr.count("\n") == 1 and stderr.startswith("error: 1 warning(s) with --strict")
        assert f"{folder / 'a.md'}:4: link to a missing anchor" in stderr, f"run {run}: {stderr}"
        assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
