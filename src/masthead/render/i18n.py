"""The editions' own words in the issue's language: gettext catalogues, numbers and fonts.

Labels ("In this issue", "By", "p.") come from `locale/<locale>/LC_MESSAGES/masthead.po`, read
with Babel and compiled in memory the first time a build needs one (no build step, nothing to
keep in step: the .po files are the catalogue). A publication's `[labels]` table overrides any
label by its key (settings.LABELS).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from masthead.language import likely_subtags, primary
from masthead.settings import LABELS

DOMAIN = "masthead"
# CSS counter styles for the digits a locale writes numbers with (Babel's numbering systems),
# so that page numbers in the PDF match the text's numbers.
COUNTER_STYLES = {
    "arab": "arabic-indic",
    "arabext": "persian",
    "deva": "devanagari",
    "beng": "bengali",
    "tamldec": "tamil",
    "thai": "thai",
}
# Their digits: Babel formats numbers and dates with a locale's symbols but 0-9 (CLDR's digits,
# as the counter styles above draw them).
DIGITS = {
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
    "beng": "০১২৩৪৫৬৭৮৯",
    "tamldec": "௦௧௨௩௪௫௬௭௮௯",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
}


def locale_dir() -> Path:
    """The catalogues: inside the installed package, or `locale/` of a source checkout."""
    package = Path(__file__).resolve().parents[1]  # masthead/
    packaged = package / "locale"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "locale"


def babel_locale(tag: str) -> str:
    """A Babel locale name for a BCP 47 tag (dates, numbers); English when Babel does not know
    it."""
    try:
        return str(Locale.parse((tag or "en").replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return "en"


def catalogue_names(tag: str) -> list[str]:
    """Catalogue folders to look for, most specific first: "zh-TW" → zh_Hant_TW, zh_Hant, zh_TW,
    zh (the likely script filled in, so that zh-TW finds the traditional catalogue)."""
    language, script, territory = likely_subtags(tag)
    names = [
        f"{language}_{script}_{territory}" if territory else "",
        f"{language}_{script}",
        f"{language}_{territory}" if territory else "",
        language,
    ]
    return [n for n in dict.fromkeys(names) if n]


@lru_cache(maxsize=32)
def _compiled(po_file: Path) -> gettext.GNUTranslations:
    with po_file.open("rb") as file:
        catalog = read_po(file, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalogue(tag: str) -> gettext.NullTranslations:
    """The labels' translations for a language (no catalogue: the English msgids)."""
    if primary(tag) == "en":
        return gettext.NullTranslations()  # The msgids are English.
    folder = locale_dir()
    for name in catalogue_names(tag):
        po_file = folder / name / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po_file.is_file():
            return _compiled(po_file)
    return gettext.NullTranslations()


def has_catalogue(tag: str) -> bool:
    folder = locale_dir()
    names = catalogue_names(tag)
    return primary(tag) == "en" or any(
        (folder / n / "LC_MESSAGES" / f"{DOMAIN}.po").is_file() for n in names
    )


class Labels(gettext.NullTranslations):
    """The catalogue of a language with a publication's `[labels]` put first: what Jinja's i18n
    extension calls for `_()` and `{% trans %}`."""

    def __init__(self, tag: str, overrides: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.add_fallback(catalogue(tag))
        self.overrides = {LABELS[k]: v for k, v in (overrides or {}).items() if k in LABELS}

    def gettext(self, message: str) -> str:
        if message in self.overrides:
            return self.overrides[message]
        return super().gettext(message)

    def label(self, key: str, **values: object) -> str:
        """A label by its key, like label("min_read", minutes=3)."""
        text = self.gettext(LABELS[key])
        return text % values if values else text


@lru_cache(maxsize=64)
def numbering_system(locale: str) -> str:
    """The locale's own digits (CLDR): "latn" for 0-9, "arabext" for Persian…"""
    try:
        return str(Locale.parse(locale).default_numbering_system or "latn")
    except (ValueError, UnknownLocaleError, AttributeError):
        return "latn"


def local_digits(text: str, locale: str) -> str:
    """0-9 in a text (a formatted number or date) written in the locale's own digits."""
    digits = DIGITS.get(numbering_system(locale))
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def number(value: int, locale: str) -> str:
    """A whole number with the locale's symbols and digits: 1,234 · 1.234 · ۱٬۲۳۴."""
    return local_digits(format_decimal(value, locale=locale, numbering_system="default"), locale)


def counter_style(locale: str) -> str:
    """The CSS counter style for page numbers in the locale's digits ("decimal" for 0-9)."""
    return COUNTER_STYLES.get(numbering_system(locale), "decimal")
