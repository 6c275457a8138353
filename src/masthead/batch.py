"""Many issues at once: every issue of a publication, or several folders, built in parallel."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from masthead.errors import InputError, MastheadError
from masthead.model import BuildResult
from masthead.options import BuildOptions, cores


def find_issues(paths: Iterable[Path]) -> list[Path]:
    """The issue folders named by `paths`, in order, each once.

    An issue folder (with `issue.toml`) or any folder of articles stands for itself; a
    publication folder (with `publication.toml` and no `issue.toml`) whose subfolders hold
    `issue.toml` files stands for those issues, sorted by folder name.
    """
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if (path / "publication.toml").is_file() and not (path / "issue.toml").exists():
            issues = sorted(
                sub
                for sub in path.iterdir()
                if sub.is_dir() and not sub.name.startswith(".") and (sub / "issue.toml").is_file()
            )
            if issues:
                found.update(dict.fromkeys(issues))
                continue
        found[path] = None
    return list(found)


def _rebuild_error(kind: str, fields: dict[str, Any]) -> MastheadError:
    known: list[type[MastheadError]] = [MastheadError, *_subclasses(MastheadError)]
    classes = {c.__name__: c for c in known}
    error: MastheadError = classes.get(kind, MastheadError)(**fields)
    return error


def _subclasses(cls: type[MastheadError]) -> list[type[MastheadError]]:
    found: list[type[MastheadError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _build_one(path: Path, options: BuildOptions) -> tuple[str, Any]:
    """In a worker: one issue's build; errors come back as data (they do not pickle)."""
    from masthead.build import build

    try:
        return "ok", build(path, options)
    except MastheadError as exc:
        fields = {"message": exc.message, "path": exc.path or path, "line": exc.line}
        return type(exc).__name__, fields | {"hint": exc.hint}
    except Exception as exc:  # A bug in one issue's build must not stop the others.
        return "MastheadError", {
            "message": f"internal error: {type(exc).__name__}: {exc}",
            "path": path,
            "hint": "run with --debug on this issue alone and report the traceback",
        }


def build_many(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    *,
    jobs: int | None = None,
    **changes: Any,
) -> list[BuildResult | MastheadError]:
    """Build every issue named by `paths` (see `find_issues`), `jobs` at a time.

    Returns one result per issue, in the order of `find_issues(paths)`: its BuildResult, or the
    MastheadError that stopped it (with the issue's folder as its path when it names no file).
    One issue's failure does not stop the others; each issue's outputs are written all at once
    or not at all (files.write_all). `options` and `changes` are as `masthead.build.build`'s.
    """
    options = replace(options or BuildOptions(), **changes)
    issues = find_issues(paths)
    if not issues:
        raise InputError("no issues to build", hint="give issue folders or a publication folder")
    jobs = max(1, jobs or cores())
    if len(issues) > 1 and options.pdf_jobs is None:
        # Issues in parallel already fill the cores: each lays out its own PDF in one process.
        pdf_jobs = 1 if len(issues) >= jobs else max(1, jobs // len(issues))
        options = replace(options, pdf_jobs=pdf_jobs)
    if jobs == 1 or len(issues) == 1:
        outcomes = [_build_one(path, options) for path in issues]
    else:
        # "spawn": a fresh interpreter per worker, safe beside the CLI's spinner thread.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(jobs, len(issues)), mp_context=context) as pool:
            outcomes = list(pool.map(_build_one, issues, [options] * len(issues)))
    return [value if kind == "ok" else _rebuild_error(kind, value) for kind, value in outcomes]
