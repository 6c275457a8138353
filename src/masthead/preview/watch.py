"""Watching the publication's files (watchfiles: inotify, or the platform's own notifications)
and telling each issue under preview which of its inputs changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import watchfiles

SETTINGS_FILE = "publication.toml"
TEMPLATES_DIR = "templates"


class Watched(Protocol):
    """An issue under preview, as the watcher sees it."""

    path: Path  # The issue folder.
    root: Path  # The publication folder (or the issue folder, alone).

    def inputs(self) -> set[Path]: ...

    def changed(self, paths: Iterable[Path]) -> None: ...


class PreviewFilter(watchfiles.DefaultFilter):
    """watchfiles' default filter (editors' swap and backup files, VCS folders), and no hidden
    file or folder (build state, `.masthead/`), nor the preview's own output."""

    def __init__(self, skip: Sequence[Path]) -> None:
        super().__init__(ignore_paths=[str(p) for p in skip])

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if any(part.startswith(".") for part in Path(path).parts[1:]):
            return False
        return bool(super().__call__(change, path))


def affected(issue: Watched, paths: Iterable[Path]) -> list[Path]:
    """The changed files that feed `issue`: its folder, the publication's settings and
    templates, and the images it uses from elsewhere in the publication."""
    shared = {issue.root / SETTINGS_FILE}
    templates = issue.root / TEMPLATES_DIR
    inputs = issue.inputs()
    return [
        path
        for path in paths
        if path.is_relative_to(issue.path)
        or path in shared
        or path.is_relative_to(templates)
        or path in inputs
    ]


async def watch(
    root: Path,
    issues: Callable[[], Iterable[Watched]],
    stop: asyncio.Event,
    skip: Sequence[Path] = (),
) -> None:
    """Until `stop` is set: each batch of changes under `root` to the issues it feeds."""
    async for changes in watchfiles.awatch(
        root, watch_filter=PreviewFilter(skip), stop_event=stop, step=30
    ):
        paths = {Path(path) for _, path in changes}
        for issue in issues():
            mine = affected(issue, paths)
            if mine:
                issue.changed(mine)
