"""Left and right pages in pieces: a piece does not know on which side its pages fall until the
pieces before it are laid out, so its `@page :left` and `@page :right` margin boxes are laid
out on every page, and the overlay keeps each on the pages of its side (see Folio.side).

That is only the same as one pass when the two sides differ by margin boxes alone, in
different places: the page area, and so the flow of the text, is then the same on both."""

from __future__ import annotations

import re

import tinycss2

from masthead.editions.pdf.pieces import NotApplicable

Sides = tuple[tuple[str, str], ...]  # (margin box at-keyword, "left" or "right")

_SIDE = re.compile(r"^\s*:(left|right)\s*$", re.I)


def unsided(css: str) -> tuple[str, Sides]:
    """The stylesheet with each `@page :left`/`:right` rule made a plain `@page` rule, and
    which side each of their margin boxes belongs to. Unchanged (and no sides) without them;
    raises NotApplicable where the sides differ in more than margin boxes in places of their
    own."""
    if not re.search(r"@page[^{]*:(left|right)", css, re.I):
        return css, ()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    sides: dict[str, str] = {}
    plain_boxes: set[str] = set()  # Margin boxes of `@page { }` rules without a name.
    out: list[str] = []
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "page" or rule.content is None:
            out.append(rule.serialize())
            continue
        prelude = tinycss2.serialize(rule.prelude).strip()
        side = _SIDE.match(prelude)
        boxes = _margin_boxes(rule, sided=side is not None)
        if side is None:
            if not prelude:
                plain_boxes |= set(boxes)
            out.append(rule.serialize())
            continue
        for keyword in boxes:
            if sides.get(keyword, side.group(1).lower()) != side.group(1).lower():
                raise NotApplicable(f"@{keyword} is on both sides of the page")
            sides[keyword] = side.group(1).lower()
        out.append("@page {" + tinycss2.serialize(rule.content) + "}")
    if plain_boxes & set(sides):
        # Which of the two wins would depend on the side's specificity: not in pieces.
        raise NotApplicable("a margin box set for every page and for one side")
    return "\n".join(out), tuple(sorted(sides.items()))


def _margin_boxes(rule: tinycss2.ast.AtRule, sided: bool) -> list[str]:
    """The margin boxes a page rule styles; in a side's rule, nothing else may be set."""
    found: list[str] = []
    for item in tinycss2.parse_blocks_contents(rule.content, True, True):
        if item.type == "at-rule":
            found.append(item.lower_at_keyword)
        elif sided:
            raise NotApplicable("the left and right pages differ in more than margin boxes")
    return found


def side_of(page: int, rtl: bool) -> str:
    """Which side the issue's page `page` (1-based) falls on: the first is a right page, or a
    left one when pages progress right to left."""
    first, other = ("left", "right") if rtl else ("right", "left")
    return first if page % 2 == 1 else other
