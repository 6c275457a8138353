"""Stage 5b — package the PDF: WeasyPrint lays out the rendered issue, offline."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from masthead.errors import InputError
from masthead.model import BuildWarning, Issue, PageStart
from masthead.render import RenderedPdf

# CSS `size` values; the small-screen size suits tablets and e-ink readers.
PAGE_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5", "tablet": "6in 9in"}
ASSET_BASE = "file:///masthead-assets/"


def page_size_css(name: str) -> str:
    try:
        return PAGE_SIZES[name.lower()]
    except KeyError:
        raise InputError(
            f"unknown page size '{name}'", hint=f"use one of: {', '.join(PAGE_SIZES)}"
        ) from None


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    pages: int
    warnings: tuple[BuildWarning, ...]
    page_map: tuple[PageStart, ...] = ()


def page_map(document) -> tuple[PageStart, ...]:  # type: ignore[no-untyped-def]
    """For each page, the first element that starts on it (else the one continuing onto it)."""
    starts: list[PageStart] = []
    previous: set[str] = set()
    last = "cover"
    for number, page in enumerate(document.pages, start=1):
        # Anchors in reading order; for equal positions an element comes before its children.
        ordered = sorted(page.anchors.items(), key=lambda item: (item[1][1], item[1][0]))
        fresh = [name for name, _ in ordered if name not in previous]
        if fresh:
            last = fresh[0]
        elif ordered:
            # Nothing starts here: the innermost element continuing from the page before.
            top = ordered[0][1][1]  # Anchor boxes are (x1, y1, x2, y2).
            last = [name for name, box in ordered if box[1] == top][-1]
        starts.append(PageStart(number, last))
        previous = {name for name, _ in ordered}
    return tuple(starts)


class _Collect(logging.Handler):
    """WeasyPrint reports skipped images and bad CSS through logging; keep them as warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def asset_fetcher(issue: Issue):  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher

    sources = {f"{ASSET_BASE}{a.href}": a.source for a in issue.assets}

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None):  # type: ignore[no-untyped-def]
            source = sources.get(url.split("#")[0])
            if source is not None:
                url = Path(source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])


def package_pdf(issue: Issue, rendered: RenderedPdf) -> PdfOutput:
    # Imported here: an EPUB-only build should not pay for loading the PDF stack.
    from weasyprint import HTML

    fetcher = asset_fetcher(issue)
    with _weasyprint_warnings() as log:
        document = HTML(string=rendered.html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            optimize_images=True,
            jpeg_quality=85,
            dpi=200,
        )
        data = document.write_pdf()
    warnings = tuple(BuildWarning(f"PDF: {m}", issue.source) for m in log.messages)
    return PdfOutput(
        data=data, pages=len(document.pages), warnings=warnings, page_map=page_map(document)
    )
