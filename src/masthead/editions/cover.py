"""The EPUB cover image: the PDF's cover template rendered at e-reader proportions, as a JPEG."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image as PILImage

from masthead.model import Issue
from masthead.render.theme import Theme

# Kindle's recommended cover: 1600 x 2560 px (1:1.6), RGB JPEG, under 4 megapixels for Apple.
COVER_PAGE = "5in 8in"
COVER_SIZE = (1600, 2560)
COVER_DPI = COVER_SIZE[0] / 5


def cover_html(issue: Issue, theme: Theme, context: dict[str, object]) -> str:
    """The cover page as one HTML document: the PDF cover template plus thumbnail styles."""
    css = theme.render("pdf/style.css", page_size=COVER_PAGE, **context)
    thumb = theme.render("epub/cover-image.css", **context)
    return theme.render("epub/cover-image.html", stylesheet=css + "\n" + thumb, **context)


def cover_jpeg(issue: Issue, html: str, cache_dir: Path) -> tuple[bytes, Path | None]:
    """Rasterise the cover page (or fit the issue's own cover image) into a JPEG.

    The result depends only on the HTML and the images it uses, so it is cached by their hash:
    a rebuild, or an EPUB-only build, does not need to load the PDF engine again. Returns the
    bytes and, when they are new, the cache file to write them to along with the outputs.
    """
    if issue.info.epub_cover is not None:
        with PILImage.open(issue.info.epub_cover) as image:
            return _fit_jpeg(image), None
    digest = hashlib.sha256(html.encode())
    if issue.cover_image is not None:
        digest.update(issue.cover_image.print_image or issue.cover_image.data)
    cached = cache_dir / f"cover-{digest.hexdigest()[:24]}.jpg"
    if cached.is_file():
        return cached.read_bytes(), None
    return _render(issue, html), cached


def _render(issue: Issue, html: str) -> bytes:
    import pypdfium2
    from weasyprint import HTML

    from masthead.editions.pdf.single import ASSET_BASE, asset_fetcher

    pdf = HTML(string=html, base_url=ASSET_BASE, url_fetcher=asset_fetcher(issue)).write_pdf()
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=COVER_DPI / 72)
        image = bitmap.to_pil()
    finally:
        document.close()
    return _fit_jpeg(image)


def _fit_jpeg(image: PILImage.Image) -> bytes:
    """RGB JPEG no larger than 1600 x 2560 (Kindle's size; under Apple's 4 MP)."""
    image = image.convert("RGB")
    if image.width > COVER_SIZE[0] or image.height > COVER_SIZE[1]:
        image.thumbnail(COVER_SIZE, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True, progressive=False)
    return out.getvalue()
