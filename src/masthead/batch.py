"""Many issues at once: every issue of a publication, or several folders, built in parallel."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from masthead.errors import InputError, MastheadError
from masthead.model import ArchiveLinks, BuildResult
from masthead.options import BuildOptions, cores
from masthead.processes import children_ignore_sigint, ignore_sigint, stop_pool

if TYPE_CHECKING:
    from masthead.archive.site import SiteResult


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


def check_output_names(issues: Sequence[Path], options: BuildOptions) -> None:
    """Two issues that would write the same files into the output folder are an error, before
    anything is built or written. An issue that cannot be read is left to its own build."""
    from masthead.model import output_stem
    from masthead.sources.folder import load

    by_stem: dict[str, Path] = {}
    for path in issues:
        try:
            loaded = load(
                Path(path),
                title=options.title,
                site_root=options.site_root,
                language=options.language,
            )
        except MastheadError:
            continue
        stem = output_stem(loaded.publication, loaded.info)
        if stem in by_stem:
            raise InputError(
                f"would write the same files as {by_stem[stem]}: "
                f"{options.out_dir / stem}.* (nothing was built)",
                Path(path),
                hint="give one of them an issue `slug` in issue.toml (or a --title), "
                "or build them into different --out folders",
            )
        by_stem[stem] = Path(path)


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


def publication_of(issue: Path) -> Path | None:
    """The publication folder an issue folder belongs to, when it is in one."""
    parent = Path(issue).resolve().parent
    if (Path(issue) / "issue.toml").is_file() and (parent / "publication.toml").is_file():
        return parent
    return None


def _build_one(
    path: Path, options: BuildOptions, links: ArchiveLinks | None = None
) -> tuple[str, Any]:
    """In a worker: one issue's build; errors come back as data (they do not pickle)."""
    from masthead.build import build

    try:
        return "ok", build(path, options, archive=links)
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
    A publication folder among `paths` also gets its archive (see `build_all`).
    """
    return build_all(paths, options, jobs=jobs, **changes).results


@dataclass
class BatchResult:
    results: list[BuildResult | MastheadError]  # One per issue, in find_issues order.
    archives: list[SiteResult] = field(default_factory=list)  # One per publication folder.


def build_all(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    *,
    jobs: int | None = None,
    base_url: str = "",
    **changes: Any,
) -> BatchResult:
    """As `build_many`; and each publication folder named in `paths` gets its archive in
    `out_dir/archive/` (masthead.archive), its issues' related reading linked across issues.
    `base_url`: where the archive will be served, to make its links absolute."""
    options = replace(options or BuildOptions(), **changes)
    issues = find_issues(paths)
    if not issues:
        raise InputError("no issues to build", hint="give issue folders or a publication folder")
    check_output_names(issues, options)
    jobs = max(1, jobs or cores())
    from masthead.archive.plan import Planner
    from masthead.archive.site import write_site

    done: dict[Path, BuildResult | MastheadError] = {}
    archives: list[SiteResult] = []
    publications = [
        Path(p) for p in dict.fromkeys(paths) if Path(p).is_dir() and find_issues([p]) != [p]
    ]
    for folder in publications:
        planner = Planner(folder, find_issues([folder]), options, base_url)
        for wave in planner.waves():
            todo = [(path, links) for path, links in wave if path not in done]
            done.update(zip([p for p, _ in todo], _run(todo, options, jobs), strict=True))
        for path, links in planner.again():
            done.update(zip([path], _run([(path, links)], options, jobs), strict=True))
        archives.append(write_site(planner, done))
    loose = [p for p in issues if p not in done]
    if loose:
        todo = [(path, _links_for(path, options, base_url)) for path in loose]
        done.update(zip(loose, _run(todo, options, jobs), strict=True))
    return BatchResult([done[p] for p in issues], archives)


def _links_for(issue: Path, options: BuildOptions, base_url: str) -> ArchiveLinks | None:
    """What the rest of its publication's archive gives an issue built on its own."""
    publication = publication_of(issue)
    if publication is None:
        return None
    from masthead.archive.plan import Planner

    siblings = find_issues([publication])
    if len(siblings) < 2 or Path(issue).resolve() not in {s.resolve() for s in siblings}:
        return None
    return Planner(publication, siblings, options, base_url).links_for(issue)


def issue_links(issue: Path, options: BuildOptions, base_url: str = "") -> ArchiveLinks | None:
    """For a caller that builds one issue itself (the CLI): its archive links, or None."""
    try:
        return _links_for(issue, options, base_url)
    except MastheadError:
        return None  # A broken sibling issue: the issue is built as if alone.


def _run(
    todo: list[tuple[Path, ArchiveLinks | None]], options: BuildOptions, jobs: int
) -> list[BuildResult | MastheadError]:
    """Build these issues, `jobs` at a time."""
    if not todo:
        return []
    if len(todo) > 1 and options.pdf_jobs is None:
        # Issues in parallel already fill the cores: each lays out its own PDF in one process.
        pdf_jobs = 1 if len(todo) >= jobs else max(1, jobs // len(todo))
        options = replace(options, pdf_jobs=pdf_jobs)
    if jobs == 1 or len(todo) == 1:
        outcomes = [_build_one(path, options, link) for path, link in todo]
    else:
        # "spawn": a fresh interpreter per worker, safe beside the CLI's spinner thread. The
        # workers ignore Ctrl-C; an interrupt here stops them at once (processes.py).
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            min(jobs, len(todo)), mp_context=context, initializer=ignore_sigint
        )
        with children_ignore_sigint(forked=False) as processes:
            futures = [pool.submit(_build_one, path, options, link) for path, link in todo]
        failed = True
        try:
            outcomes = [future.result() for future in futures]
            failed = False
        finally:
            stop_pool(pool, processes, at_once=failed)
    return [value if kind == "ok" else _rebuild_error(kind, value) for kind, value in outcomes]
