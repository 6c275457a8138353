"""The joined PDF's structure tree (tagged PDF/UA-1), merged from the pieces' trees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from masthead.editions.pdf.pieces import Laid, NotApplicable


def merge_structure(out: Any, sources: Sequence[Any], laid: Sequence[Laid]) -> None:
    """One structure tree for the joined pages, from the pieces' trees.

    WeasyPrint tags page by page: its Document element holds each page's elements in page
    order, and its parent tree maps page i (StructParents i) to the elements of the page's
    marked content, and keys from the page count on to the link annotations. So the join
    appends each later piece's elements to the first piece's Document, and renumbers the
    parent tree: pages by their place in the issue, annotations after the last page.
    """
    import pikepdf

    root = out.Root.StructTreeRoot
    document = _only(root.K)
    if document.get("/S") != pikepdf.Name.Document:
        raise NotApplicable("a structure tree not made by WeasyPrint")
    kids = list(as_list(document.K))
    total = sum(part.pages for part in laid)
    pages: list[tuple[int, Any]] = []
    annotations: list[tuple[Any, Any]] = []  # (annotation, element), in the order.
    first_page = 0
    for index, (source, part) in enumerate(zip(sources, laid, strict=True)):
        tree = source.Root.StructTreeRoot
        entries = _number_tree(tree.ParentTree)
        if index:
            piece = _only(tree.K)
            elements = list(as_list(piece.K))
            for element in elements:
                del element.P  # Else the copy would bring the piece's tree root along.
            if part.table_headers:
                _prefix_ids(elements, f"p{index}-")
            kids += [out.copy_foreign(element) for element in elements]

        def copy(value: Any, index: Any = index) -> Any:
            if index == 0:
                return value
            if isinstance(value, pikepdf.Array):
                return pikepdf.Array([out.copy_foreign(item) for item in value])
            return out.copy_foreign(value)

        for key, value in sorted(entries.items()):
            if key < part.pages:
                pages.append((first_page + key, copy(value)))
        for key, value in sorted(entries.items()):
            if key >= part.pages:
                annotation = _annotation_of(value)
                if annotation is None:
                    raise NotApplicable("a parent tree entry that is no link annotation")
                annotations.append((copy(annotation), copy(value)))
        first_page += part.pages
    for element in kids[len(as_list(document.K)) :]:
        element.P = document
    document.K = pikepdf.Array(kids)
    for number, page in enumerate(out.pages):
        page.obj.StructParents = number
    nums: list[Any] = []
    for key, value in pages:
        nums += [key, value]
    for offset, (annotation, element) in enumerate(annotations):
        annotation.StructParent = total + offset
        nums += [total + offset, element]
    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    root.ParentTreeNextKey = total + len(annotations)


def _only(value: Any) -> Any:
    items = as_list(value)
    if len(items) != 1:
        raise NotApplicable("a structure tree root with other than one Document")
    return items[0]


def as_list(value: Any) -> list:  # type: ignore[type-arg]
    import pikepdf

    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _number_tree(node: Any) -> dict[int, Any]:
    found: dict[int, Any] = {}
    if "/Nums" in node:
        nums = list(node.Nums)
        found.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
    for kid in node.get("/Kids", ()):
        found.update(_number_tree(kid))
    return found


def _annotation_of(element: Any) -> Any:
    """The link annotation a Link element's object reference points to."""
    for kid in as_list(element.get("/K", [])):
        if isinstance(kid, int) or not hasattr(kid, "get"):
            continue
        if kid.get("/Type") == "/OBJR":
            return kid.Obj
    return None


def _prefix_ids(elements: Sequence[Any], prefix: str) -> None:
    """Table header ids are unique within a piece only (WeasyPrint numbers them by object)."""
    import pikepdf

    stack = list(elements)
    while stack:
        element = stack.pop()
        if not hasattr(element, "get"):
            continue
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        attributes = element.get("/A")
        if attributes is not None and hasattr(attributes, "get") and "/Headers" in attributes:
            attributes.Headers = pikepdf.Array(
                [pikepdf.String(prefix + str(h)) for h in attributes.Headers]
            )
        stack += [k for k in as_list(element.get("/K", [])) if hasattr(k, "get")]
