"""The pipeline: load → normalise/assemble → render → package, then write every output at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from masthead import cache
from masthead.derived import DerivedFiles
from masthead.editions.processes import CoverHelper, can_fork, early_workers
from masthead.errors import MastheadError
from masthead.files import write_all
from masthead.model import ArchiveLinks, BuildResult, BuildWarning, Issue, PageStart
from masthead.options import ALL_FORMATS, FORMATS, PDF_MODES, BuildOptions
from masthead.processes import children_ignore_sigint, terminate

if TYPE_CHECKING:
    from masthead.compose.images import ImageRules
    from masthead.editions.pdf.single import PdfOutput
    from masthead.render.theme import Theme

# The stages are imported where they are used: a build that finds its outputs up to date (see
# cache.py) returns before anything heavy (Markdown, Jinja2, WeasyPrint, ebooklib) is loaded.

__all__ = [
    "ALL_FORMATS",
    "FORMATS",
    "STATE_DIR",
    "BuildOptions",
    "build",
    "check",
    "pdf_page_map",
    "prepare",
]
XHTML_MAX_BYTES = 300 * 1024
STATE_DIR = ".masthead"  # In the output folder: page maps and cached cover images.
IMAGES_DIR = "images"  # In STATE_DIR: what was derived from images, by content (derived.py).
PUBLICATION_PAGE_SIZE = "publication"  # ImageRules.page_size: the publication's, once read.
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def prepare(
    path: Path,
    title: str | None = None,
    archive: ArchiveLinks | None = None,
    site_root: Path | None = None,
    language: str | None = None,
    images: ImageRules | None = None,
) -> tuple[Issue, list[BuildWarning]]:
    """Load, normalise and assemble an issue: everything short of rendering. `archive`: what
    the publication's other issues give its related reading (see masthead.archive);
    `site_root`: the static site a zero-config folder belongs to (else found above it);
    `language`: the issue's (BCP 47, checked), whatever its settings say; `images`: what is
    asked of its images (the PDF's page size, for their printed resolution:
    PUBLICATION_PAGE_SIZE for the publication's; where what decoding found is kept)."""
    from masthead.compose.assemble import assemble
    from masthead.sources.folder import load

    loaded = load(Path(path), title=title, site_root=site_root, language=language)
    if images is not None and images.page_size == PUBLICATION_PAGE_SIZE:
        images = replace(images, page_size=loaded.publication.page_size)
    return assemble(loaded, archive, images)


def check(
    path: Path,
    title: str | None = None,
    site_root: Path | None = None,
    language: str | None = None,
) -> tuple[Issue, list[BuildWarning]]:
    """Validate an issue's inputs and templates without writing anything."""
    from masthead.compose.images import ImageRules
    from masthead.editions.pdf.single import page_size_css
    from masthead.render.documents import render_epub, render_pdf, theme_for

    rules = ImageRules(page_size=PUBLICATION_PAGE_SIZE)
    issue, warnings = prepare(path, title, site_root=site_root, language=language, images=rules)
    theme = theme_for(issue)
    render_epub(issue, theme)
    render_pdf(issue, page_size_css(issue.publication.page_size), theme)
    return issue, warnings


def pdf_page_map(
    issue: Issue, out_dir: Path, theme: Theme | None = None, page_size: str | None = None
) -> tuple[PageStart, ...]:
    """Where each page of the PDF edition begins, as the last PDF build of `issue` into `out_dir`
    left it, if that PDF was laid out from the issue as it is now (else empty): what an EPUB
    built alone now would take its page markers from (render.documents.page_targets).

    `page_size` as BuildOptions.page_size (None: the publication's)."""
    from masthead.editions.pdf.single import page_size_css
    from masthead.render.documents import render_pdf, theme_for

    size = page_size_css(page_size or issue.publication.page_size)
    html = render_pdf(issue, size, theme or theme_for(issue)).html
    file = Path(out_dir) / STATE_DIR / f"{issue.output_stem}.pages.json"
    return _read_page_map(file, _layout_key(html))


def _layout_key(html: str) -> str:
    """The PDF's layout input, for telling whether a page map still holds."""
    return hashlib.sha256(html.encode()).hexdigest()


def source_date(issue: Issue) -> dt.datetime:
    """The time written into outputs: SOURCE_DATE_EPOCH, else the issue (or latest article) date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    day = issue.date or dt.date(1980, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build(
    path: Path,
    options: BuildOptions | None = None,
    *,
    progress: Progress = _quiet,
    archive: ArchiveLinks | None = None,
    **changes: Any,
) -> BuildResult:
    """Build an issue's EPUB and/or PDF into `options.out_dir`; nothing is written unless all
    succeed.

    `options` (or keyword `changes` to the defaults, like `formats=("pdf",)`) are a BuildOptions.
    When the inputs (every file of the issue, its templates, masthead's version, the options) are
    those of the last build into the output folder and its outputs are as it wrote them, nothing
    is done again; `use_cache=False` rebuilds. `pdf_mode` is "single" (one WeasyPrint pass),
    "fast" (articles laid out in `pdf_jobs` processes, each cached, then joined; see
    editions/pdf/) or "auto" (fast where it applies). `archive`: the cross-issue related reading
    and suggestions the archive step worked out for this issue (part of its inputs).
    """
    options = replace(options or BuildOptions(), **changes)
    run = _Run(Path(path), None, options, progress, archive=archive)
    run.images = DerivedFiles(options.out_dir / STATE_DIR / IMAGES_DIR)
    # Hashed before anything is parsed: a file changed during the build makes the next one redo.
    # Recorded even with use_cache=False, so that the next build can be skipped.
    recorded = options.recorded() | ({"archive": archive.digest()} if archive else {})
    run.found = cache.inputs(path, options.out_dir, recorded)
    if run.found is not None and options.use_cache:
        cached = cache.cached_result(run.found, options.out_dir)
        run.lap("cache")
        if cached is not None:
            return replace(cached, timings=run.timings, up_to_date=True)
    if options.pdf_mode not in PDF_MODES:
        raise MastheadError(
            f"unknown PDF mode '{options.pdf_mode}'", hint=f"use one of: {', '.join(PDF_MODES)}"
        )
    # The EPUB's cover image is rendered by WeasyPrint: a helper process loads it while this one
    # reads the articles, then renders the cover while this one lays out the PDF. Likewise the
    # processes that lay out a fast PDF's pieces start now; when they do, one of them renders the
    # cover (one process less importing WeasyPrint).
    wants_epub = "epub" in options.formats or "kepub" in options.formats
    # The workers ignore Ctrl-C: this process stops them (at once) when it is interrupted.
    with children_ignore_sigint() as run.processes:
        run.workers = early_workers(run.path, options, FAST_MIN_ARTICLES)
        if wants_epub and options.pdf_jobs != 1 and can_fork():
            run.helper = run.workers if run.workers is not None else CoverHelper()
    failed = True
    try:
        result = _build_issue(run)
        failed = False
        return result
    finally:
        if failed:  # An error or an interrupt: the work in hand is not wanted.
            terminate(run.processes)
        for pool in dict.fromkeys(p for p in (run.helper, run.workers) if p is not None):
            pool.close()


class Helper(Protocol):
    """A process pool that renders the EPUB's cover while this process goes on."""

    def submit(self, function: Callable[..., Any], /, *args: Any) -> Future[Any]: ...

    def close(self) -> None: ...


@dataclass
class _Run:
    """One build under way: its inputs, options, helper processes and clock."""

    path: Path
    found: cache.Inputs | None
    options: BuildOptions
    progress: Progress
    helper: Helper | None = None
    archive: ArchiveLinks | None = None
    workers: Any = None  # editions.pdf Workers, started early (see editions.processes).
    processes: set[BaseProcess] = field(default_factory=set)  # Of the helper and the workers.
    images: DerivedFiles = field(default_factory=lambda: DerivedFiles(None))
    timings: dict[str, float] = field(default_factory=dict)
    clock: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        """Add the time since the last lap to `stage`."""
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.clock
        self.clock = now


@dataclass
class _Made:
    """What the editions made: output files by name, state files, and the PDF's facts."""

    outputs: dict[str, bytes] = field(default_factory=dict)
    cache_files: dict[Path, bytes] = field(default_factory=dict)  # Written only on success.
    pdf: PdfOutput | None = None
    page_map: tuple[PageStart, ...] = ()
    keep_chunks: frozenset[Path] | None = None


def _build_issue(run: _Run) -> BuildResult:
    from masthead.compose.images import ImageRules
    from masthead.render.documents import render_pdf, theme_for

    options = run.options
    state = options.out_dir / STATE_DIR
    run.progress("Reading articles")
    printed = "pdf" in options.formats
    rules = ImageRules(
        page_size=(options.page_size or PUBLICATION_PAGE_SIZE) if printed else None,
        store=run.images,
    )
    issue, warnings = prepare(
        run.path, options.title, run.archive, options.site_root, options.language, rules
    )
    run.lap("load")
    from masthead.editions.pdf.single import package_pdf, page_size_css, pdf_variant

    theme = theme_for(issue, state / "templates")
    cover = _start_cover(run, issue, theme, state)
    size = page_size_css(options.page_size or issue.publication.page_size)
    variant = pdf_variant(options.pdf_variant)  # A bad name fails before any layout work.
    rendered_pdf = render_pdf(issue, size, theme)
    layout_key = _layout_key(rendered_pdf.html)
    page_map_file = state / f"{issue.output_stem}.pages.json"
    # Page numbers of link targets, given to the next layout (editions.pdf.single.lay_out).
    numbers_file = state / f"{issue.output_stem}.numbers.json"
    run.lap("render")
    made = _Made()
    if "pdf" in options.formats:
        run.progress("Laying out PDF pages")
        made.pdf = _pdf_edition(run, issue, rendered_pdf.html, variant, made, warnings)
        if made.pdf is None:
            # Used even with --no-cache: they only spare second layouts, and are checked.
            made.pdf = package_pdf(issue, rendered_pdf, variant, _read_numbers(numbers_file, size))
        warnings.extend(made.pdf.warnings)
        made.outputs[f"{issue.output_stem}.pdf"] = made.pdf.data
        made.page_map = made.pdf.page_map
        run.lap("pdf")
    else:
        made.page_map = _read_page_map(page_map_file, layout_key)
    _epub_editions(run, issue, theme, cover, made, warnings)
    if options.strict and not warnings:
        # Only when nothing failed yet: checking takes seconds and would change nothing.
        run.progress("Checking the EPUB")
        warnings.extend(_validate(made.outputs))
    if options.strict and warnings:
        raise MastheadError(
            f"{len(warnings)} warning(s) with --strict; first: {warnings[0]}",
            hint="fix the warnings or build without --strict",
        )
    run.progress("Writing files")
    out_dir = options.out_dir
    made.cache_files.update(theme.cache_files())
    made.cache_files.update(run.images.new_files())
    files = {out_dir / name: data for name, data in made.outputs.items()} | made.cache_files
    if made.pdf is not None:
        # Kept so that a later EPUB-only build can still carry the PDF's page list.
        pages_json = {"layout": layout_key, "pages": [[p.page, p.anchor] for p in made.page_map]}
        files[page_map_file] = json.dumps(pages_json).encode()
        numbers_json = {"page_size": size, "numbers": dict(made.pdf.numbers)}
        files[numbers_file] = json.dumps(numbers_json, sort_keys=True).encode()
    result = BuildResult(
        outputs=tuple(sorted(out_dir / name for name in made.outputs)),
        warnings=tuple(warnings),
        pdf_pages=made.pdf.pages if made.pdf is not None else None,
        timings=run.timings,
    )
    if run.found is not None:
        used = [a.source for a in issue.articles] + [a.source for a in issue.assets]
        used += issue.read_files
        extra = cache.outside_files(run.found.folder, used)
        built = {out_dir / name: data for name, data in made.outputs.items()}
        files[run.found.record] = cache.record_bytes(run.found, built, result, extra)
    write_all(files)
    if made.keep_chunks is not None:
        _forget_chunks(state / "chunks" / issue.output_stem, made.keep_chunks)
    run.lap("write")
    return result


Cover = tuple[bytes, Path | None]  # The EPUB's cover JPEG, and its new cache file if any.


def _start_cover(run: _Run, issue: Issue, theme: Theme, state: Path) -> Future[Cover] | None:
    """The EPUB's cover, on its way from the helper process (None: rendered here, later)."""
    if run.helper is None:
        return None
    from masthead.editions.cover import cover_html, cover_jpeg
    from masthead.render.documents import context

    return run.helper.submit(cover_jpeg, issue, cover_html(issue, theme, context(issue)), state)


def _pdf_edition(
    run: _Run, issue: Issue, html: str, variant: str, made: _Made, warnings: list[BuildWarning]
) -> PdfOutput | None:
    """The PDF laid out in pieces, where that applies (None: lay it out in one pass)."""
    options = run.options
    state = options.out_dir / STATE_DIR
    if not _use_fast_pdf(options.pdf_mode, variant, issue, state):
        return None
    from masthead.editions.pdf import fast as fastpdf

    try:
        fast = fastpdf.build_fast(
            issue,
            html,
            variant=variant,
            jobs=options.jobs,
            cache_dir=state / fastpdf.CACHE_DIR / issue.output_stem,
            workers=run.workers,
            reuse=options.use_cache,  # --no-cache: every piece laid out again.
        )
    except fastpdf.NotApplicable as exc:
        # Untrusted (WeasyPrint's internals, a failed check of the joined PDF) is said in
        # "auto" too: the user should know why a build got slower.
        if options.pdf_mode == "fast" or isinstance(exc, fastpdf.Untrusted):
            warnings.append(BuildWarning(f"PDF laid out in one pass: {exc}", run.path))
        return None
    made.cache_files.update(fast.cache_files)
    made.keep_chunks = fast.keep
    output: PdfOutput = fast.output(issue)
    return output


def _epub_editions(
    run: _Run,
    issue: Issue,
    theme: Theme,
    cover: Future[Cover] | Cover | None,
    made: _Made,
    warnings: list[BuildWarning],
) -> None:
    """Package the EPUB and the Kobo EPUB, as asked, into `made`."""
    from masthead.editions.cover import cover_html, cover_jpeg
    from masthead.editions.epub.kepub import kobo_spans
    from masthead.editions.epub.package import package_epub
    from masthead.render.documents import context, page_targets, render_epub

    state = run.options.out_dir / STATE_DIR
    for fmt in ("epub", "kepub"):
        if fmt not in run.options.formats:
            continue
        run.progress("Packaging EPUB" if fmt == "epub" else "Packaging Kobo EPUB")
        targets = page_targets(issue, made.page_map)
        rendered = render_epub(issue, theme, targets)
        if fmt == "epub":
            warnings.extend(
                BuildWarning(
                    f"EPUB document {d.file_name} is {len(d.content) // 1024} KB; "
                    "readers using Adobe's engine split or refuse files over 300 KB"
                )
                for d in rendered.documents
                if len(d.content.encode()) > XHTML_MAX_BYTES
            )
        if fmt == "kepub":
            rendered = kobo_spans(rendered)
        run.lap("render")
        if cover is None:
            cover = cover_jpeg(issue, cover_html(issue, theme, context(issue)), state)

        def finished_cover() -> bytes:
            """Called by package_epub once the rest is packed (the helper may still be on it)."""
            nonlocal cover
            if isinstance(cover, Future):
                cover = cover.result()
            assert cover is not None
            jpeg, new_cache = cover
            if new_cache is not None:
                made.cache_files[new_cache] = jpeg
            return jpeg

        data = package_epub(
            issue, rendered, source_date(issue), finished_cover, bool(targets), store=run.images
        )
        made.outputs[f"{issue.output_stem}.{'kepub.epub' if fmt == 'kepub' else 'epub'}"] = data
        run.lap("epub")


FAST_MIN_ARTICLES = 3  # Measured: from 3 articles, pieces in parallel beat one pass.


def _use_fast_pdf(mode: str, variant: str, issue: Issue, state: Path) -> bool:
    """Lay the PDF out in pieces (fastpdf.py)? Untagged or PDF/UA-1; PDF/A is one pass.

    "auto" does for issues of FAST_MIN_ARTICLES articles or more, and for any issue whose
    pieces an earlier build left in the state folder (a rebuild lays out changed articles only).
    """
    from masthead.editions.pdf.fast import FAST_VARIANTS

    if mode == "single" or variant not in FAST_VARIANTS:
        return False
    if mode == "fast":
        return True
    chunks = state / "chunks" / issue.output_stem
    return len(issue.articles) >= FAST_MIN_ARTICLES or (chunks.is_dir() and any(chunks.iterdir()))


def _forget_chunks(folder: Path, keep: frozenset[Path]) -> None:
    """Remove cached pieces this build did not use: they belong to earlier versions."""
    if not folder.is_dir():
        return
    for file in folder.iterdir():
        if file not in keep and not file.name.startswith("."):
            file.unlink(missing_ok=True)


def _validate(outputs: dict[str, bytes]) -> list[BuildWarning]:
    """EPUBCheck and (when installed) Ace findings for each built EPUB, as warnings."""
    from masthead.editions.epub.validate import run_ace, run_epubcheck

    found: list[BuildWarning] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in outputs.items():
            if not name.endswith(".epub"):
                continue
            file = Path(tmp) / name
            file.write_bytes(data)
            for finding in [*run_epubcheck(file), *(run_ace(file) or [])]:
                found.append(BuildWarning(str(finding), Path(name)))
    return found


def _read_numbers(file: Path, page_size: str) -> dict[str, int] | None:
    """Page numbers of link targets from the last PDF build of this issue and page size."""
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("page_size") != page_size:
        return None
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        return None
    return {str(k): int(v) for k, v in numbers.items() if isinstance(v, int)}


def _read_page_map(file: Path, layout_key: str) -> tuple[PageStart, ...]:
    """The page map of an earlier PDF build, if that PDF had the same layout input."""
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return ()
    if not isinstance(data, dict) or data.get("layout") != layout_key:
        return ()
    return tuple(PageStart(int(page), str(anchor)) for page, anchor in data.get("pages", []))
