"""Laying out one chunk in a worker process: its PDF, and what the join needs of its pages."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from masthead.editions.pdf import single, weasy
from masthead.editions.pdf.assets import ASSET_BASE, fetcher_for, font_config, reset_process
from masthead.editions.pdf.check import piece_glyphs
from masthead.editions.pdf.fonts import sending_for
from masthead.editions.pdf.output import collect_warnings
from masthead.editions.pdf.pieces import (
    PAGE_SENTINEL,
    Chunk,
    FontUse,
    Glyphs,
    Laid,
    NotApplicable,
    Placeholder,
)
from masthead.model import Asset

_SHEETS: dict[str, Any] = {}


def stylesheet(css: str, fetcher: Any) -> Any:
    """A stylesheet parsed once per process: the issue's is the same for every chunk."""
    from weasyprint import CSS

    key = hashlib.sha256(css.encode()).hexdigest()
    if key not in _SHEETS:
        if len(_SHEETS) >= 4:  # The issue's, the page counter's, the overlay's fonts.
            _SHEETS.clear()
        _SHEETS[key] = CSS(
            string=css, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=font_config()
        )
    return _SHEETS[key]


def lay_out(
    chunk: Chunk, assets: tuple[Asset, ...], variant: str, draft: bool = False, build: str = ""
) -> Laid:
    """Lay out one chunk and write its PDF (runs in a worker process).

    A `draft` only counts the pages and finds the anchors: no PDF is written (the front
    matter's first layout, which is always done again with the page numbers). `build`: the
    build's id (see fonts.sending_for)."""
    sending_for(build)
    fetcher = fetcher_for(assets)
    sheets = [stylesheet(chunk.css, fetcher)] if chunk.css else []
    sheets.append(stylesheet(f"@page :first {{ counter-set: page {PAGE_SENTINEL} }}", fetcher))
    # Page references to another chunk's anchors print a number or a placeholder.
    outside = weasy.known_targets(dict(chunk.numbers), chunk.outside, chunk.digits)
    with collect_warnings() as log, outside:
        # As the one-pass layout: finished, and lost footnotes set as endnotes instead.
        _, document = single.lay_out(
            chunk.html,
            fetcher,
            numbering=False,
            font_config=font_config(),
            stylesheets=sheets,
        )
        laid = Laid(b"", [], [], [], name=chunk.name, table_headers="<th" in chunk.html)
        for page in document.pages:
            laid.sizes.append((page.width, page.height))
            laid.anchors.append(dict(page.anchors))
            laid.bookmarks.append(list(page.bookmarks))
        # Folios are stamped by the overlay (or set in place), with the page numbers.
        weasy.read_pages(document, chunk, laid)
        if draft:
            laid.warnings = log.messages
            return laid
        # Links to other chunks' anchors: WeasyPrint writes a link only to an anchor it has, as
        # a named destination, which the join defines for the whole issue. Stand-ins (on the
        # first page, never joined: laid.anchors holds the real ones) keep those links, with
        # their place in the structure tree of a tagged PDF.
        if document.pages:
            here = {name for page in document.pages for name in page.anchors}
            for name in chunk.outside:
                if name not in here:
                    document.pages[0].anchors[name] = (0, 0, 0, 0)
        with weasy.embedding_fonts(laid):
            laid.pdf = document.write_pdf(
                pdf_variant=None if variant == "none" else variant,
                pdf_tags=variant != "none",
            )
    laid.glyphs = piece_glyphs(laid.pdf, laid.fonts)
    laid.placeholders = [_with_digits(laid, place) for place in laid.placeholders]
    for mark in laid.folio_marks:
        if _digits_room(laid, mark.glyphs, mark.glyphs.digits[0][0]) is None:
            raise NotApplicable("a folio's font is embedded whole")  # Never with WeasyPrint 70.
    laid.warnings = log.messages
    return laid


def _with_digits(laid: Laid, place: Placeholder) -> Placeholder:
    """The placeholder, its digits in the font the join subsets; or without glyphs (its number
    left to the overlay) when the font is embedded whole by its chunk."""
    if place.glyphs is None or _digits_room(laid, place.glyphs, place.glyphs.space[0]) is None:
        return replace(place, glyphs=None)
    return place


def _digits_room(laid: Laid, glyphs: Glyphs, drawn: int) -> FontUse | None:
    """Add the digits to the chunk's use of their font (see set_numbers), which must have
    drawn the placeholder's glyph `drawn`."""
    use = laid.fonts.get(glyphs.font)
    if use is None or not use.mergeable or drawn not in use.to_unicode:
        return None
    to_unicode = {gid: str(d) for d, (gid, _, _) in enumerate(glyphs.digits)}
    widths = {gid: float(width) for gid, width, _ in glyphs.digits}
    use = replace(use, to_unicode=to_unicode | use.to_unicode, widths=widths | use.widths)
    laid.fonts[glyphs.font] = use
    return use


def warm(language: str = "") -> None:
    """Start a worker: fonts set up, nothing kept from the parent process."""
    _SHEETS.clear()
    reset_process()
    if language:
        # Reading a hyphenation dictionary takes a chunk's first layout 0.15 s: read it now,
        # while the main process reads the issue (pyphen keeps it for the process).
        import pyphen

        found = pyphen.language_fallback(language.replace("-", "_"))
        if found:
            pyphen.Pyphen(lang=found)
