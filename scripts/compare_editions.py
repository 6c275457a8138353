"""Compare two builds of the same issues: EPUBs byte for byte, PDFs page by page (pixels and text).

Used to show that a change of code left the outputs alone:

    SOURCE_DATE_EPOCH=1700000000 masthead build ISSUE --out before/   # on the old code
    SOURCE_DATE_EPOCH=1700000000 masthead build ISSUE --out after/    # on the new code
    python scripts/compare_editions.py before/ after/

Exit status 0 when every file matches, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pypdfium2 as pdfium


def _pages(path: Path) -> list[tuple[str, str]]:
    """(pixel digest, text) of every page, rendered by PDFium at 50 dpi."""
    pdf = pdfium.PdfDocument(str(path))
    pages = []
    for page in pdf:
        bitmap = page.render(scale=50 / 72).to_pil()
        text = page.get_textpage().get_text_range()
        pages.append((hashlib.sha256(bitmap.tobytes()).hexdigest(), text))
    return pages


def compare(before: Path, after: Path) -> list[str]:
    differences = []
    names = sorted({p.name for p in before.glob("*.epub")} | {p.name for p in before.glob("*.pdf")})
    if not names:
        return [f"{before}: no EPUB or PDF to compare"]
    for name in names:
        old, new = before / name, after / name
        if not new.exists():
            differences.append(f"{name}: missing after")
        elif name.endswith(".epub"):
            if old.read_bytes() != new.read_bytes():
                differences.append(f"{name}: EPUB bytes differ")
        else:
            old_pages, new_pages = _pages(old), _pages(new)
            if len(old_pages) != len(new_pages):
                differences.append(f"{name}: {len(old_pages)} pages before, {len(new_pages)} after")
            for number, (a, b) in enumerate(zip(old_pages, new_pages, strict=False), 1):
                if a[0] != b[0]:
                    differences.append(f"{name} p. {number}: pixels differ")
                if a[1] != b[1]:
                    differences.append(f"{name} p. {number}: text differs")
    return differences


if __name__ == "__main__":
    found = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) if found else "same: every EPUB byte and every PDF page")
    sys.exit(1 if found else 0)
