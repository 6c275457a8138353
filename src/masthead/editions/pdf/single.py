"""Stage 5b — package the PDF: WeasyPrint lays out the rendered issue, offline, in one pass."""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Any

from masthead.editions.pdf import weasy
from masthead.editions.pdf.assets import ASSET_BASE, asset_fetcher
from masthead.editions.pdf.glyphs import glyph_warnings
from masthead.editions.pdf.html import Paragraph, finish_html, lost_footnotes, paragraph_keys
from masthead.editions.pdf.options import (
    DEFAULT_PDF_VARIANT,
    IMAGE_OPTIONS,
    PAGE_SIZES,
    PDF_VARIANTS,
    page_size_css,
    pdf_variant,
    write_options,
)
from masthead.editions.pdf.output import (
    PdfOutput,
    anchor_pages,
    collect_warnings,
    link_targets,
    page_map,
    size_warnings,
)
from masthead.model import Issue
from masthead.render.documents import RenderedPdf

# Callers (build, cli, cover, tests) import these from here.
__all__ = [
    "ASSET_BASE",
    "DEFAULT_PDF_VARIANT",
    "PAGE_SIZES",
    "PDF_VARIANTS",
    "PdfOutput",
    "asset_fetcher",
    "finish_html",
    "lay_out",
    "package_pdf",
    "page_size_css",
    "pdf_variant",
]

_ID = re.compile(r' id="([^"]+)"')
MOST_HYPHENS = 2  # Hyphenated line-ends in a row.
FILL_BELOW = 0.4  # A feature's last page filled less than this (of its height) is cropped back.
CROP_SLACK = 30.0  # CSS px (two lines and more) cropped beyond the last page's text.
CROP_KEEPS = 0.6  # Of a photograph's height, at least.
REFINE_ROUNDS = 2  # Layouts again for those, at most: then the pages are as they are.


def lay_out(
    source_html: str,
    fetcher: Any,
    known: dict[str, int] | None = None,
    numbering: bool = True,
    **options: Any,
) -> tuple[str, Any]:
    """Finish the rendered HTML and lay it out: (finished HTML, WeasyPrint document).

    Shared by the one-pass layout here and the pieces of the fast path (layout.py). `options` go to
    `HTML.render` (font_config, stylesheets).

    Page references (`target-counter()`, "p. 14"): WeasyPrint waits for each target and lays
    the page holding the reference out again when it gets there. With a reference in every
    article that is 40% of the layout time of a 50-article issue, and those second layouts can
    lose footnotes. So when the page numbers are `known` (from the last build of the issue),
    they are given to WeasyPrint up front and no page is laid out twice; and when a first,
    unaided layout lost footnotes, it is done again that way with the numbers it found. The
    numbers are checked against where the targets land, and laid out again until they agree
    (at worst WeasyPrint is left to do it alone). `numbering=False` leaves page references
    alone (the fast path numbers them itself). Without the WeasyPrint internals these speed-ups
    need (weasy.problem), WeasyPrint is left to do it alone.
    """
    from weasyprint import HTML

    internals = weasy.problem() is None

    def plain(html: str) -> Any:
        return HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            **IMAGE_OPTIONS, **options
        )

    def numbered(html: str, numbers: dict[str, int]) -> Any:
        targets = link_targets(html) & set(_ID.findall(html))
        numbers = {name: page for name, page in numbers.items() if name in targets}
        if not numbering or not numbers or not internals:
            return plain(html)
        for _ in range(3):
            with weasy.known_targets(numbers):
                document = plain(html)
            found = anchor_pages(document, numbers)
            if found == numbers:
                return document
            numbers = found
        return plain(html)

    html = finish_html(source_html)
    document = numbered(html, known) if known else plain(html)
    unhyphenated: set[Paragraph] = set()
    cropped: dict[str, tuple[float, float]] = {}
    for _ in range(REFINE_ROUNDS if internals else 0):
        # No more than MOST_HYPHENS hyphenated line-ends in a row (WeasyPrint 70 has no
        # hyphenate-limit-lines): a paragraph with more is set again without hyphenation.
        root, ladders = weasy.hyphen_ladders(document, MOST_HYPHENS)
        keys = paragraph_keys(root, ladders) - unhyphenated if ladders else set()
        # A feature whose last page would hold a few lines: its lead photograph is cropped
        # by their height (and a little), which brings them back, if it keeps most of itself.
        crops = {
            name: (width, height - used - CROP_SLACK)
            for name, (used, width, height) in weasy.short_ends(document, FILL_BELOW).items()
            if name not in cropped and height - used - CROP_SLACK >= CROP_KEEPS * height
        }
        if not keys and not crops:
            break
        unhyphenated |= keys
        cropped |= crops
        found = anchor_pages(document, link_targets(html))
        html = finish_html(source_html, unhyphenated=unhyphenated, cropped=cropped)
        document = numbered(html, found)
    lost = lost_footnotes(html, document)
    if lost and numbering:
        # Lost in a second layout of their page: laid out once, with the numbers now known.
        document = numbered(html, anchor_pages(document, link_targets(html)))
        lost = lost_footnotes(html, document)
    if lost:
        # WeasyPrint 70 can drop a footnote whose paragraph is pushed to the next page to
        # keep its widows and orphans. Never lose words: those articles get endnotes.
        found = anchor_pages(document, link_targets(html))
        endnotes = {note.split("--")[0] for note in lost}
        html = finish_html(source_html, endnotes, unhyphenated, cropped)
        document = numbered(html, found)
    if internals:
        weasy.finish_pages(document)
    return html, document


def package_pdf(
    issue: Issue,
    rendered: RenderedPdf,
    variant: str = DEFAULT_PDF_VARIANT,
    known: dict[str, int] | None = None,
) -> PdfOutput:
    """Lay out the issue and write the PDF: tagged PDF/UA-1 unless another variant is asked for.

    `known`: page numbers of link targets from an earlier build (see lay_out).
    """
    variant = pdf_variant(variant)
    with collect_warnings() as log:
        _, document = lay_out(rendered.html, asset_fetcher(issue), known)
        with weasy.embedding_fonts() if weasy.problem() is None else nullcontext():
            data = document.write_pdf(**write_options(issue, variant))
    numbers = anchor_pages(document, link_targets(rendered.html))
    # Once each: a second layout repeats the first one's complaints.
    # Missing glyphs: one warning per font and script (glyphs.py).
    warnings = glyph_warnings(log.messages, issue)
    warnings += size_warnings(issue, data)
    return PdfOutput(
        data=data,
        pages=len(document.pages),
        warnings=tuple(warnings),
        page_map=page_map(document),
        numbers=tuple(sorted(numbers.items())),
    )
