"""The pipeline: load → normalise/assemble → render → package, then write every output at once."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from masthead.assemble import assemble
from masthead.epub import package_epub
from masthead.errors import MastheadError, OutputError
from masthead.load import load
from masthead.model import BuildResult, BuildWarning, Issue
from masthead.pdf import package_pdf, page_size_css
from masthead.render import render_epub, render_pdf, theme_for

FORMATS = ("epub", "pdf")
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def prepare(path: Path, title: str | None = None) -> tuple[Issue, list[BuildWarning]]:
    """Load, normalise and assemble an issue: everything short of rendering."""
    return assemble(load(Path(path), title=title))


def check(path: Path, title: str | None = None) -> tuple[Issue, list[BuildWarning]]:
    """Validate an issue's inputs and templates without writing anything."""
    issue, warnings = prepare(path, title)
    theme = theme_for(issue)
    render_epub(issue, theme)
    render_pdf(issue, page_size_css(issue.publication.page_size), theme)
    return issue, warnings


def source_date(issue: Issue) -> dt.datetime:
    """The time written into outputs: SOURCE_DATE_EPOCH, else the issue (or latest article) date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    day = issue.info.date or max((a.date for a in issue.articles if a.date), default=None)
    day = day or dt.date(1980, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build(
    path: Path,
    *,
    out_dir: Path = Path("dist"),
    formats: Sequence[str] = FORMATS,
    title: str | None = None,
    page_size: str | None = None,
    strict: bool = False,
    progress: Progress = _quiet,
) -> BuildResult:
    """Build an issue's EPUB and/or PDF into `out_dir`; nothing is written unless all succeed."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    progress("Reading articles")
    issue, warnings = prepare(path, title)
    lap("load")
    theme = theme_for(issue)
    outputs: dict[str, bytes] = {}
    pages = None
    if "epub" in formats:
        progress("Rendering EPUB")
        rendered = render_epub(issue, theme)
        lap("render")
        outputs["epub"] = package_epub(issue, rendered, source_date(issue))
        lap("epub")
    if "pdf" in formats:
        progress("Laying out PDF pages")
        size = page_size_css(page_size or issue.publication.page_size)
        rendered_pdf = render_pdf(issue, size, theme)
        lap("render")
        pdf = package_pdf(issue, rendered_pdf)
        warnings.extend(pdf.warnings)
        outputs["pdf"] = pdf.data
        pages = pdf.pages
        lap("pdf")
    if strict and warnings:
        raise MastheadError(
            f"{len(warnings)} warning(s) with --strict; first: {warnings[0]}",
            hint="fix the warnings or build without --strict",
        )
    progress("Writing files")
    written = write_all(
        {Path(out_dir) / f"{issue.output_stem}.{fmt}": data for fmt, data in outputs.items()}
    )
    lap("write")
    return BuildResult(outputs=written, warnings=tuple(warnings), pdf_pages=pages, timings=timings)


def write_all(files: dict[Path, bytes]) -> tuple[Path, ...]:
    """Write every file to a temporary name beside its target, then rename them all.

    A failure before the renames leaves the output folder as it was: never a half-written file.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
            except OSError as exc:
                raise OutputError(f"cannot write output ({exc.strerror})", target.parent) from exc
            temps.append((Path(tmp), target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
    return tuple(files)
