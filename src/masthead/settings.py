"""Reading `publication.toml` and `issue.toml`: strict keys, typed values, errors with lines."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from masthead.errors import InputError
from masthead.language import LanguageTagError, check_tag

# Publication keys and the type of each value (checked in `publication_table`).
PUBLICATION_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "tagline": str,
    "language": str,
    "publisher": str,
    "url": str,
    "issn": str,
    "rights": str,
    "description": str,
    "page_size": str,
    "email_limit_mb": (int, float),
    "article_break": str,
    "drop_caps": bool,
    "related_suggestions": int,  # Archive: suggested reading fills related up to this many.
    "columns": (int, str),
    "target": str,
    "crop_marks": bool,
}
# How the PDF edition starts articles: features on a new page and short pieces run on when a
# third of the page is left (auto), each on a new page, each section on a new page, run on.
ARTICLE_BREAKS = ("auto", "page", "section", "none")
# Columns of an article's body in the PDF: auto is two on A4 and letter, one on smaller pages.
COLUMNS = (1, 2, "auto")
# Who the PDF is for: the screen (coloured links) or the printer (URLs as notes, bleed).
TARGETS = ("screen", "print")
# Words the editions print themselves: a `[labels]` key of publication.toml for each, and its
# English text, the msgid of the gettext catalogue (locale/<language>/LC_MESSAGES/masthead.po).
# `%(name)s` marks a number or title the label is written around; an override keeps them.
LABELS: dict[str, str] = {
    "contents": "In this issue",
    "contents_head": "Contents",
    "by": "By",
    "related": "Related reading",
    "in_issue": "in this issue",
    "page": "p.",
    "min_read": "%(minutes)s min read",
    "cover": "Cover",
    "cover_art": "Cover art for %(title)s",
    "volume": "Vol. %(volume)s",
    "number": "No. %(number)s",
    "published_by": "Published by",
    "position": "%(position)s of %(total)s",
    "start_of_reading": "Start of reading",
    "navigation": "Navigation",
    "landmarks": "Landmarks",
    "article_navigation": "Article navigation",
    "page_list": "Pages of the PDF edition",
    "also_from": "Also from %(name)s",
}
# Tables inside the publication settings that later stages own; each lists its keys.
PUBLICATION_TABLES: dict[str, set[str]] = {
    "labels": set(LABELS),
    "import": {"boilerplate", "boilerplate_defaults"},
    "email": {
        "from",
        "reply_to",
        "subject",
        "note",
        "unsubscribe_url",
        "unsubscribe_mailto",
        "list_id",
        "dkim_key",
        "dkim_selector",
        "dkim_domain",
        "limit_mb",
        "suppression",
        "smtp_host",
        "smtp_port",
        "security",
        "smtp_user",
        "ca_file",
        "rate",
    },
}
ISSUE_KEYS = {
    "volume",
    "number",
    "date",
    "title",
    "cover_lines",
    "cover_image",
    "epub_cover",
    "description",
    "slug",
    "language",
}
SECTION_KEYS = {"title", "articles"}
ISSUE_FILE_TABLES = {"publication", "issue", "sections"}


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file, turning every failure into an InputError naming file and line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text", path, line, "save the file as UTF-8") from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        toml_line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError(
            f"invalid TOML: {message}", path, toml_line, "fix the TOML syntax"
        ) from exc


def key_line(text: str, key: str) -> int | None:
    """Line where `key = …` or `[key]` appears, for error messages."""
    pattern = re.compile(rf'^[ \t]*(\[+[ \t]*)?("?){re.escape(key)}\2[ \t]*(=|:|\]|\.)', re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def check_keys(table: dict[str, Any], allowed: set[str], path: Path, text: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else f"known keys: {', '.join(sorted(allowed))}"
            )
            raise InputError(f"unknown key `{key}` in {where}", path, key_line(text, key), hint)


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def expect(value: Any, kind: type | tuple[type, ...], key: str, path: Path, text: str) -> Any:
    """`value` of the expected type, else an error naming the key, its line and the type."""
    kinds = (kind,) if isinstance(kind, type) else kind
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        names = " or ".join(dict.fromkeys(_KIND_NAMES.get(k, k.__name__) for k in kinds))
        raise InputError(f"`{key}` must be {names}", path, key_line(text, key))
    return value


def parse_date(value: Any, key: str, path: Path, line: int | None) -> dt.date:
    """A date from TOML/YAML (native) or an ISO string; anything else is an error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InputError(
        f"`{key}` is not a date: {value!r}", path, line, "write it as YYYY-MM-DD, like 2026-11-01"
    )


