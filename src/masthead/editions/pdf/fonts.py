"""Fonts of the joined PDF: each font subset once for the whole issue, in place of the stubs
the pieces embed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from masthead.editions.pdf.pieces import VERSION, EmbeddedFont, FontUse, Laid, NotApplicable, Pool

# Tables WeasyPrint drops from its subsets: layout tables (the PDF holds glyphs, already
# shaped) and bitmaps.
_DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT")


def subset_font(
    data: bytes, index: int, glyphs: Sequence[int], notdef: bool = False, hinting: bool = False
) -> bytes | None:
    """The font (face `index` of a file or collection) subset to these glyph ids, which keep
    their numbers (the pages draw by glyph id); as WeasyPrint 70 makes its subsets, with
    HarfBuzz's hb-subset, but through uharfbuzz rather than WeasyPrint's private bindings.
    One pass subsets through here too (weasy.embedding_fonts): the same HarfBuzz gives the
    same outlines. `notdef`: keep the .notdef box's outline. None when HarfBuzz cannot."""
    import uharfbuzz as hb

    if not glyphs:
        return None
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if notdef:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    try:
        face = hb.Face(hb.Blob(data), index)
        # First the glyphs, in place; then the empty ones after the last used are cut off.
        first = hb.SubsetInput()
        first.glyph_set.update(glyphs)
        first.flags = flags | hb.SubsetFlags.RETAIN_GIDS
        first.drop_table_tag_set.update(_tag(name) for name in (*_DROP_TABLES, "SVG "))
        kept = hb.subset(face, first)
        second = hb.SubsetInput()
        second.glyph_set.add_range(0, max(glyphs))
        second.flags = flags if hinting else flags | hb.SubsetFlags.NO_HINTING
        return hb.subset(kept, second).blob.data or None
    except (RuntimeError, ValueError):
        return None


_SENT: set[str] = set()  # Font files this process has already sent with a piece...
_SENT_IN: list[str] = [""]  # ...in this build.


# By (id of the font data, index): HarfBuzz's font at its own scale, units per em, the data
# (kept, so that its id stays its own).
_ADVANCES: dict[tuple[int, int], tuple[Any, int, bytes]] = {}


def unit_width(data: bytes, index: int, glyph: int) -> int:
    """A glyph's advance in thousandths of an em, from the font's own metrics: the same at
    every size (Pango's, measured at the size a glyph is first drawn at, differ by a unit
    from one size to another)."""
    import uharfbuzz as hb

    key = (id(data), index)
    if key not in _ADVANCES:
        if len(_ADVANCES) > 64:
            _ADVANCES.clear()
        face = hb.Face(hb.Blob(data), index)
        _ADVANCES[key] = (hb.Font(face), face.upem, data)
    font, upem, _ = _ADVANCES[key]
    return int(round(font.get_glyph_h_advance(glyph) * 1000 / upem))


def sending_for(build: str) -> None:
    """Pieces send each font file once per build (`build`: its id), not once ever: a process
    (this one, or a worker kept for several builds) forgets what it sent for another build."""
    if _SENT_IN[0] != build:
        _SENT.clear()
        _SENT_IN[0] = build


def record(laid: Laid, font: EmbeddedFont) -> None:
    """Note a font a piece embeds (see FontUse); several sizes of one face are one use.

    Only a plain outline font, all of whose glyphs were found, is subset by the join for the
    whole issue. WeasyPrint embeds the others itself, each as it does in one pass: fonts with
    .notdef boxes for missing glyphs (their glyph ids are made up, beyond the font's), bitmap,
    colour (emoji: WeasyPrint draws their images and empties their outlines) and variable
    fonts, and fonts used in forms.
    """
    digest = hashlib.sha256(font.data).hexdigest()
    use = laid.fonts.get(font.name)
    mergeable = font.plain
    to_unicode, widths = dict(font.to_unicode), dict(font.widths)
    if use is not None:
        mergeable = mergeable and use.mergeable and use.digest == digest
        # The first text a glyph was drawn for is its text, as in one pass.
        to_unicode, widths = to_unicode | use.to_unicode, widest(use.widths, widths)
    empty = _empty(font) | (use.empty if use is not None else frozenset())
    laid.fonts[font.name] = FontUse(digest, font.index, to_unicode, widths, mergeable, empty)
    laid.notdef = laid.notdef or font.notdef
    if mergeable and digest not in _SENT:
        laid.font_files[digest] = font.data
        _SENT.add(digest)


