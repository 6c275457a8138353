"""PDF options: page sizes, variants, image resolution, and what they mean for WeasyPrint."""

from __future__ import annotations

from masthead.errors import InputError
from masthead.model import Issue

# CSS `size` values; the small-screen size suits tablets and e-ink readers.
# CSS `size` values; the small-screen size suits tablets and e-ink readers.
PAGE_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5", "tablet": "6in 9in"}


# WeasyPrint variants offered (`--pdf-variant`). The default is tagged PDF/UA-1 (structure tree,
# language, title shown); the PDF/A ones are for archives and stay tagged too. "none": untagged.
# Without a validator here (no veraPDF) a build claims only what it asked for, never conformance.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-3a", "none")


DEFAULT_PDF_VARIANT = "pdf/ua-1"


# Images are downsampled to this resolution at their printed size and recompressed: sharp on
# paper and screens, small enough to email (see the publication's `email_limit_mb`).
IMAGE_DPI = 200


# Images larger than IMAGE_DPI at the size they are shown are made smaller, and then saved
# optimised (before_drawing). Not `optimize_images` or `jpeg_quality`: with either WeasyPrint
# decodes and encodes every JPEG again as it reads it, before making it smaller (decoding,
# scaling and encoding it again): a fifth of the time of laying out an article with a photo.
IMAGE_OPTIONS = {"optimize_images": False, "jpeg_quality": None, "dpi": IMAGE_DPI}


def pdf_variant(name: str | None) -> str:
    """A PDF variant name from the CLI or a caller: one of PDF_VARIANTS (any case)."""
    chosen = (name or DEFAULT_PDF_VARIANT).strip().lower()
    if chosen not in PDF_VARIANTS:
        raise InputError(
            f"unknown PDF variant '{name}'", hint=f"use one of: {', '.join(PDF_VARIANTS)}"
        )
    return chosen


def page_size_css(name: str) -> str:
    try:
        return PAGE_SIZES[name.lower()]
    except KeyError:
        raise InputError(
            f"unknown page size '{name}'", hint=f"use one of: {', '.join(PAGE_SIZES)}"
        ) from None


def write_options(issue: Issue, variant: str) -> dict[str, object]:
    """`Document.write_pdf` options for a variant (see PDF_VARIANTS)."""
    return {
        "pdf_variant": None if variant == "none" else variant,
        "pdf_tags": variant != "none",
        # A stable first file identifier (the issue's); WeasyPrint adds a hash of the content.
        "pdf_identifier": issue.identifier.encode(),
    }
