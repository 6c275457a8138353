"""The PDF edition as the preview shows it: which pages each document's matter fills, each page
as an image (rendered by PDFium, as a PDF reader would) and its text, for a text layer."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

# PDFium is not thread-safe: one lock for every document of the process.
PDFIUM = threading.Lock()
PAGE_SCALE = 2.0  # Pixels per PDF point: sharp on high-density screens.
JPEG_QUALITY = 90  # Four times faster to encode than PNG at this size, and smaller.


@dataclass
class PdfView:
    """One built PDF: its pages by anchor, page images and text, kept while it is shown."""

    version: int
    data: bytes
    pages: int = 0
    sizes: list[tuple[float, float]] = field(default_factory=list)  # In points.
    _document: Any = None
    _images: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with PDFIUM:
            self._document = pypdfium2.PdfDocument(self.data)
            self.pages = len(self._document)
            self.sizes = [self._document.get_page_size(i) for i in range(self.pages)]

    def close(self) -> None:
        with PDFIUM:
            if self._document is not None:
                self._document.close()
                self._document = None

    def starts(self, anchors: Sequence[str]) -> dict[str, int]:
        """The 0-based page on which each named destination (an element id) is."""
        found: dict[str, int] = {}
        with PDFIUM:
            for anchor in anchors:
                dest = pdfium_c.FPDF_GetNamedDestByName(self._document.raw, anchor.encode())
                if dest:
                    index = pdfium_c.FPDFDest_GetDestPageIndex(self._document.raw, dest)
                    if index >= 0:
                        found[anchor] = index
        return found

    def ranges(self, anchors: Sequence[str], run_on: bool) -> dict[str, list[int]]:
        """The pages (0-based) of the matter that begins at each anchor, in reading order, up to
        where the next begins; `run_on`: matter does not start on a new page, so the page where
        the next begins is also this one's."""
        starts = self.starts(anchors)
        ordered = [a for a in anchors if a in starts]
        found: dict[str, list[int]] = {}
        for i, anchor in enumerate(ordered):
            first = starts[anchor]
            following = starts[ordered[i + 1]] if i + 1 < len(ordered) else self.pages
            last = following if run_on and i + 1 < len(ordered) else following - 1
            found[anchor] = list(range(first, max(first, last) + 1))
        return found

    def image(self, index: int) -> bytes:
        """Page `index` (0-based) as a JPEG."""
        cached = self._images.get(index)
        if cached is not None:
            return cached
        with PDFIUM:
            page = self._document[index]
            try:
                picture = page.render(scale=PAGE_SCALE).to_pil()
            finally:
                page.close()
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
        self._images[index] = out.getvalue()
        return self._images[index]

    def text(self, index: int) -> dict[str, Any]:
        """Page `index`'s text runs with their boxes, as fractions of the page (top left 0, 0)."""
        width, height = self.sizes[index]
        runs: list[dict[str, Any]] = []
        with PDFIUM:
            page = self._document[index]
            textpage = page.get_textpage()
            try:
                for i in range(textpage.count_rects()):
                    left, bottom, right, top = textpage.get_rect(i)
                    text = textpage.get_text_bounded(left, bottom, right, top).strip()
                    if text:
                        runs.append(
                            {
                                "text": text,
                                "x": left / width,
                                "y": 1 - top / height,
                                "w": (right - left) / width,
                                "h": (top - bottom) / height,
                            }
                        )
            finally:
                textpage.close()
                page.close()
        return {"page": index + 1, "width": width, "height": height, "runs": runs}
