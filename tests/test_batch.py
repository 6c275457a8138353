"""Many issues: a publication folder's issues built in parallel; one failure stops no other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE
from masthead.batch import build_many, find_issues
from masthead.cli import app
from masthead.errors import InputError, MastheadError
from masthead.model import BuildResult


@pytest.fixture(scope="module")
def publication(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example publication with a second good issue (no. 8) and a broken one (no. 9)."""
    pub = tmp_path_factory.mktemp("batch") / "lantern"
    shutil.copytree(EXAMPLE.parent, pub)
    shutil.copytree(pub / "no-7", pub / "no-8")
    toml = pub / "no-8" / "issue.toml"
    toml.write_text(toml.read_text().replace("number = 7", "number = 8"))
    shutil.copytree(pub / "no-7", pub / "no-9")
    toml = pub / "no-9" / "issue.toml"
    toml.write_text(toml.read_text().replace("number = 7", "number = 9"))
    (pub / "no-9" / "moths.md").unlink()
    return pub


def test_find_issues_expands_a_publication_folder(publication: Path) -> None:
    assert find_issues([publication]) == [publication / f"no-{n}" for n in (7, 8, 9)]
    # An issue named twice is built once; an issue folder stands for itself.
    assert find_issues([publication / "no-8", publication, publication / "no-8"]) == [
        publication / "no-8",
        publication / "no-7",
        publication / "no-9",
    ]


def test_build_many_reports_each_issue(publication: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    results = build_many([publication], jobs=2, out_dir=out, formats=("epub",))
    assert len(results) == 3
    good, also_good, bad = results
    assert isinstance(good, BuildResult) and isinstance(also_good, BuildResult)
    assert [p.name for p in good.outputs] == ["the-lantern-vol-3-no-7.epub"]
    assert [p.name for p in also_good.outputs] == ["the-lantern-vol-3-no-8.epub"]
    assert isinstance(bad, InputError)
    assert "moths.md" in str(bad) and "no-9" in str(bad)
    # The failed issue left nothing behind, not even a temporary file.
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "the-lantern-vol-3-no-7.epub",
        "the-lantern-vol-3-no-8.epub",
    ]


def test_build_many_in_one_process_gives_the_same(publication: Path, tmp_path: Path) -> None:
    results = build_many(
        [publication / "no-9", publication / "no-8"],
        jobs=1,
        out_dir=tmp_path,
        formats=("epub",),
    )
    assert isinstance(results[0], MastheadError) and isinstance(results[1], BuildResult)


def test_cli_builds_many_and_fails_if_any_failed(publication: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        app, ["build", str(publication), "--out", str(out), "-f", "epub", "--jobs", "2"]
    )
    assert result.exit_code == 1
    assert result.stdout.split() == [
        str(out / "the-lantern-vol-3-no-7.epub"),
        str(out / "the-lantern-vol-3-no-8.epub"),
    ]
    assert "no-9" in result.stderr and "1 of 3 issues failed" in result.stderr