def publication_table(table: dict[str, Any], path: Path, text: str, where: str) -> dict[str, Any]:
    """Validate a publication table; returns the plain keys plus extension tables."""
    allowed = set(PUBLICATION_KEYS) | set(PUBLICATION_TABLES)
    check_keys(table, allowed, path, text, where)
    for name, keys in PUBLICATION_TABLES.items():
        if name in table:
            sub = expect(table[name], dict, name, path, text)
            check_keys(sub, keys, path, text, f"[{name}]")
    for key, kind in PUBLICATION_KEYS.items():
        if key in table:
            expect(table[key], kind, key, path, text)
    if table.get("article_break", ARTICLE_BREAKS[0]) not in ARTICLE_BREAKS:
        raise InputError(
            f"`article_break` is {table['article_break']!r}",
            path,
            key_line(text, "article_break"),
            f"use one of: {', '.join(ARTICLE_BREAKS)}",
        )
    if table.get("related_suggestions", 0) < 0:
        raise InputError(
            "`related_suggestions` is negative",
            path,
            key_line(text, "related_suggestions"),
            "give how many related items suggestions fill up to (0 turns them off)",
        )
    for key, choices in (("columns", COLUMNS), ("target", TARGETS)):
        if key in table and table[key] not in choices:
            names = ", ".join(f'"{c}"' if isinstance(c, str) else str(c) for c in choices)
            raise InputError(
                f"`{key}` is {table[key]!r}",
                path,
                key_line(text, key),
                f"use one of: {names}",
            )
    if isinstance(table.get("import"), dict):
        _check_import(table["import"], path, text)
    if "language" in table:
        table = {**table, "language": language_tag(table["language"], path, text)}
    if isinstance(table.get("labels"), dict):
        _check_labels(table["labels"], path, text)
    return dict(table)


def language_tag(value: Any, path: Path, text: str, key: str = "language") -> str:
    """A `language` value checked as a BCP 47 tag; else an error naming the key and its line."""
    expect(value, str, key, path, text)
    try:
        return check_tag(value)
    except LanguageTagError as exc:
        raise InputError(
            f"`{key}` {exc}",
            path,
            key_line(text, key),
            "use a BCP 47 language tag, like en, en-GB, pt-BR, ar, fa or zh-Hant",
        ) from exc


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _check_labels(table: dict[str, Any], path: Path, text: str) -> None:
    """`[labels]`: text for each label, keeping the label's `%(name)s` placeholders."""
    for key, value in table.items():
        expect(value, str, key, path, text)
        wanted = set(_PLACEHOLDER.findall(LABELS[key]))
        if set(_PLACEHOLDER.findall(value)) != wanted or "%" in _PLACEHOLDER.sub("", value):
            names = ", ".join(f"%({name})s" for name in sorted(wanted)) or "no placeholder"
            raise InputError(
                f"label `{key}` must contain {names} (and no other %)",
                path,
                key_line(text, key),
                f"like {LABELS[key]!r}",
            )


def _check_import(table: dict[str, Any], path: Path, text: str) -> None:
    """`[import]`: `boilerplate` is a list of regular expressions, `boilerplate_defaults` a bool."""
    if "boilerplate_defaults" in table:
        expect(table["boilerplate_defaults"], bool, "boilerplate_defaults", path, text)
    for pattern in expect(table.get("boilerplate", []), list, "boilerplate", path, text):
        expect(pattern, str, "boilerplate", path, text)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(
                f"`boilerplate` pattern {pattern!r} is not a regular expression ({exc})",
                path,
                key_line(text, "boilerplate"),
                "write Python regular expressions, like '^Subscribe to'",
            ) from exc
