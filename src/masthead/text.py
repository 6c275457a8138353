"""Small text helpers shared by the stages: slugs and title keys for matching."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile("['\u2019\u02bc]")


def slugify(text: str, fallback: str = "item") -> str:
    """A `[a-z0-9-]` name, safe as an EPUB file name and an XML id (RSC-020). Other scripts are
    transliterated: "Café" → "cafe", "Новости" → "novosti", "東京" → "dongjing"."""
    # Apostrophes join a word ("what’s" → "whats"), as before transliteration came in.
    ascii_text = anyascii(_APOSTROPHES.sub("", unicodedata.normalize("NFC", text)))
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug or fallback


def title_key(text: str) -> str:
    """Case- and punctuation-insensitive key for matching titles ("U.S. Troops" == "us troops")."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", "", folded).split())


# Characters of scripts written without spaces between words (Han, kana, Thai…): about two of
# them make a word of reading time.
_UNSPACED = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
    "\u1000-\u109f\u1780-\u17ff]"
)


def count_words(text: str) -> int:
    """Words of a text for its reading time: spaced words, plus one for every two characters of
    scripts written without spaces (Chinese, Japanese, Thai…)."""
    unspaced = len(_UNSPACED.findall(text))
    spaced = len(_UNSPACED.sub(" ", text).split())
    return spaced + (unspaced + 1) // 2
