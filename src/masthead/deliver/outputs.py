"""The files to attach: the ones `masthead build` makes for the issue, built first when missing
or out of date. `outdated()` is the one place that decides; a build cache can replace it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from masthead.build import build
from masthead.model import BuildWarning, Issue
from masthead.render.theme import default_theme_dir

# Theme folders that do not shape the EPUB or PDF: editing an email template rebuilds nothing.
NOT_BUILD_INPUTS = {"email", "scaffold"}


@dataclass(frozen=True)
class Outputs:
    files: dict[str, Path]  # Format -> built file, like {"pdf": dist/the-lantern-vol-3-no-7.pdf}.
    built: bool = False  # True when this run built them.
    reason: str = ""  # Why they were built, like "lamplighters.md is newer than the PDF".
    warnings: tuple[BuildWarning, ...] = ()


def output_paths(issue: Issue, out_dir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Where `masthead build --out out_dir` writes each format of `issue`."""
    return {fmt: Path(out_dir) / f"{issue.output_stem}.{fmt}" for fmt in formats}


def input_files(issue: Issue, exclude: Sequence[Path] = ()) -> Iterator[Path]:
    """Every file a build of `issue` may read: the issue folder, its publication.toml, and the
    template folders (the publication's and the default theme). Hidden files and folders
    (like .masthead-state), .eml files and anything under `exclude` are left out."""
    skip = [Path(p).resolve() for p in exclude]
    roots: list[tuple[Path, bool]] = [(issue.source, False)]
    roots += [(d, True) for d in issue.publication.template_dirs]
    roots.append((default_theme_dir(), True))
    for candidate in (issue.source.parent / "publication.toml", issue.source / "publication.toml"):
        if candidate.is_file():
            yield candidate
    for root, is_theme in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            rel = path.relative_to(root).parts
            if any(part.startswith(".") for part in rel) or path.suffix == ".eml":
                continue  # Hidden (the send journal) or a dry run's messages.
            if is_theme and rel and rel[0] in NOT_BUILD_INPUTS:
                continue
            if not path.is_file():
                continue
            resolved = path.resolve()
            if any(resolved == s or s in resolved.parents for s in skip):
                continue
            yield path


def outdated(issue: Issue, files: dict[str, Path], exclude: Sequence[Path] = ()) -> str:
    """Why the built files cannot be used as they are ("" when they can): one is missing, or an
    input file changed after the oldest of them was written."""
    for fmt, path in files.items():
        if not path.is_file():
            return f"there is no {fmt.upper()} yet ({path})"
    if not files:
        return ""
    oldest = min(files.values(), key=lambda p: p.stat().st_mtime)
    built_at = oldest.stat().st_mtime
    for path in input_files(issue, exclude=[*exclude, *files.values()]):
        if path.stat().st_mtime > built_at:
            return f"{path.name} changed after {oldest.name} was built"
    return ""


def ensure_outputs(
    issue: Issue,
    out_dir: Path,
    formats: Sequence[str],
    *,
    exclude: Sequence[Path] = (),
    progress: Callable[[str], None] = lambda _: None,
) -> Outputs:
    """The built files for `formats`, building them (all at once, atomically) when needed."""
    files = output_paths(issue, out_dir, formats)
    reason = outdated(issue, files, exclude=[out_dir, *exclude])
    if not reason:
        return Outputs(files)
    progress(f"Building the issue: {reason}")
    result = build(issue.source, out_dir=Path(out_dir), formats=tuple(formats), progress=progress)
    built = {p.suffix.lstrip("."): p for p in result.outputs}
    return Outputs(
        {fmt: built.get(fmt, files[fmt]) for fmt in formats}, True, reason, tuple(result.warnings)
    )
