"""Writing systems in the theme: font stacks that reach every script, and Latin names kept whole
inside right-to-left text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from masthead.language import script_of

# Debian's Noto families (fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji; setup.sh):
# after the theme's own face, one face per script, so that Pango takes each script's letters
# from a face drawn for it (a serif for the serif text) and never prints a .notdef box.
SERIF_SCRIPTS = (
    "Noto Serif",  # Latin, Greek and Cyrillic letters EB Garamond lacks.
    "Noto Naskh Arabic",
    "Noto Serif Hebrew",
    "Noto Serif Devanagari",
    "Noto Serif Bengali",
    "Noto Serif Tamil",
    "Noto Serif Telugu",
    "Noto Serif Kannada",
    "Noto Serif Malayalam",
    "Noto Serif Gujarati",
    "Noto Serif Gurmukhi",
    "Noto Serif Sinhala",
    "Noto Serif Thai",
    "Noto Serif Lao",
    "Noto Serif Khmer",
    "Noto Serif Myanmar",
    "Noto Serif Georgian",
    "Noto Serif Armenian",
    "Noto Serif Ethiopic",
)
SANS_SCRIPTS = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Tamil",
    "Noto Sans Telugu",
    "Noto Sans Kannada",
    "Noto Sans Malayalam",
    "Noto Sans Gujarati",
    "Noto Sans Gurmukhi",
    "Noto Sans Sinhala",
    "Noto Sans Thai",
    "Noto Sans Lao",
    "Noto Sans Khmer",
    "Noto Sans Myanmar",
    "Noto Sans Georgian",
    "Noto Sans Armenian",
    "Noto Sans Ethiopic",
)
# Not "Noto Color Emoji": named in a stack it draws the digits of margin boxes as pictures
# (WeasyPrint 70, Pango 1.50); unnamed, fontconfig still finds it for emoji.
# Noto CJK comes in one design per region: Han characters take the forms the language expects.
CJK_REGIONS = {"Jpan": "JP", "Hans": "SC", "Hant": "TC", "Kore": "KR"}


def _quoted(families: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in families)


def font_stacks(tag: str) -> dict[str, str]:
    """CSS font-family lists for the theme's serif, sans and mono faces in a language: the
    theme's face first (its Latin), then the language's script, then every other script."""
    script = script_of(tag)
    region = CJK_REGIONS.get(script, "JP")
    if script == "Hant" and tag.lower().endswith("-hk"):
        region = "HK"
    serif = ["EB Garamond", *SERIF_SCRIPTS, f"Noto Serif CJK {region}"]
    sans = ["Inter", *SANS_SCRIPTS, f"Noto Sans CJK {region}"]
    mono = ["DejaVu Sans Mono", f"Noto Sans Mono CJK {region}", *SANS_SCRIPTS[1:]]
    if script in CJK_REGIONS:  # Its punctuation and spaces from the CJK face, not Noto Serif.
        serif.insert(1, serif.pop())
        sans.insert(1, sans.pop())
    return {
        "serif": f"{_quoted(serif)}, serif",
        "sans": f"{_quoted(sans)}, sans-serif",
        "mono": f"{_quoted(mono)}, monospace",
    }


# A run of Latin words (with the dots, slashes and hyphens of names like "Node.js" or
# "nodejs/node"), not ending in punctuation: what a right-to-left sentence must keep whole.
_WORD = r"[A-Za-z\u00C0-\u024F](?:[A-Za-z0-9\u00C0-\u024F_+#@'’-]|[./:](?=[A-Za-z0-9]))*"
LATIN_RUN = re.compile(rf"{_WORD}(?:[ \u00a0]+{_WORD})*")
_TOKENS = re.compile(r"(<[^>]*>|&#?\w+;)")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w:-]*)")
# Inside these the text is left alone: code reads left to right already, bdi is isolated.
_KEEP = {"code", "pre", "kbd", "samp", "var", "bdi", "bdo", "math", "svg", "script", "style"}


_LTR_CODE = re.compile(r"^<(pre|code)(?=[\s>])(?![^>]*\sdir=)")


def isolate_latin(markup: str) -> str:
    """Wrap each run of Latin words in the (X)HTML text in `<bdi>`, so that in a right-to-left
    paragraph a name reads as written ("Node.js 20", "README.md"): browsers and e-readers
    isolate a bdi (Unicode bidi), and WeasyPrint lays each inline box out on its own. Code
    (`pre`, `code`) gets dir="ltr"."""
    out: list[str] = []
    kept = 0
    for token in _TOKENS.split(markup):
        if not token:
            continue
        if token.startswith("<"):
            match = _TAG_NAME.match(token)
            name = match.group(1).lower() if match else ""
            if name in _KEEP and not token.endswith("/>"):
                kept += -1 if token.startswith("</") else 1
            out.append(_LTR_CODE.sub(r'<\1 dir="ltr"', token))
        elif token.startswith("&") or kept > 0:
            out.append(token)
        else:
            out.append(LATIN_RUN.sub(lambda m: f"<bdi>{m.group(0)}</bdi>", token))
    return "".join(out)


def isolate_text(text: str, direction: str) -> Markup:
    """Plain text escaped for a template, its Latin runs isolated when it is set right to left
    (a Jinja filter: `{{ article.title | bidi(place.dir) }}`)."""
    escaped = str(escape(text))
    return Markup(isolate_latin(escaped) if direction == "rtl" else escaped)
