"""The pipeline: load → normalise/assemble → render → package, then write every output at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from masthead import cache
from masthead.errors import MastheadError, OutputError
from masthead.model import BuildResult, BuildWarning, Issue, PageStart

# The stages are imported where they are used: a build that finds its outputs up to date (see
# cache.py) returns before anything heavy (Markdown, Jinja2, WeasyPrint, ebooklib) is loaded.

FORMATS = ("epub", "pdf")  # Built by default.
ALL_FORMATS = ("epub", "pdf", "kepub")
XHTML_MAX_BYTES = 300 * 1024
STATE_DIR = ".masthead"  # In the output folder: page maps and cached cover images.
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def prepare(path: Path, title: str | None = None) -> tuple[Issue, list[BuildWarning]]:
    """Load, normalise and assemble an issue: everything short of rendering."""
    from masthead.assemble import assemble
    from masthead.load import load

    return assemble(load(Path(path), title=title))


def check(path: Path, title: str | None = None) -> tuple[Issue, list[BuildWarning]]:
    """Validate an issue's inputs and templates without writing anything."""
    from masthead.pdf import page_size_css
    from masthead.render import render_epub, render_pdf, theme_for

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
    day = issue.date or dt.date(1980, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build(
    path: Path,
    *,
    out_dir: Path = Path("dist"),
    formats: Sequence[str] = FORMATS,
    title: str | None = None,
    page_size: str | None = None,
    pdf_variant: str | None = None,
    strict: bool = False,
    use_cache: bool = True,
    pdf_mode: str = "auto",
    pdf_jobs: int | None = None,
    progress: Progress = _quiet,
) -> BuildResult:
    """Build an issue's EPUB and/or PDF into `out_dir`; nothing is written unless all succeed.

    `pdf_variant` is one of `masthead.pdf.PDF_VARIANTS`: tagged "pdf/ua-1" by default, a PDF/A
    variant such as "pdf/a-3b" for archives, or "none". When the inputs (every file of the issue,
    its templates, masthead's version, the options) are those of the last build into `out_dir`
    and its outputs are as it wrote them, nothing is done again; `use_cache=False` rebuilds.
    `pdf_mode` is "single" (one WeasyPrint pass), "fast" (articles laid out in `pdf_jobs`
    processes, each cached, then joined; see fastpdf.py) or "auto" (fast where it applies).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    options = {
        "formats": sorted(formats),
        "title": title,
        "page_size": page_size,
        "pdf_variant": pdf_variant,
        "strict": strict,
        "pdf_mode": pdf_mode,
    }
    # Hashed before anything is parsed: a file changed during the build makes the next one redo.
    # Recorded even with use_cache=False, so that the next build can be skipped.
    found = cache.inputs(path, out_dir, options)
    if found is not None and use_cache:
        cached = cache.cached_result(found, out_dir)
        if cached is not None:
            timings["cache"] = time.perf_counter() - clock
            return replace(cached, timings=timings)
        timings["cache"] = time.perf_counter() - clock
    if pdf_mode not in PDF_MODES:
        raise MastheadError(
            f"unknown PDF mode '{pdf_mode}'", hint=f"use one of: {', '.join(PDF_MODES)}"
        )
    return _build(
        path,
        found,
        out_dir,
        formats,
        title,
        page_size,
        pdf_variant,
        strict,
        progress,
        timings,
        pdf_mode=pdf_mode,
        pdf_jobs=pdf_jobs,
        use_cache=use_cache,
    )


def _build(
    path: Path,
    found: cache.Inputs | None,
    out_dir: Path,
    formats: Sequence[str],
    title: str | None,
    page_size: str | None,
    pdf_variant: str | None,
    strict: bool,
    progress: Progress,
    timings: dict[str, float],
    pdf_mode: str = "auto",
    pdf_jobs: int | None = None,
    use_cache: bool = True,
) -> BuildResult:
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    # The EPUB's cover image is rendered by WeasyPrint: a helper process loads it while this one
    # reads the articles, then renders the cover while this one lays out the PDF.
    wants_epub = "epub" in formats or "kepub" in formats
    # Likewise the processes that lay out a fast PDF's pieces (fastpdf.py) start now; when they
    # do, one of them renders the cover (one process less importing WeasyPrint).
    workers = _early_workers(path, formats, pdf_variant, pdf_mode, pdf_jobs)
    helper = None
    if wants_epub and pdf_jobs != 1 and _can_fork():
        helper = workers if workers is not None else _CoverHelper()
    try:
        return _build_issue(
            path, found, out_dir, formats, title, page_size, pdf_variant, strict, progress,
            timings, pdf_mode, pdf_jobs, helper, lap, workers, use_cache,
        )  # fmt: skip
    finally:
        for pool in (helper, workers):
            if pool is not None:
                pool.close()


def _build_issue(  # type: ignore[no-untyped-def]
    path, found, out_dir, formats, title, page_size, pdf_variant, strict, progress, timings,
    pdf_mode, pdf_jobs, helper, lap, workers, use_cache,
) -> BuildResult:  # fmt: skip
    from masthead.cover import cover_html, cover_jpeg
    from masthead.epub import package_epub
    from masthead.kepub import kobo_spans
    from masthead.pdf import package_pdf, page_size_css
    from masthead.pdf import pdf_variant as _pdf_variant
    from masthead.render import context, page_targets, render_epub, render_pdf, theme_for

    progress("Reading articles")
    issue, warnings = prepare(path, title)
    lap("load")
    state = out_dir / STATE_DIR
    theme = theme_for(issue, state / "templates")
    cover = None  # The EPUB's cover: (JPEG, new cache file), or on its way from the helper.
    if helper is not None:
        cover = helper.submit(cover_jpeg, issue, cover_html(issue, theme, context(issue)), state)
    outputs: dict[str, bytes] = {}
    pages = None
    size = page_size_css(page_size or issue.publication.page_size)
    variant = _pdf_variant(pdf_variant)  # A bad name fails before any layout work.
    rendered_pdf = render_pdf(issue, size, theme)
    layout_key = hashlib.sha256(rendered_pdf.html.encode()).hexdigest()
    page_map_file = state / f"{issue.output_stem}.pages.json"
    # Page numbers of link targets, given to the next layout (pdf.lay_out).
    numbers_file = state / f"{issue.output_stem}.numbers.json"
    page_map: tuple[PageStart, ...] = ()
    cache_files: dict[Path, bytes] = {}  # Written with the outputs, only if the build succeeds.
    lap("render")
    keep_chunks: frozenset[Path] | None = None
    if "pdf" in formats:
        progress("Laying out PDF pages")
        pdf = None
        if _use_fast_pdf(pdf_mode, variant, issue, state):
            from masthead import fastpdf

            try:
                fast = fastpdf.build_fast(
                    issue,
                    rendered_pdf.html,
                    variant=variant,
                    jobs=pdf_jobs or _cores(),
                    cache_dir=state / fastpdf.CACHE_DIR / issue.output_stem,
                    workers=workers,
                    reuse=use_cache,  # --no-cache: every piece laid out again.
                )
            except fastpdf.NotApplicable as exc:
                if pdf_mode == "fast":
                    warnings.append(BuildWarning(f"PDF laid out in one pass: {exc}", path))
            else:
                pdf = fast.output(issue)
                cache_files.update(fast.cache_files)
                keep_chunks = fast.keep
        if pdf is None:
            # Used even with --no-cache: they only spare second layouts, and are checked.
            known = _read_numbers(numbers_file, size)
            pdf = package_pdf(issue, rendered_pdf, variant, known)
        warnings.extend(pdf.warnings)
        outputs[f"{issue.output_stem}.pdf"] = pdf.data
        pages = pdf.pages
        page_map = pdf.page_map
        lap("pdf")
    else:
        page_map = _read_page_map(page_map_file, layout_key)
    for fmt in ("epub", "kepub"):
        if fmt not in formats:
            continue
        progress("Packaging EPUB" if fmt == "epub" else "Packaging Kobo EPUB")
        targets = page_targets(issue, page_map)
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
        lap("render")
        if cover is None:
            cover = cover_jpeg(issue, cover_html(issue, theme, context(issue)), state)
        elif isinstance(cover, Future):
            cover = cover.result()
        jpeg, new_cache = cover
        if new_cache is not None:
            cache_files[new_cache] = jpeg
        data = package_epub(issue, rendered, source_date(issue), jpeg, has_pages=bool(targets))
        outputs[f"{issue.output_stem}.{'kepub.epub' if fmt == 'kepub' else 'epub'}"] = data
        lap("epub")
    if strict:
        warnings.extend(_validate(outputs))
    if strict and warnings:
        raise MastheadError(
            f"{len(warnings)} warning(s) with --strict; first: {warnings[0]}",
            hint="fix the warnings or build without --strict",
        )
    progress("Writing files")
    cache_files.update(theme.cache_files())
    files = {out_dir / name: data for name, data in outputs.items()} | cache_files
    if "pdf" in formats:
        # Kept so that a later EPUB-only build can still carry the PDF's page list.
        pages_json = json.dumps(
            {"layout": layout_key, "pages": [[p.page, p.anchor] for p in page_map]}
        )
        files[page_map_file] = pages_json.encode()
        numbers_json = {"page_size": size, "numbers": dict(pdf.numbers)}  # type: ignore[union-attr]
        files[numbers_file] = json.dumps(numbers_json, sort_keys=True).encode()
    result = BuildResult(
        outputs=tuple(sorted(out_dir / name for name in outputs)),
        warnings=tuple(warnings),
        pdf_pages=pages,
        timings=timings,
    )
    if found is not None:
        used = [a.source for a in issue.articles] + [a.source for a in issue.assets]
        extra = cache.outside_files(found.folder, used)
        built = {out_dir / name: data for name, data in outputs.items()}
        files[found.record] = cache.record_bytes(found, built, result, extra)
    write_all(files)
    if keep_chunks is not None:
        _forget_chunks(state / "chunks" / issue.output_stem, keep_chunks)
    lap("write")
    return result


class _CoverHelper:
    """One forked process that imports WeasyPrint early and renders the EPUB's cover."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=_load_cover_stack)
        self.pool.submit(int)  # Starts the process now.

    def submit(self, function, *args):  # type: ignore[no-untyped-def]
        return self.pool.submit(function, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _load_cover_stack() -> None:
    import pypdfium2  # noqa: F401
    import weasyprint  # noqa: F401


PDF_MODES = ("auto", "fast", "single")
FAST_MIN_ARTICLES = 3  # Measured: from 3 articles, pieces in parallel beat one pass.


def _cores() -> int:
    from masthead.batch import cores

    return cores()


def _early_workers(path, formats, pdf_variant, pdf_mode, pdf_jobs):  # type: ignore[no-untyped-def]
    """Worker processes for a fast PDF, started before the issue is read, when one is likely."""
    from masthead.fastpdf import FAST_VARIANTS
    from masthead.pdf import DEFAULT_PDF_VARIANT

    variant = (pdf_variant or DEFAULT_PDF_VARIANT).strip().lower()
    jobs = pdf_jobs or _cores()
    if "pdf" not in formats or pdf_mode == "single" or variant not in FAST_VARIANTS or jobs < 2:
        return None
    if pdf_mode == "auto" and _article_files(Path(path)) < FAST_MIN_ARTICLES:
        return None
    from masthead.fastpdf import Workers

    return Workers(jobs, _language_hint(Path(path)))


def _language_hint(folder: Path) -> str:
    """The issue's language as its settings give it, read cheaply (the workers' hyphenation
    dictionary); errors are left to the real reading of the settings."""
    import tomllib

    for settings in (folder / "issue.toml", folder.parent / "publication.toml"):
        try:
            found = tomllib.loads(settings.read_text(encoding="utf-8")).get("language")
        except (OSError, ValueError):
            continue
        if isinstance(found, str):
            return found
    return "en"


def _article_files(folder: Path) -> int:
    """About how many articles a folder holds, without reading them."""
    if not folder.is_dir():
        return 0
    return sum(
        1
        for p in folder.rglob("*")
        if p.suffix.lower() in (".md", ".markdown") and not p.name.startswith(".")
    )


def _use_fast_pdf(mode: str, variant: str, issue: Issue, state: Path) -> bool:
    """Lay the PDF out in pieces (fastpdf.py)? Untagged or PDF/UA-1; PDF/A is one pass.

    "auto" does for issues of FAST_MIN_ARTICLES articles or more, and for any issue whose
    pieces an earlier build left in the state folder (a rebuild lays out changed articles only).
    """
    from masthead.fastpdf import FAST_VARIANTS

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
    from masthead.validate import run_ace, run_epubcheck

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
