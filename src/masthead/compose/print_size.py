"""How large the PDF prints an image, and whether it is sharp enough there (MIN_PRINT_PPI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MIN_PRINT_PPI = 150
MM_PER_CSS_PX = 25.4 / 96  # WeasyPrint shows an image's pixel as a CSS pixel.


class Size(Protocol):
    """Anything with a pixel width and height (ImageFacts, Asset)."""

    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...


@dataclass(frozen=True)
class PrintedPage:
    """How templates/pdf/style.css sets images on a page size, in millimetres: the column
    (`max-width: 100%`), the height limits of body and lead images, the cover art's box."""

    column: float
    figure: float
    lead: float
    cover: tuple[float, float]  # Page minus the cover's padding; the art takes 45% of its height.


def _page(width: float, height: float, margins: float, figure: float, lead: float) -> PrintedPage:
    return PrintedPage(width - margins, figure, lead, (width - 36, (height - 32) * 0.45))


PRINTED_PAGES = {
    "a4": _page(210, 297, 60, 115, 112),
    "letter": _page(215.9, 279.4, 64, 105, 105),
    "a5": _page(148, 210, 32, 80, 72),
    "tablet": _page(152.4, 228.6, 34, 88, 80),
}
PRINTED_PAGES["6in 9in"] = PRINTED_PAGES["tablet"]


def printed_ppi(size: Size, page: PrintedPage, role: str) -> float | None:
    """Pixels per inch of an image as the PDF prints it (`role`: "body", "lead" or "cover")."""
    if not size.width or not size.height:
        return None
    if role == "cover":
        box_width, box_height = page.cover  # `object-fit: contain`: scaled up or down to fit.
        scale = min(box_width / size.width, box_height / size.height)
    else:
        # At its own size (a pixel a CSS pixel), never wider than the column nor taller than
        # the page's limit for its kind.
        limit = page.lead if role == "lead" else page.figure
        scale = min(MM_PER_CSS_PX, page.column / size.width, limit / size.height)
    return 25.4 / scale


def low_resolution(size: Size, page: PrintedPage | None, role: str) -> str | None:
    """A warning when the PDF prints the image below MIN_PRINT_PPI, else None."""
    ppi = printed_ppi(size, page, role) if page is not None else None
    if ppi is None or ppi >= MIN_PRINT_PPI:
        return None
    assert size.width is not None and page is not None
    printed = size.width * 25.4 / ppi
    wanted = int(printed / 25.4 * MIN_PRINT_PPI + 0.999)
    return (
        f"prints at {ppi:.0f} ppi ({printed:.0f} mm wide), below {MIN_PRINT_PPI}: "
        f"use a version at least {wanted} pixels wide"
    )
