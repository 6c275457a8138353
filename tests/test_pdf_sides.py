"""Left and right pages in a PDF laid out in pieces (editions/pdf/sides.py): which themes the
pieces can take, and on which side each issue page falls."""

from __future__ import annotations

import pytest

from masthead.editions.pdf.pieces import NotApplicable
from masthead.editions.pdf.sides import side_of, unsided

SPREAD = """
@page { size: A4; margin: 20mm; }
@page :left { @top-left { content: string(issue); } @bottom-left { content: counter(page); } }
@page :right { @top-right { content: string(title); } @bottom-right { content: counter(page); } }
@page cover { @top-left { content: none; } }
p { color: black; }
"""


def test_a_spread_becomes_every_pages_margin_boxes_with_their_sides() -> None:
    css, sides = unsided(SPREAD)
    assert ":left" not in css and ":right" not in css
    assert "string(issue)" in css and "string(title)" in css and "p { color: black; }" in css
    assert "@page cover" in css
    assert sides == (
        ("bottom-left", "left"),
        ("bottom-right", "right"),
        ("top-left", "left"),
        ("top-right", "right"),
    )


def test_a_stylesheet_without_sides_is_left_alone() -> None:
    css = "@page { margin: 1cm; @bottom-center { content: counter(page); } }"
    assert unsided(css) == (css, ())


@pytest.mark.parametrize(
    ("css", "why"),
    [
        ("@page :left { margin-left: 3cm; }", "more than margin boxes"),
        (
            "@page :left { @top-center { content: 'a'; } }"
            "@page :right { @top-center { content: 'b'; } }",
            "on both sides",
        ),
        (
            "@page { @top-left { content: 'a'; } } @page :left { @top-left { content: 'b'; } }",
            "for every page and for one side",
        ),
    ],
)
def test_sides_that_differ_in_more_than_their_own_margin_boxes_are_refused(
    css: str, why: str
) -> None:
    with pytest.raises(NotApplicable, match=why):
        unsided(css)


def test_the_first_page_is_a_right_page_or_a_left_one_right_to_left() -> None:
    assert [side_of(n, rtl=False) for n in (1, 2, 3)] == ["right", "left", "right"]
    assert [side_of(n, rtl=True) for n in (1, 2, 3)] == ["left", "right", "left"]
