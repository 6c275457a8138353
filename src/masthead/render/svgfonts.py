"""SVG pictures in the house type: where a chart names only a generic family ("sans-serif",
"serif", "monospace"), the theme's face goes first, so its labels match the captions around it."""

from __future__ import annotations

import re

# The default theme's faces for each generic family (pdf/style.css sets the same).
THEME_FAMILIES = {
    "sans-serif": "Inter, sans-serif",
    "serif": "EB Garamond, serif",  # Unquoted names: valid CSS, safe inside any attribute.
    "monospace": "DejaVu Sans Mono, monospace",
}
# font-family="sans-serif" (attribute) or font-family: sans-serif (style), with only a generic.
_GENERIC = re.compile(
    rb"""(font-family\s*(?:=\s*(["'])|:\s*))\s*(sans-serif|serif|monospace)\s*(?=\2|[;"'}])"""
)


def theme_fonts(svg: bytes) -> bytes:
    """`svg` with each generic-only font family led by the theme's face."""

    def swap(match: re.Match[bytes]) -> bytes:
        return match.group(1) + THEME_FAMILIES[match.group(3).decode()].encode()

    return _GENERIC.sub(swap, svg)
