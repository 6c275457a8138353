"""Joining the pieces' pages with pikepdf: fonts, numbers, structure, overlay, destinations,
outline."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

from masthead.editions.pdf.check import Promise, page_texts, promised_characters
from masthead.editions.pdf.fonts import merge_fonts, merged_maps
from masthead.editions.pdf.numbers import set_numbers
from masthead.editions.pdf.output import page_map
from masthead.editions.pdf.pieces import PT, Laid, NotApplicable
from masthead.editions.pdf.structure import merge_structure
from masthead.model import PageStart


def join(
    laid: Sequence[Laid],
    numbers: dict[str, int],
    overlay_pdfs: Sequence[bytes],
    subsets: dict[str, Future[Any]],
    identifier: bytes = b"",
) -> tuple[bytes, int, tuple[PageStart, ...], Promise]:
    """Join the chunks' pages, then stamp folios and page references; rebuild dests, outline.

    `overlay_pdfs` hold one page for each of the issue's pages, in order; `subsets` the font
    programs that replace the pieces' stubs (see merge_fonts). WeasyPrint is not needed here:
    this process leaves it to the workers.
    """
    import pikepdf

    if any(not part.pdf for part in laid):
        raise NotApplicable("a draft layout reached the join")  # Never: see _draft.
    out = pikepdf.open(io.BytesIO(laid[0].pdf))
    sources = [out] + [pikepdf.open(io.BytesIO(part.pdf)) for part in laid[1:]]
    with warnings.catch_warnings():
        # "does not preserve named destinations": the join makes them anew, for the issue.
        warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
        for source in sources[1:]:
            out.pages.extend(source.pages)
    merge_fonts(out, laid, subsets)
    tagged = "/StructTreeRoot" in out.Root
    set_numbers(out, laid, numbers, tagged)
    if tagged:
        merge_structure(out, sources, laid)
    flat = [(part, n) for part in laid for n in range(part.pages)]
    total = len(flat)
    overlays = [pikepdf.open(io.BytesIO(data)) for data in overlay_pdfs]
    overlay_pages = [page for overlay in overlays for page in overlay.pages]
    if overlay_pages and len(overlay_pages) != total:
        raise NotApplicable("the overlay did not give one page per page")
    for index, page in enumerate(out.pages if overlay_pages else ()):
        # As Page.add_overlay, with names of our own: the same input gives the same bytes.
        # (A chunk's pages share one resource dictionary: each page needs its own name.)
        name = f"/MastheadOverlay{index}"
        form = out.copy_foreign(overlay_pages[index].as_form_xobject())
        page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
        page.contents_add(out.make_stream(b"q\n"), prepend=True)
        # Folios are page furniture; a stamped number's words are the ActualText of its
        # placeholder (_actual_text).
        drawn = f"/Artifact BMC q {name} Do Q EMC" if tagged else f"q {name} Do Q"
        page.contents_add(out.make_stream(f"Q\n{drawn}\n".encode()))
    # Named destinations for every anchor (the links between chunks go to them), the outline.
    destinations: list[tuple[str, pikepdf.Array]] = []
    seen: set[str] = set()
    promised: dict[str, int] = {}
    for index, ((part, n), page) in enumerate(zip(flat, out.pages, strict=True)):
        height = part.sizes[n][1]
        for name, (x, y, _, _) in part.anchors[n].items():
            if name not in seen:
                seen.add(name)
                promised[name] = index
                destinations.append(
                    (
                        name,
                        pikepdf.Array([page.obj, pikepdf.Name.XYZ, x * PT, (height - y) * PT, 0]),
                    )
                )
    names = pikepdf.Dictionary()
    tree = pikepdf.NameTree.new(out)
    for name, destination in sorted(destinations):
        tree[name] = destination
    names.Dests = tree.obj
    out.Root.Names = out.make_indirect(names)
    tree_of_marks = bookmark_tree([(part.bookmarks[n], part.sizes[n][1]) for part, n in flat])
    if "/Outlines" in out.Root:
        del out.Root.Outlines
    if tree_of_marks:
        _outline(out, tree_of_marks)
    buffer = io.BytesIO()
    if identifier:
        # As one pass writes it: the identifier first; qpdf keeps it and derives the
        # second from the content.
        out.trailer.ID = pikepdf.Array([pikepdf.String(identifier), pikepdf.String(identifier)])
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources + overlays:
        source.close()
    overlay_texts = [text for data in overlay_pdfs for text in page_texts(data)]
    maps = merged_maps(laid)
    texts = promised_characters(laid, numbers, overlay_texts, maps)
    merged = {name: set(found) for name, found in maps.items()}
    promise = Promise(total, _promised_outline(flat), promised, texts, merged, tagged)
    starts = page_map(
        SimpleNamespace(pages=[SimpleNamespace(anchors=part.anchors[n]) for part, n in flat])
    )
    return buffer.getvalue(), total, starts, promise


def _promised_outline(flat: Sequence[tuple[Laid, int]]) -> list[tuple[str, int]]:
    """(title, page index) of every bookmark the pieces laid out, in order."""
    return [
        (label, index)
        for index, (part, n) in enumerate(flat)
        for _, label, _, _ in part.bookmarks[n]
    ]


def _outline(out: Any, tree: Any) -> None:
    import pikepdf

    def add(items: Any, parent: Any) -> Any:
        made: list[Any] = []
        count = len(items)
        for label, (page, x, y), children, state in items:
            node = out.make_indirect(
                pikepdf.Dictionary(
                    Title=pikepdf.String(label),
                    Dest=pikepdf.Array([out.pages[page].obj, pikepdf.Name.XYZ, x, y, 0]),
                    Parent=parent,
                )
            )
            kids, kids_count = add(children, node)
            node.Count = kids_count if state != "closed" else -kids_count
            if state != "closed":
                count += kids_count
            if made:
                node.Prev = made[-1]
                made[-1].Next = node
            if kids:
                node.First, node.Last = kids[0], kids[-1]
            made.append(node)
        return made, count

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    made, count = add(tree, root)
    root.First, root.Last, root.Count = made[0], made[-1], count
    out.Root.Outlines = root


def bookmark_tree(pages: Sequence[tuple[list, float]]) -> list:  # type: ignore[type-arg]
    """The outline from each page's bookmarks and height (CSS px), as WeasyPrint's
    Document.make_bookmark_tree(PT, transform_pages=True) makes it, without importing it here:
    subtrees of (label, (page, x, y), children, state), in PDF points from the bottom left."""
    root: list = []  # type: ignore[type-arg]
    # For each output depth, how many source levels were skipped to reach it (h1 then h3).
    skipped: list[int] = []
    last_by_depth = [root]
    previous = 0
    for number, (marks, height) in enumerate(pages):
        for level, label, (x, y), state in marks:
            if level > previous:
                skipped.append(level - previous - 1)
            else:
                temp = level
                while temp < previous:
                    temp += 1 + skipped.pop()
                if temp > previous:
                    skipped.append(temp - previous - 1)
            previous = level
            depth = level - sum(skipped)
            children: list = []  # type: ignore[type-arg]
            last_by_depth[depth - 1].append(
                (label, (number, x * PT, (height - y) * PT), children, state)
            )
            del last_by_depth[depth:]
            last_by_depth.append(children)
    return root
