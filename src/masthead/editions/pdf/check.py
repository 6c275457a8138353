"""Checks of a joined PDF before it is written: fonts, text, pages, outline, destinations and
(tagged) the structure's references. A failed check raises Untrusted: the caller lays the PDF
out in one pass instead, and says which check failed. What a check expects comes from the
pieces (their own PDFs and what their layouts recorded), never from the joined file."""

from __future__ import annotations

import array
import io
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from masthead.editions.pdf.pieces import FOLIO_MARK, Laid, Pool, Untrusted


def page_texts(data: bytes, start: int = 0, stop: int | None = None) -> list[str]:
    """Each page's text as PDFium extracts it (what copying and searching give)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        pages = range(len(document))[start:stop]
        return [document[index].get_textpage().get_text_range() for index in pages]
    finally:
        document.close()


@dataclass
class Promise:
    """What the joined PDF must hold, from the pieces."""

    pages: int
    outline: list[tuple[str, int]]  # (title, page index) of each bookmark, in order.
    destinations: dict[str, int]  # Named destination: page index.
    # Each page's characters (see characters); UNMAPPED, for each glyph that may give one.
    texts: list[Counter[str]]
    merged: dict[str, set[int]] = field(default_factory=dict)  # Font: glyphs the join subset.
    tagged: bool = False


# Left out when texts are compared: whitespace (PDFium adds it between words and lines, and
# turns placeholders' figure spaces into it), hyphens (PDFium marks those ending a line as
# \x02 or \ufffe) and control characters.
_UNCOUNTED = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00ad\u2010\u2011\ufffe-]+")


def characters(text: str) -> Counter[str]:
    """The characters of a text that the text check counts."""
    return Counter(_UNCOUNTED.sub("", text))


# Stands for a glyph drawn with ink but without text in its font's Unicode map (the second
# glyph of a cluster, often): PDFium may read a character from the font for it, or none.
UNMAPPED = "\uffff"


def piece_glyphs(data: bytes, fonts: dict[str, Any]) -> list[dict[str, dict[int, int]]]:
    """Each page's glyphs drawn with ink, counted by font (resource name) and glyph id: the
    text check reads them through the Unicode maps the joined PDF has (PDFium reads no text of
    glyphs without ink). Not PDFium's reading of the piece itself: with stubs for fonts, it
    loses characters. `fonts`: resource name: FontUse."""
    import pikepdf

    found = []
    pdf = pikepdf.open(io.BytesIO(data))
    for drawn in _drawn(pdf):
        counts: dict[str, dict[int, int]] = {}
        for key, font in drawn.fonts.items():
            name = str(font.get("/BaseFont", "/")).lstrip("/").split("+")[0]
            use = fonts.get(name)
            if use is not None:
                inked = Counter(g for g in drawn.glyph_list(key) if g not in use.empty)
                counts[name] = dict(Counter(counts.get(name, {})) + inked)
        found.append(counts)
    return found


def check(data: bytes, promise: Promise, pool: Pool, jobs: int = 2) -> None:
    """Raise Untrusted naming the first check the joined PDF fails. PDFium reads the text in
    the pool (in parts, side by side) while the other checks run here."""
    import pikepdf

    step = -(-promise.pages // max(1, jobs))
    parts = [
        pool.submit(page_texts, data, start, start + step)
        for start in range(0, promise.pages, step)
    ]
    pdf = pikepdf.open(io.BytesIO(data))
    pages = _drawn(pdf)
    checks: list[tuple[str, Callable[[], str | None]]] = [
        ("page count", lambda: _pages(pdf, promise)),
        ("fonts", lambda: _fonts(pages, promise)),
        ("text", lambda: _text([t for part in parts for t in part.result()], promise)),
        ("outline", lambda: _outline(pdf, promise)),
        ("named destinations", lambda: _destinations(pdf, promise)),
        ("structure tree", lambda: _structure(pdf, pages) if promise.tagged else None),
    ]
    for name, problem in checks:
        found = problem()
        if found:
            raise Untrusted(f"the joined PDF failed its {name} check ({found})")


def _pages(pdf: Any, promise: Promise) -> str | None:
    if len(pdf.pages) != promise.pages:
        return f"{len(pdf.pages)} pages, the pieces have {promise.pages}"
    return None


def _text(texts: list[str], promise: Promise) -> str | None:
    """Each page's text as PDFium reads it has the characters the pieces drew there, each as
    often (in any order: PDFium orders runs of text as it sees fit)."""
    for index, (text, promised) in enumerate(zip(texts, promise.texts, strict=True)):
        found, expected = characters(text), Counter(promised)
        unmapped = expected.pop(UNMAPPED, 0)
        extra, lost = found - expected, expected - found
        if lost or extra.total() > unmapped:
            what = ", ".join(f"{c!r} {'+' if c in extra else '-'}" for c in [*extra, *lost][:3])
            return f"page {index + 1}: {what}"
    return None


def _outline(pdf: Any, promise: Promise) -> str | None:
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    found: list[tuple[str, int]] = []

    def walk(items: Any) -> None:
        for item in items:
            page = item.destination[0].objgen if item.destination is not None else None
            found.append((item.title, pages.get(page, -1)))
            walk(item.children)

    with pdf.open_outline() as outline:
        walk(outline.root)
    if found == promise.outline:
        return None
    return f"{len(found)} entries, the pieces have {len(promise.outline)}"


def _destinations(pdf: Any, promise: Promise) -> str | None:
    import pikepdf

    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = pdf.Root.get("/Names")
    found: dict[str, int] = {}
    if names is not None and "/Dests" in names:
        for name, destination in pikepdf.NameTree(names.Dests).items():
            found[name] = pages.get(destination[0].objgen, -1)
    if found != promise.destinations:
        wrong = sorted(set(found.items()) ^ set(promise.destinations.items()))
        return f"{wrong[0][0]}" if wrong else "?"
    return None


# What the checks read of a content stream as WeasyPrint writes it: font changes, glyphs
# shown (hex strings in TJ arrays), marked-content ids and forms drawn. A regular expression
# reads it ten times faster than parsing every operator (which is done where a stream holds
# a literal string).
_CONTENT = re.compile(
    rb"/([^\s/\[\]<>(){}%]+)\s+[-\d.]+\s+Tf"
    rb"|\[([^\]()]*)\]\s*TJ"
    rb"|<([0-9a-fA-F]*)>\s*Tj"
    rb"|/MCID\s+(\d+)"
    rb"|/([^\s/\[\]<>(){}%]+)\s+Do\b"
)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


@dataclass
class _Drawn:
    """What one page draws: glyph ids by font dictionary, and its marked contents' MCIDs."""

    fonts: dict[tuple[int, int], Any] = field(default_factory=dict)
    in_forms: set[tuple[int, int]] = field(default_factory=set)  # Fonts of forms (overlays).
    shown: dict[tuple[int, int], list[bytes]] = field(default_factory=dict)  # Hex strings.
    mcids: list[int] = field(default_factory=list)

    def glyph_list(self, key: tuple[int, int]) -> array.array[int]:
        """The glyph ids (two bytes each: WeasyPrint's fonts are Identity-H) shown in a font."""
        raw = array.array("H", bytes.fromhex(b"".join(self.shown[key]).decode()))
        if sys.byteorder == "little":
            raw.byteswap()
        return raw

    def glyphs(self, key: tuple[int, int]) -> set[int]:
        return set(self.glyph_list(key))


