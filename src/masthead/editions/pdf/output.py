"""What a PDF edition returns, and what both ways of making it share: page maps, anchors,
link targets, size warnings, WeasyPrint's log messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from masthead.editions.pdf.glyphs import FontOfMissingGlyph
from masthead.model import BuildWarning, Issue, PageStart


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    pages: int
    warnings: tuple[BuildWarning, ...]
    page_map: tuple[PageStart, ...] = ()
    # The page of every anchor an internal link points to, like (("night-ferry", 9), …): kept
    # by the build so that the next layout of the issue can be given them (see lay_out).
    numbers: tuple[tuple[str, int], ...] = ()


def page_map(document: Any) -> tuple[PageStart, ...]:
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


def anchor_pages(document: Any, names: Any) -> dict[str, int]:
    """The page number (1-based) of each of these anchors in a laid-out document."""
    wanted = set(names)
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = number
    return found


def link_targets(html: str) -> set[str]:
    """The anchors that internal links of the HTML point to."""
    return set(_INTERNAL_HREF.findall(html))


_INTERNAL_HREF = re.compile(r'href="#([^"]+)"')


def size_warnings(issue: Issue, data: bytes) -> list[BuildWarning]:
    """A warning when the PDF is over the publication's email limit."""
    limit = issue.publication.email_limit_mb
    if len(data) <= limit * 1_000_000:
        return []
    return [
        BuildWarning(
            f"PDF is {len(data) / 1_000_000:.1f} MB, over the {limit:g} MB email limit "
            "(email_limit_mb): use smaller images or raise the limit",
            issue.source,
        )
    ]


class _Collect(logging.Handler):
    """WeasyPrint reports skipped images and bad CSS through logging; keep them as warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collect_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    handler.addFilter(FontOfMissingGlyph())  # Missing glyphs: their font (glyphs.py).
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
