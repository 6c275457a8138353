"""Languages: BCP 47 tags checked, their writing direction, and a default from the text's script."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

DEFAULT_LANGUAGE = "en"
# Scripts written right to left (ISO 15924), as langcodes gives a tag's likely script.
RTL_SCRIPTS = {"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Samr", "Mand", "Yezi"}
# The language a text in each script most likely is, when nothing says (Unicode character name
# prefixes). Latin is left out: which of the many Latin-script languages cannot be told from the
# script, so the default stays English.
SCRIPT_LANGUAGES = {
    "ARABIC": "ar",
    "HEBREW": "he",
    "CYRILLIC": "ru",
    "GREEK": "el",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "SINHALA": "si",
    "THAI": "th",
    "LAO": "lo",
    "KHMER": "km",
    "MYANMAR": "my",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "ETHIOPIC": "am",
    "HANGUL": "ko",
    "CJK": "zh",
}
SCRIPT_NAMES = {"CJK": "Chinese, Japanese or Korean", "HANGUL": "Korean"}
# Letters that tell languages sharing a script apart (a share of the script's letters).
_PERSIAN = set("پچژگیک")  # Persian's own letters, and its forms of yeh and kaf.
_ARABIC = set("يكة")  # Arabic's forms of yeh and kaf, and teh marbuta (rare in Persian).
_URDU = set("ٹڈڑںےھ")
_UKRAINIAN = set("іїєґІЇЄҐ")
_KANA = ("HIRAGANA", "KATAKANA")
# Everyday characters whose simplified and traditional forms differ.
_SIMPLIFIED = set("这们个来说会为对时国学发过还动们后样经现开关问门见长东车书")
_TRADITIONAL = set("這們個來說會為對時國學發過還動們後樣經現開關問門見長東車書")


# Words of a Markdown text that are not its language: code, link targets, addresses, tags.
_NOT_PROSE = re.compile(
    r"```.*?```|~~~.*?~~~|`[^`\n]*`|\]\([^)]*\)|<[^>\n]*>|\b(?:https?|mailto):\S+", re.S
)


_PRIMARY = re.compile(r"^(?:[A-Za-z]{2,3}|[A-Za-z]{5,8}|[xXiI])(?:-|$)")


class LanguageTagError(ValueError):
    """A `language` value that is not a BCP 47 tag; the message says why."""


@lru_cache(maxsize=1)
def _babel_locales() -> frozenset[str]:
    from babel.localedata import locale_identifiers

    return frozenset(name.lower() for name in locale_identifiers())


def check_tag(tag: str) -> str:
    """The tag, stripped, when it is a well-formed, registered BCP 47 tag (like "en-GB",
    "zh-Hant-TW", "pt-br"); else LanguageTagError. Tags of locales Babel knows pass at once;
    others are checked against the IANA registry by langcodes (imported only then: 0.1 s)."""
    tag = tag.strip()
    if not tag:
        raise LanguageTagError("is empty")
    if "_" in tag:
        raise LanguageTagError(f"'{tag}' uses '_': BCP 47 separates subtags with '-'")
    if not _PRIMARY.match(tag):  # 4-letter primary subtags ("root") are reserved in BCP 47.
        raise LanguageTagError(f"'{tag}' is not a BCP 47 language tag")
    if tag.replace("-", "_").lower() in _babel_locales():
        return tag
    import langcodes

    if not langcodes.tag_is_valid(tag):
        raise LanguageTagError(f"'{tag}' is not a BCP 47 language tag")
    return tag


@lru_cache(maxsize=64)
def likely_subtags(tag: str) -> tuple[str, str, str]:
    """(language, script, region) of a tag, the missing ones filled in from CLDR's likely
    subtags (Babel's): "ar" → ("ar", "Arab", "EG"), "zh-TW" → ("zh", "Hant", "TW")."""
    from babel.core import get_global

    parts = (tag or DEFAULT_LANGUAGE).replace("_", "-").split("-")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), "")
    region = next(
        (p.upper() for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())), ""
    )
    likely = get_global("likely_subtags")
    keys = [
        f"{language}_{script}_{region}",
        f"{language}_{region}",
        f"{language}_{script}",
        language,
    ]
    found = next(
        (likely[k] for k in keys if "__" not in k and not k.endswith("_") and k in likely), ""
    )
    _, found_script, found_region = (found.split("_") + ["", "", ""])[:3] if found else ("", "", "")
    return language, script or found_script or "Latn", region or found_region


def script_of(tag: str) -> str:
    """The tag's script (ISO 15924), written or likely: "ar" → "Arab", "zh-TW" → "Hant"."""
    return likely_subtags(tag)[1]


def direction(tag: str) -> str:
    """ "rtl" for languages written right to left (ar, fa, he, ur…), else "ltr"."""
    return "rtl" if script_of(tag) in RTL_SCRIPTS else "ltr"


def primary(tag: str) -> str:
    """The primary language subtag, lower case: "pt-BR" → "pt"."""
    return (tag or DEFAULT_LANGUAGE).split("-")[0].lower()


def _script_key(char: str) -> str | None:
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    word = name.split(" ", 1)[0]
    if word in _KANA:
        return "KANA"
    if word in SCRIPT_LANGUAGES or word == "LATIN":
        return word
    return None


def dominant_language(texts: Iterable[str]) -> tuple[str, str] | None:
    """(tag, script name) guessed from the script most letters are written in, or None when that
    is Latin or the text has no letters. Japanese is told by its kana, Persian and Urdu by their
    own letters, Ukrainian by its own, and traditional Chinese by common traditional forms."""
    counts: Counter[str] = Counter()
    letters: Counter[str] = Counter()
    for text in texts:
        letters.update(_NOT_PROSE.sub(" ", text))  # Counted first: each character named once.
    for char, number in list(letters.items()):
        key = _script_key(char) if char.isalpha() else None
        if key is None:
            del letters[char]
        else:
            counts[key] += number
    if not counts:
        return None
    cjk = counts["CJK"] + counts["KANA"] + counts["HANGUL"]
    buckets = {k: v for k, v in counts.items() if k not in {"CJK", "KANA", "HANGUL"}}
    buckets["CJK"] = cjk
    script = max(buckets, key=lambda k: buckets[k])
    if script == "LATIN" or buckets[script] == 0:
        return None
    if script == "CJK":
        if counts["HANGUL"] > counts["CJK"] + counts["KANA"]:
            return "ko", "Korean (Hangul)"
        if counts["KANA"] >= 0.05 * cjk:
            return "ja", "Japanese (kana and kanji)"
        simplified = sum(letters[c] for c in _SIMPLIFIED)
        traditional = sum(letters[c] for c in _TRADITIONAL)
        if traditional > simplified:
            return "zh-Hant", "traditional Chinese (Han)"
        return "zh-Hans", "simplified Chinese (Han)"
    tag = SCRIPT_LANGUAGES[script]
    if script == "ARABIC":
        persian = sum(letters[c] for c in _PERSIAN)
        arabic = sum(letters[c] for c in _ARABIC)
        if sum(letters[c] for c in _URDU) > 0.02 * buckets[script]:
            tag = "ur"
        elif persian > arabic:
            tag = "fa"
    elif script == "CYRILLIC" and sum(letters[c] for c in _UKRAINIAN) > 0.005 * buckets[script]:
        tag = "uk"
    return tag, SCRIPT_NAMES.get(script, script.title())