def _drawn(pdf: Any) -> list[_Drawn]:
    found = []
    for page in pdf.pages:
        drawn = _Drawn()
        _read(page.obj, page.obj.get("/Resources", {}), drawn, set(), top=True)
        found.append(drawn)
    return found


def _read(owner: Any, resources: Any, drawn: _Drawn, seen: set[Any], top: bool) -> None:
    import pikepdf

    contents = owner.get("/Contents") if top else owner
    streams = [] if contents is None else as_streams(contents)
    data = b"\n".join(stream.read_bytes() for stream in streams)
    if b"(" in data and b")" in data and (b"Tj" in data or b"TJ" in data):
        data = pikepdf.unparse_content_stream(
            [
                (instruction.operands, instruction.operator)
                for instruction in pikepdf.parse_content_stream(owner)
                if isinstance(instruction, pikepdf.ContentStreamInstruction)
                and str(instruction.operator) in ("Tf", "Tj", "TJ", "BDC", "Do")
            ]
        )  # Literal strings rewritten as the hex strings read here.
    fonts = resources.get("/Font", {})
    xobjects = resources.get("/XObject", {})
    font: Any = None
    for found in _CONTENT.finditer(data):
        name, array, single, mcid, form = found.groups()
        if name is not None:
            font = fonts.get("/" + name.decode("latin-1"))
        elif array is not None or single is not None:
            if font is None:
                continue
            drawn.fonts[font.objgen] = font
            if not top:
                drawn.in_forms.add(font.objgen)
            shown = drawn.shown.setdefault(font.objgen, [])
            shown += _HEX.findall(array) if array is not None else [single]
        elif mcid is not None:
            if top:
                drawn.mcids.append(int(mcid))
        else:
            xobject = xobjects.get("/" + form.decode("latin-1"))
            is_form = xobject is not None and xobject.get("/Subtype") == "/Form"
            if is_form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                _read(xobject, xobject.get("/Resources", resources), drawn, seen, top=False)


