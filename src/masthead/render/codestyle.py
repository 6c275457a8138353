"""Colours for highlighted code (the classes compose/blocks.py puts on Pygments tokens): a
print-safe palette (dark inks that hold up in greyscale, no backgrounds) for the PDF and the
EPUB's day mode, and a palette for light text on a dark page where the reader asks for one."""

from __future__ import annotations

import functools

from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.token import (
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Token,
)


class PrintStyle(Style):  # type: ignore[misc]
    """Dark, distinct inks on paper; comments in italic grey."""

    background_color = ""
    styles = {
        Token: "",
        Comment: "italic #6b6b6b",
        Comment.Preproc: "noitalic #7a3e00",
        Keyword: "#1d4d8f",
        Keyword.Type: "#6a2c8f",
        Operator.Word: "#1d4d8f",
        Name.Builtin: "#6a2c8f",
        Name.Function: "#7a3e00",
        Name.Class: "#7a3e00",
        Name.Decorator: "#7a3e00",
        Name.Tag: "#1d4d8f",
        Name.Attribute: "#7a3e00",
        Name.Namespace: "#3d3d3d",
        String: "#2b6a1e",
        String.Escape: "#7a3e00",
        Number: "#8a2f00",
        Generic.Deleted: "#a11d1d",
        Generic.Inserted: "#22661a",
        Generic.Heading: "bold",
        Generic.Subheading: "bold",
        Generic.Emph: "italic",
        Generic.Strong: "bold",
        Generic.Prompt: "#6b6b6b",
        Error: "#a11d1d",
    }


class NightStyle(Style):  # type: ignore[misc]
    """Light inks for a dark page."""

    background_color = ""
    styles = {
        Token: "",
        Comment: "italic #9a9a9a",
        Comment.Preproc: "noitalic #e0b36a",
        Keyword: "#8ab4f8",
        Keyword.Type: "#d7a6f5",
        Operator.Word: "#8ab4f8",
        Name.Builtin: "#d7a6f5",
        Name.Function: "#e0b36a",
        Name.Class: "#e0b36a",
        Name.Decorator: "#e0b36a",
        Name.Tag: "#8ab4f8",
        Name.Attribute: "#e0b36a",
        String: "#9fd68c",
        String.Escape: "#e0b36a",
        Number: "#f2a27a",
        Generic.Deleted: "#f28b82",
        Generic.Inserted: "#9fd68c",
        Error: "#f28b82",
    }


@functools.cache
def code_css(scope: str = "pre") -> str:
    """The print palette's rules, each under `scope`."""
    return "\n".join(HtmlFormatter(style=PrintStyle).get_token_style_defs(scope))


@functools.cache
def night_code_css(scope: str = "pre") -> str:
    return "\n".join(HtmlFormatter(style=NightStyle).get_token_style_defs(scope))
