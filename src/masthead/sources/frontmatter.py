"""Front matter: an article file's bytes decoded, its YAML (`---`) or TOML (`+++`) header parsed
strictly, and the article's date read from it (or from its path)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from masthead.errors import InputError
from masthead.model import RawArticle
from masthead.settings import parse_date

_YAML_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(\r?\n|\Z)", re.S)
_TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?\r?\n)?\+\+\+[ \t]*(\r?\n|\Z)", re.S)


_DATE_IN_PATH = re.compile(r"(?<!\d)(\d{4})[/-](\d{2})[/-](\d{2})(?!\d)")


def article_date(article: RawArticle) -> dt.date | None:
    """The article's date: `date` in front matter, else one in its `path`/`url` or file name."""
    meta = article.meta
    if meta.get("date") not in (None, ""):
        return parse_date(meta["date"], "date", article.path, article.meta_line("date"))
    # A page bundle (folder/index.md) carries its date in the folder's name.
    name = article.path.parent.name if article.path.stem == "index" else article.path.name
    for candidate in (str(meta.get("path", "")), str(meta.get("url", "")), name):
        match = _DATE_IN_PATH.search(candidate)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                continue
    return None


def decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:8192]:
        raise InputError("is a binary file, not text", path, hint="give a Markdown or text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            path,
            line,
            "save the file as UTF-8",
        ) from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Split YAML (`---`) or TOML (`+++`) front matter from the body; parse it strictly."""
    for fence, kind in ((_YAML_FENCE, "yaml"), (_TOML_FENCE, "toml")):
        match = fence.match(text)
        if not match:
            continue
        source = match.group(1) or ""
        body_line = text.count("\n", 0, match.end()) + 1
        meta = _parse_meta(source, kind, path)
        return meta, text[match.end() :], body_line
    if text.startswith(("---\n", "+++\n")):
        raise InputError(
            "front matter is not closed",
            path,
            1,
            f"end it with a line holding only {text[:3]}",
        )
    return {}, text, 1


_YAML_DATE = re.compile(r"^\s*[\w-]+\s*:\s*['\"]?(\d{4}-\d{1,2}-\d{1,2}\S*(\s+\S+)?)\s*$")


def _bad_date_line(source: str) -> int | None:
    """Line (in the file) of the first date-like value that is not a real date."""
    for number, text in enumerate(source.splitlines(), start=2):
        match = _YAML_DATE.match(text)
        if match:
            try:
                _load_yaml(match.group(1))
            except ValueError:
                return number
    return None


# libyaml's parser where PyYAML has it: the pure-Python one takes 2 ms an article. Same
# constructor (safe), same errors and marks.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(source: str) -> Any:
    return yaml.load(source, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader.


def _parse_meta(source: str, kind: str, path: Path) -> dict[str, Any]:
    if kind == "yaml":
        try:
            meta = _load_yaml(source) if source.strip() else {}
        except ValueError as exc:
            # YAML reads 2026-02-30 as a date and the date constructor refuses it.
            raise InputError(
                f"impossible date or time in front matter ({exc})",
                path,
                _bad_date_line(source),
                "write a real date as YYYY-MM-DD",
            ) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark is not None else None  # +1 for 1-based, +1 for the fence.
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(
                f"malformed YAML front matter: {problem}", path, line, "fix the front matter syntax"
            ) from exc
    else:
        try:
            meta = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            line = int(match.group(1)) + 1 if match else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise InputError(
                f"malformed TOML front matter: {message}", path, line, "fix the front matter syntax"
            ) from exc
    if meta is None:
        meta = {}  # Front matter of comments only ("# Do not remove front matter.").
    if not isinstance(meta, dict):
        raise InputError(
            "front matter is not a table of keys",
            path,
            2,
            "write `key: value` lines between the --- fences",
        )
    return meta