def _empty(font: EmbeddedFont) -> frozenset[int]:
    """The glyphs drawn in this font that have no outline (spaces; a colour font's, which
    WeasyPrint empties and draws as images)."""
    import uharfbuzz as hb

    if font.colour:
        return frozenset(font.to_unicode)
    if not font.plain:
        return frozenset()
    measured = hb.Font(hb.Face(hb.Blob(font.data), font.index))
    empty = set()
    for gid in font.to_unicode:
        extents = measured.get_glyph_extents(gid)
        if extents is None or not (extents.width and extents.height):
            empty.add(gid)
    return frozenset(empty)


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("latin-1"), "big")


def unsubset_fonts(
    laid: Sequence[Laid],
    sent: dict[str, bytes],
    cache_dir: Path | None,
    cache_files: dict[Path, bytes],
) -> dict[str, bytes]:
    """The unsubset font files the join needs, from the workers or from beside the cache."""
    found: dict[str, bytes] = {}
    for digest in {use.digest for part in laid for use in part.fonts.values() if use.mergeable}:
        file = cache_dir / f"font-{digest}.bin" if cache_dir is not None else None
        if digest in sent:
            found[digest] = sent[digest]
            if file is not None and not file.exists():
                cache_files[file] = sent[digest]
        elif file is not None and file.is_file():
            found[digest] = file.read_bytes()
    return found


class Subsets(dict):  # type: ignore[type-arg]
    """Font name: its subset (a Future); the cache keys of the subsets used, and the cache
    files of those made in this build (font name: file)."""

    keys_used: set[str]
    new_files: dict[str, Path]

    def to_cache(self, cache_files: dict[Path, bytes]) -> None:
        for name, file in self.new_files.items():
            data = self[name].result()
            if data is not None:
                cache_files[file] = data


def merged_maps(laid: Sequence[Laid]) -> dict[str, dict[int, str]]:
    """The Unicode map the join writes for each font it subsets for the issue: a glyph's
    text is the first the issue drew it for, as in one pass."""
    maps: dict[str, dict[int, str]] = {}
    for name, found in _mergeable_uses(laid).items():
        merged: dict[int, str] = {}
        for use in found:
            merged = use.to_unicode | merged
        maps[name] = merged
    return maps


def widest(*found: dict[int, float]) -> dict[int, float]:
    """Widths of a glyph measured by several font objects of one resource (which round apart
    by a unit): the widest, whatever their order, in one pass (weasy.embedding_fonts) as in a
    piece. One font object measures a glyph once, at the size it is first drawn: across
    pieces, the first piece's width is kept (merge_fonts), as one pass keeps it."""
    widths: dict[int, float] = {}
    for each in found:
        for gid, width in each.items():
            widths[gid] = max(width, widths.get(gid, width))
    return widths


def _mergeable_uses(laid: Sequence[Laid]) -> dict[str, list[FontUse]]:
    """Each font's uses by the pieces that left it to the join (see record)."""
    uses: dict[str, list[FontUse]] = {}
    for part in laid:
        for name, use in part.fonts.items():
            if use.mergeable:
                uses.setdefault(name, []).append(use)
    return uses


def start_subsets(
    laid: Sequence[Laid], files: dict[str, bytes], pool: Pool, cache_dir: Path | None = None
) -> Subsets:
    """Subset each mergeable font to the glyphs of every chunk that left it to the join; each
    subset is cached by its font file and glyphs (an edit seldom brings a new glyph)."""
    jobs = Subsets()
    jobs.keys_used, jobs.new_files = set(), {}
    for name, found in _mergeable_uses(laid).items():
        if len({u.digest for u in found}) != 1:
            continue  # merge_fonts says why.
        to_unicode: dict[int, str] = {}
        for use in found:
            to_unicode = use.to_unicode | to_unicode  # The first piece's text wins.
        key = hashlib.sha256(
            f"{VERSION}\0{found[0].digest}\0{found[0].index}\0{sorted(to_unicode.items())}".encode()
        ).hexdigest()[:32]
        file = cache_dir / f"subset-{key}.bin" if cache_dir is not None else None
        if file is not None and file.is_file():
            done: Future[bytes | None] = Future()
            done.set_result(file.read_bytes())
            jobs[name] = done
            jobs.keys_used.add(key)
            continue
        data = files.get(found[0].digest)
        if data is None:
            continue
        jobs[name] = pool.submit(subset_font, data, found[0].index, sorted(to_unicode))
        if file is not None:
            jobs.keys_used.add(key)
            jobs.new_files[name] = file
    return jobs


