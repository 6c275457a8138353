"""Processes a build starts before it reads the issue: a helper that renders the EPUB's cover,
and the workers that lay out a fast PDF's pieces (WeasyPrint takes a second to import)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from masthead.options import BuildOptions


class CoverHelper:
    """One forked process that imports WeasyPrint early and renders the EPUB's cover."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=_load_cover_stack)
        self.pool.submit(int)  # Starts the process now.

    def submit(self, function: Callable[..., Any], /, *args: Any) -> Future[Any]:
        return self.pool.submit(function, *args)

    def close(self) -> None:
        # Waits for the process (stopped first by build() when its work is not wanted): a pool
        # left shutting down races the interpreter's exit ("Bad file descriptor").
        self.pool.shutdown(wait=True, cancel_futures=True)


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _load_cover_stack() -> None:
    import pypdfium2  # noqa: F401
    import weasyprint  # noqa: F401


def early_workers(path: Path, options: BuildOptions, min_articles: int) -> Any:
    """Worker processes for a fast PDF, started before the issue is read, when one is likely
    (`min_articles`: fewer articles are laid out in one pass in "auto" mode)."""
    if "pdf" not in options.formats or options.pdf_mode == "single":
        return None  # Before the imports: an EPUB alone needs none of the PDF's modules.
    from masthead.editions.pdf.fast import FAST_VARIANTS
    from masthead.editions.pdf.single import DEFAULT_PDF_VARIANT

    variant = (options.pdf_variant or DEFAULT_PDF_VARIANT).strip().lower()
    mode = options.pdf_mode
    if variant not in FAST_VARIANTS:
        return None
    if options.jobs < 2 or (mode == "auto" and _article_files(path) < min_articles):
        return None
    from masthead.editions.pdf.fast import Workers

    return Workers(options.jobs, options.language or _language_hint(path))


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
