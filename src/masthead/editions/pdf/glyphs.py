"""Characters no installed font can draw: one warning per font and script, not one per character.

WeasyPrint logs ".notdef glyph rendered for Unicode string unsupported by fonts" for every
missing character it draws (364 lines for 12 pages of Japanese without a CJK font). The filter
below adds the font the theme asked for to each such record, and `glyph_warnings` folds them into
one warning per font and script with the count and the first place in the issue's files.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from fontTools import unicodedata as font_unicodedata

from masthead.model import BuildWarning, Issue

NOTDEF = re.compile(
    r'^\.notdef glyph rendered for Unicode string unsupported by fonts: "(.+)" '
    r"\(U\+([0-9A-F]+)\)(?: \[font: (.*)\])?$",
    re.S,
)
_EXAMPLES = 3  # Characters quoted in a warning.


class FontOfMissingGlyph(logging.Filter):
    """Adds "[font: …]" (the first family the style asked for) to WeasyPrint's missing-glyph
    records: WeasyPrint draws the text box that lacks the glyph in the frame that logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(".notdef glyph") or "[font:" in str(record.msg):
            return True
        frame = sys._getframe(1)
        for _ in range(12):
            if frame is None:
                break
            textbox = frame.f_locals.get("textbox")
            if textbox is not None:
                try:
                    family = str(textbox.style["font_family"][0])
                except (AttributeError, KeyError, IndexError, TypeError):
                    break
                record.msg = f"{record.msg} [font: %s]"
                record.args = (*(record.args or ()), family)
                break
            frame = frame.f_back  # type: ignore[assignment]
        return True


def glyph_warnings(messages: Iterable[str], issue: Issue) -> list[BuildWarning]:
    """WeasyPrint's warnings as build warnings, in order and each once; its missing-glyph
    warnings folded into one per font and script ("12 Toto characters (3 different) have no
    glyph in EB Garamond or any installed font; first at x.md:4")."""
    others: dict[str, None] = {}
    missing: dict[tuple[str, str], Counter[str]] = {}
    for message in messages:
        match = NOTDEF.match(message)
        if match is None:
            others.setdefault(message)
            continue
        char = chr(int(match.group(2), 16))
        key = (match.group(3) or "", _script(char))
        missing.setdefault(key, Counter())[char] += 1
    warnings = [BuildWarning(f"PDF: {m}", issue.source) for m in others]
    for (font, script), chars in missing.items():
        path, line = _first_place(issue, set(chars))
        shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in list(chars)[:_EXAMPLES])
        more = ", …" if len(chars) > _EXAMPLES else ""
        count = sum(chars.values())
        font_words = f'"{font}" or any installed font' if font else "any installed font"
        warnings.append(
            BuildWarning(
                f"PDF: {count} {script} character{'s' * (count != 1)} "
                f"({len(chars)} different: {shown}{more}) printed as boxes: no glyph in "
                f"{font_words}; install a font for {script} (setup.sh installs the Noto fonts)",
                path,
                line,
            )
        )
    return warnings


def _script(char: str) -> str:
    name = font_unicodedata.script_name(font_unicodedata.script(char), default="")
    return name if name and name != "Unknown" else "unassigned"


def _first_place(issue: Issue, chars: set[str]) -> tuple[Path, int | None]:
    """The first article file (in reading order) holding one of the characters, and its line;
    else the issue's folder."""
    for article in issue.articles:
        try:
            text = article.source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        hits = [i for i in (text.find(c) for c in chars) if i >= 0]
        if hits:
            return article.source, text.count("\n", 0, min(hits)) + 1
    return issue.source, None
