"""Small text helpers shared by the stages: slugs and title keys for matching."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, fallback: str = "item") -> str:
    """A `[a-z0-9-]` name, safe as an EPUB file name and an XML id (RSC-020)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug or fallback


def title_key(text: str) -> str:
    """Case- and punctuation-insensitive key for matching titles ("U.S. Troops" == "us troops")."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", "", folded).split())