def as_streams(contents: Any) -> list[Any]:
    import pikepdf

    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def _fonts(pages: list[_Drawn], promise: Promise) -> str | None:
    """Every font program parses (fontTools) and has every glyph drawn with it; a font the
    join subset draws only glyphs it was subset to, each with its outline where it shows
    text (HarfBuzz measures them: far quicker than decompiling charstrings)."""
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    drawn: dict[tuple[int, int], tuple[Any, set[int], bool]] = {}
    for page in pages:
        for key, font in page.fonts.items():
            entry = drawn.setdefault(key, (font, set(), key in page.in_forms))
            entry[1].update(page.glyphs(key))
    for font, glyphs, in_form in drawn.values():
        if font.get("/Subtype") != "/Type0":
            continue  # Bitmap (Type 3) fonts: no font program.
        name = str(font.BaseFont).lstrip("/")
        descriptor = font.DescendantFonts[0].FontDescriptor
        stream = descriptor.get("/FontFile2", descriptor.get("/FontFile3"))
        if stream is None:
            return f"{name} is not embedded"
        data = stream.read_bytes()
        # A CFF program must be declared as one (CIDFontType0, FontFile3) and a TrueType one as
        # TrueType: poppler reports a mismatch and PDFium may draw another font.
        cff = data[:4] == b"OTTO"
        declared = font.DescendantFonts[0].get("/Subtype") == "/CIDFontType0"
        if cff != declared or cff != ("/FontFile3" in descriptor):
            return f"{name} is declared as a font of another kind than its program"
        try:
            program = TTFont(io.BytesIO(data), lazy=True)
            count = program["maxp"].numGlyphs
            program["head"].unitsPerEm  # noqa: B018 (parsed when read)
        except Exception:  # fontTools raises many kinds for a broken font.
            return f"{name} does not parse"
        if glyphs and max(glyphs) >= count:
            return f"{name} lacks glyph {max(glyphs)}"
        merged = None if in_form else promise.merged.get(name.split("+")[0])
        if merged is None:
            continue  # Embedded by WeasyPrint itself (a piece's, or the overlay's).
        if not glyphs <= merged:
            return f"{name} draws glyph {min(glyphs - merged)} the join did not subset"
        measured = hb.Font(hb.Face(hb.Blob(data)))
        texts = _to_unicode(font)
        for gid in sorted(glyphs):
            text = texts.get(gid, "")
            if not text or all(unicodedata.category(c)[0] in "ZC" for c in text):
                continue  # Spaces and format characters draw nothing.
            extents = measured.get_glyph_extents(gid)
            if extents is None or not (extents.width and extents.height):
                return f"{name} glyph {gid} has no outline"
    return None


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _to_unicode(font: Any) -> dict[int, str]:
    """Glyph id: text, from the font's ToUnicode map (as written by WeasyPrint and the join)."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    found: dict[int, str] = {}
    for glyph, text in _BFCHAR.findall(stream.read_bytes()):
        found[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
    return found


def _structure(pdf: Any, pages: list[_Drawn]) -> str | None:
    """Every MCID on a page has its parent tree entry, whose element is on that page and holds
    it; every link annotation's entry holds it back."""
    import pikepdf

    root = pdf.Root.StructTreeRoot
    entries: dict[int, Any] = {}

    def numbers(node: Any) -> None:
        if "/Nums" in node:
            nums = list(node.Nums)
            entries.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
        for kid in node.get("/Kids", ()):
            numbers(kid)

    numbers(root.ParentTree)
    for index, page in enumerate(pdf.pages):
        marked = set(pages[index].mcids)
        entry = entries.get(int(page.obj.get("/StructParents", -1)))
        for mcid in sorted(marked):
            if entry is None or mcid >= len(entry):
                return f"page {index + 1}: MCID {mcid} has no parent tree entry"
            element = entry[mcid]
            if element.get("/Pg") is not None and element.Pg.objgen != page.obj.objgen:
                return f"page {index + 1}: MCID {mcid} belongs to an element of another page"
            if mcid not in _mcids(element):
                return f"page {index + 1}: MCID {mcid}: its element does not hold it"
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" not in annotation:
                continue
            element = entries.get(int(annotation.StructParent))
            kids = _kids(element) if element is not None else []
            if not any(
                isinstance(kid, pikepdf.Dictionary)
                and kid.get("/Type") == "/OBJR"
                and kid.Obj.objgen == annotation.objgen
                for kid in kids
            ):
                return f"page {index + 1}: a link's parent tree entry does not hold it"
    return None


