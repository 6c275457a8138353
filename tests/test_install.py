"""masthead as installed: the version it shows, and (on request) a fresh wheel install.

The full user-install check is scripts/smoke_install.sh, which CI runs. The wheel test here is
its core, the once-crashing HTML import with the pip Python bundles; it takes one to three
minutes, so it runs only with MASTHEAD_INSTALL_TESTS=1.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

import masthead
from conftest import ROOT
from masthead.cli import app

PAGE = ROOT / "tests" / "fixtures" / "import" / "harbour-library.html"


def test_version_is_the_package_metadata_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"masthead {version('masthead')}"
    assert masthead.__version__ == version("masthead")


@pytest.mark.skipif(
    os.environ.get("MASTHEAD_INSTALL_TESTS") != "1",
    reason="builds and installs a wheel (one to three minutes): set MASTHEAD_INSTALL_TESTS=1",
)
def test_a_fresh_wheel_install_with_the_bundled_pip_imports_a_web_page(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("masthead-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)  # ensurepip: the pip this Python bundles
    bin_dir = tmp_path / "venv" / "bin"
    pip = subprocess.run(
        [bin_dir / "python", "-m", "pip", "--version"], check=True, capture_output=True, text=True
    )
    assert pip.stdout.split()[1] == ensurepip.version()  # Not upgraded.
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )

    result = subprocess.run(
        [bin_dir / "masthead", "import", str(PAGE), "--out", "imported"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (article,) = (tmp_path / "imported").glob("*.md")
    assert article.read_text(encoding="utf-8").startswith("---\ntitle: ")
