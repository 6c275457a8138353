"""Regenerate the README's pictures of the PDF edition from the example issue.

    .venv/bin/python scripts/screenshots.py            # writes docs/images/{cover,contents,article}.png

Builds examples/the-lantern/no-7 as an A4 PDF in a temporary folder, renders the cover, the
contents page and the first article's opening page with pdftoppm (poppler-utils), and saves each
as an optimised PNG under 300 KB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "the-lantern" / "no-7"
OUT = ROOT / "docs" / "images"
DPI = 70
MAX_BYTES = 300_000


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from pypdf import PdfReader

    from masthead import build

    with tempfile.TemporaryDirectory() as tmp:
        result = build(EXAMPLE, out_dir=Path(tmp), formats=["pdf"], page_size="a4")
        pdf = result.outputs[0]
        reader = PdfReader(pdf)
        first_article = reader.get_destination_page_number(reader.outline[0])  # Its section.
        pages = {"cover": 1, "contents": 2, "article": first_article + 1}
        OUT.mkdir(parents=True, exist_ok=True)
        for name, number in pages.items():
            stem = Path(tmp) / name
            subprocess.run(
                ["pdftoppm", "-r", str(DPI), "-f", str(number), "-l", str(number), "-singlefile"]
                + ["-png", str(pdf), str(stem)],
                check=True,
            )
            target = OUT / f"{name}.png"
            with Image.open(stem.with_suffix(".png")) as image:
                # A palette of 256 colours keeps type crisp and the file small.
                image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(
                    target, optimize=True
                )
            size = target.stat().st_size
            if size > MAX_BYTES:
                print(f"{target}: {size} bytes, over {MAX_BYTES}", file=sys.stderr)
                return 1
            print(f"{target.relative_to(ROOT)} (page {number}, {size // 1000} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