def merge_fonts(out: Any, laid: Sequence[Laid], subsets: dict[str, Future[Any]]) -> None:
    """One subset of each font for the whole issue, instead of one in every chunk.

    WeasyPrint keeps glyph ids when it subsets, so every chunk's text can use a subset made
    from the font file for the glyphs of all chunks. The chunks that left a font to the join
    embed only a stub of it (see record); the subset replaces the stub in those chunks' font
    resources, and only there: a chunk that embedded the font itself keeps its own.
    """
    holders = _font_resources(out, laid)
    for name, found in _mergeable_uses(laid).items():
        key = f"/{name}"
        mine = [
            fonts
            for part, fonts_of_part in zip(laid, holders, strict=True)
            if part.fonts.get(name) is not None and part.fonts[name].mergeable
            for fonts in fonts_of_part
            if key in fonts
        ]
        if not mine:
            continue
        if len({use.digest for use in found}) != 1:
            raise NotApplicable(f"font {name} is not one font file in every piece")
        to_unicode: dict[int, str] = {}
        widths: dict[int, float] = {}
        for use in found:
            to_unicode = use.to_unicode | to_unicode  # The first piece's text wins.
            widths = use.widths | widths  # First drawn, first kept: as one pass measures.
        program = subsets[name].result() if name in subsets else None
        if program is None or not widths:
            # The pieces only hold a stub of this font: without it there is no PDF to make.
            raise NotApplicable(f"font {name} could not be subset")
        merged = _font_object(out, mine[0][key], program, to_unicode, widths)
        for fonts in mine:
            fonts[key] = merged


def _font_resources(out: Any, laid: Sequence[Laid]) -> list[list[Any]]:
    """The font resource dictionaries of each piece's pages (each piece's are its own)."""
    found: list[list[Any]] = []
    pages = iter(out.pages)
    for part in laid:
        seen: dict[Any, Any] = {}
        for number in range(part.pages):
            fonts = next(pages).obj.get("/Resources", {}).get("/Font")
            if fonts is not None:
                seen.setdefault(fonts.objgen if fonts.is_indirect else number, fonts)
        found.append(list(seen.values()))
    return found


def _font_object(
    out: Any, template: Any, program: bytes, to_unicode: dict[int, str], widths: dict[int, float]
) -> Any:
    """The piece's font dictionary with this font program, widths and Unicode map."""
    import pikepdf

    descendant = template.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    # The kind of font comes from the program itself, not from the piece: a piece may declare a
    # CFF font of a collection (.ttc, like Noto CJK) as TrueType, which poppler and PDFium refuse.
    otf = program[:4] == b"OTTO"
    stream = out.make_stream(program)
    if otf:
        stream.Subtype = pikepdf.Name.OpenType
    else:
        stream.Length1 = len(program)
    new_descriptor = pikepdf.Dictionary(
        {k: v for k, v in descriptor.items() if k not in ("/FontFile2", "/FontFile3")}
    )
    new_descriptor["/FontFile3" if otf else "/FontFile2"] = stream
    box = [float(v) for v in descriptor.FontBBox]
    new_descriptor.FontBBox = [box[0], box[1], max(widths.values()), box[3]]
    new_descendant = pikepdf.Dictionary({k: v for k, v in descendant.items()})
    new_descendant.Subtype = pikepdf.Name.CIDFontType0 if otf else pikepdf.Name.CIDFontType2
    new_descendant.W = _widths_array(widths)
    new_descendant.FontDescriptor = out.make_indirect(new_descriptor)
    new_font = pikepdf.Dictionary({k: v for k, v in template.items()})
    new_font.DescendantFonts = [out.make_indirect(new_descendant)]
    new_font.ToUnicode = out.make_stream(_to_unicode_cmap(to_unicode))
    return out.make_indirect(new_font)


def _widths_array(widths: dict[int, float]) -> list:  # type: ignore[type-arg]
    """A CIDFont /W array, as WeasyPrint writes it: runs of consecutive glyph ids."""
    array: list = []  # type: ignore[type-arg]
    for gid in sorted(widths):
        if gid - 1 not in widths:
            array += [gid, []]
        array[-1].append(round(widths[gid], 3))
    return array


def _to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        "<< /Registry (Adobe)",
        "/Ordering (UCS)",
        "/Supplement 0",
        ">> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <ffff>",
        "endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        for glyph, text in batch:
            lines.append(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()