def _kids(element: Any) -> list[Any]:
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _mcids(element: Any) -> set[int]:
    import pikepdf

    found: set[int] = set()
    for kid in _kids(element):
        if isinstance(kid, int):
            found.add(int(kid))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            found.add(int(kid.MCID))
    return found


def promised_characters(
    laid: Sequence[Laid],
    numbers: dict[str, int],
    overlay_texts: Sequence[str],
    merged: dict[str, dict[int, str]],
) -> list[Counter[str]]:
    """Each joined page's characters: its piece's glyphs through the Unicode maps the join
    wrote (`merged`, else the piece's own), the page numbers set in its placeholders and
    folio marks instead of their figure spaces and zeros (see set_numbers), and the overlay's
    text."""
    found: list[Counter[str]] = []
    issue_page = 0
    for part in laid:
        for n in range(part.pages):
            issue_page += 1
            chars: Counter[str] = Counter()
            for name, counts in part.glyphs[n].items():
                use = part.fonts[name]
                maps = merged.get(name, use.to_unicode) if use.mergeable else use.to_unicode
                for gid, count in counts.items():
                    text = _UNCOUNTED.sub("", maps.get(gid, "")) if maps.get(gid) else UNMAPPED
                    for char in text:
                        chars[char] += count
            for place in part.placeholders:
                if place.page == n and place.target in numbers and place.glyphs is not None:
                    chars.update(str(numbers[place.target]))
            for mark in part.folio_marks:
                if mark.page == n:
                    chars.subtract(FOLIO_MARK)
                    chars.update(str(issue_page))
            if overlay_texts:
                chars.update(characters(overlay_texts[issue_page - 1]))
            found.append(+chars)
    return found
