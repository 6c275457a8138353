"""Regenerate the README's pictures and the gallery of the PDF edition from the example issue.

    .venv/bin/python scripts/screenshots.py   # docs/images/{cover,contents,article}.png (A4)
                                              # and docs/gallery/{a4,letter,tablet}-*.png

Builds examples/the-lantern/no-7 as a PDF on A4, letter and a tablet page in a temporary folder
and renders, with pdftoppm (poppler-utils): the cover, the contents page, the first article's
opening page, a page where a short piece runs on after the one before it, and a spread (a left
page and the right one facing it, with their running heads and folios). Each is saved
as a palette PNG: the README's under 300 KB, the gallery's under 150 KB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "the-lantern" / "no-7"
README = ROOT / "docs" / "images"
GALLERY = ROOT / "docs" / "gallery"
SIZES = ("a4", "letter", "tablet")


def _pages(pdf: Path) -> dict[str, int]:
    """1-based page numbers of the cover, contents, first opening and first run-on page."""
    from pypdf import PdfReader

    from masthead.build import prepare
    from masthead.render.documents import places

    reader = PdfReader(pdf)
    starts: dict[str, int] = {}

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                starts.setdefault(item.title, reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    issue, _ = prepare(EXAMPLE)
    ordered = places(issue)
    first = starts[ordered[0].article.title]
    run_on = next((starts[p.article.title] for p in ordered if not p.opens), first + 1)
    # A left page and the right page facing it, after the first opening: the running heads.
    spread = first + 1 if (first + 1) % 2 == 0 else first + 2
    return {"cover": 1, "contents": 2, "opening": first, "run-on": run_on, "spread": spread}


def _save(pdf: Path, number: int, dpi: int, target: Path, limit: int, pages: int = 1) -> bool:
    """Page `number` (and the `pages` - 1 after it, side by side: a spread) as a PNG."""
    stem = target.with_suffix("")
    tmp = Path(tempfile.mkdtemp()) / stem.name
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number + pages - 1)]
        + ["-png", str(pdf), str(tmp)],
        check=True,
    )
    shots = [Image.open(path).convert("RGB") for path in sorted(tmp.parent.glob("*.png"))]
    image = Image.new("RGB", (sum(s.width for s in shots), shots[0].height), "white")
    for index, shot in enumerate(shots):
        image.paste(shot, (sum(s.width for s in shots[:index]), 0))
    # A palette of 256 colours keeps type crisp and the file small.
    image.quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)
    size = target.stat().st_size
    print(f"{target.relative_to(ROOT)} (page {number}, {size // 1000} KB)")
    if size > limit:
        print(f"{target}: {size} bytes, over {limit}", file=sys.stderr)
        return False
    return True


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from masthead import build

    README.mkdir(parents=True, exist_ok=True)
    GALLERY.mkdir(parents=True, exist_ok=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            result = build(EXAMPLE, out_dir=Path(tmp) / size, formats=["pdf"], page_size=size)
            pdf = next(p for p in result.outputs if p.suffix == ".pdf")
            pages = _pages(pdf)
            for name, number in pages.items():
                spread = 2 if name == "spread" else 1
                ok &= _save(
                    pdf, number, 50, GALLERY / f"{size}-{name}.png", 150_000 * spread, spread
                )
            if size == "a4":
                for name, key in (
                    ("cover", "cover"),
                    ("contents", "contents"),
                    ("article", "opening"),
                ):
                    ok &= _save(pdf, pages[key], 70, README / f"{name}.png", 300_000)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
