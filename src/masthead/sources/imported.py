"""Importing crawled files (.txt, .html): decoding, choosing file names, writing them, explaining
what was done, and reading them as articles in a build."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from masthead.errors import InputError
from masthead.model import Publication, RawArticle
from masthead.sources.clues import parse_byline, parse_date, split_credit
from masthead.sources.crawled import (
    HTML_SUFFIXES,
    TEXT_SUFFIXES,
    ImportedArticle,
    ImportSettings,
    Join,
    Removal,
    import_settings,
)
from masthead.sources.patterns import CONTROL
from masthead.sources.text_import import import_text

# --- Files --------------------------------------------------------------------------------------


def decode_raw(raw: bytes, path: Path) -> tuple[str, list[str]]:
    """Bytes of a crawled file to text: UTF-8 (or UTF-16 with a BOM), else the HTML's declared
    charset, else Windows-1252/Latin-1. Binary files are refused with a clear message."""
    notes: list[str] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), ["read as UTF-16"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:8192]:
        raise InputError(
            "is a binary file, not text",
            path,
            hint="give the saved text (.txt) or web page (.html) of an article",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", raw[:4096], re.I)
        text = ""
        for encoding in ([declared.group(1).decode("ascii")] if declared else []) + ["cp1252"]:
            try:
                text = raw.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
            notes.append(f"not UTF-8: read as {encoding}")
            break
        else:
            text = raw.decode("latin-1")
            notes.append("not UTF-8: read as Latin-1")
    controls = len(CONTROL.findall(text))
    if text and controls > max(2, len(text) // 50):
        raise InputError(
            "is a binary file, not text",
            path,
            hint="give the saved text (.txt) or web page (.html) of an article",
        )
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), notes


def import_file(path: Path, publication: Publication | None = None) -> ImportedArticle:
    """Import one saved article (.txt, .html or .htm): the library entry point of `import`."""
    return _import_with(path, import_settings(publication))


def import_decoded(path: Path, text: str, publication: Publication | None) -> ImportedArticle:
    """Import text already decoded (the build's reader): by suffix, HTML or crawled text."""
    settings = import_settings(publication)
    if path.suffix.lower() in HTML_SUFFIXES:
        from masthead.sources.html import import_html

        return import_html(text, path, settings)
    return import_text(text, path, settings)


def settings_file(out_dir: Path, given: Path | None = None) -> Path | None:
    """The publication.toml whose `[import]` table applies: `given`, else one in the output
    folder (a publication) or its parent (the output is an issue of that publication)."""
    if given is not None:
        if not given.is_file():
            raise InputError("no such file", given, hint="give the path of a publication.toml")
        return given
    for folder in (out_dir, out_dir.parent):
        if (folder / "publication.toml").is_file():
            return folder / "publication.toml"
    return None


def settings_from(path: Path | None) -> ImportSettings:
    """`[import]` of a publication.toml, validated like the build validates it."""
    if path is None:
        return ImportSettings()
    from masthead.settings import publication_table, read_toml

    table, text = read_toml(path)
    values = publication_table(table, path, text, path.name)
    return import_settings(Publication(name="", extra={"import": values.get("import", {})}))


def import_files(
    paths: Iterable[Path],
    out_dir: Path,
    settings: ImportSettings | None = None,
    overwrite: bool = False,
) -> list[tuple[ImportedArticle, Path]]:
    """Import every file and choose its Markdown file in `out_dir`; nothing is written here
    (write `article.markdown()` with files.write_all, all at once). Existing files are only
    replaced with `overwrite`."""
    results: list[tuple[ImportedArticle, Path]] = []
    used: set[Path] = set()
    for path in paths:
        if not path.is_file():
            raise InputError("no such file", path, hint="give crawled .txt or saved .html files")
        article = _import_with(path, settings)
        target = out_dir / article.file_name
        n = 2
        while target in used:
            target = out_dir / f"{Path(article.file_name).stem}-{n}.md"
            n += 1
        if target.exists() and not overwrite:
            raise InputError(
                "already exists", target, hint="give another --out folder, or --force to replace it"
            )
        used.add(target)
        results.append((article, target))
    return results


def _import_with(path: Path, settings: ImportSettings | None) -> ImportedArticle:
    suffix = path.suffix.lower()
    if suffix not in (*TEXT_SUFFIXES, *HTML_SUFFIXES, ".md", ".markdown"):
        raise InputError(
            f"cannot import '{suffix or path.name}' files",
            path,
            hint="give .txt (crawled text) or .html (a saved web page)",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path) from exc
    text, notes = decode_raw(raw, path)
    if suffix in HTML_SUFFIXES:
        from masthead.sources.html import import_html

        article = import_html(text, path, settings)
    else:
        article = import_text(text, path, settings)
    return _with_notes(article, notes)


def _with_notes(article: ImportedArticle, notes: Iterable[str]) -> ImportedArticle:
    notes = tuple(notes)
    if not notes:
        return article
    return ImportedArticle(
        article.source,
        article.meta,
        article.body,
        article.removals,
        article.joins,
        (*notes, *article.notes),
    )


def write_imports(results: list[tuple[ImportedArticle, Path]]) -> tuple[Path, ...]:
    """Write every imported article at once (files.write_all: temporary files, then renames)."""
    from masthead.files import write_all

    return write_all({target: article.markdown().encode("utf-8") for article, target in results})


_ACTIONS = {"title": "→ title", "caption": "→ image_caption", "related": "→ related"}


def explain(article: ImportedArticle) -> list[str]:
    """What the import did, one line each, in the order of the input: for `import --explain`."""
    rows: list[tuple[int, str]] = []
    for r in article.removals:
        lines = (
            f"line {r.start_line}"
            if r.start_line == r.end_line
            else (f"lines {r.start_line}-{r.end_line}")
        )
        action = _ACTIONS.get(r.kind, "removed")
        rows.append((r.start_line, f"{lines:<14} {r.kind:<12} {action:<16} {r.first_words}"))
    for j in article.joins:
        where = f"lines {j.first_line}+{j.second_line}"
        rows.append(
            (
                j.second_line,
                f"{where:<14} {'page-break':<12} {'joined':<16} a paragraph the page break had cut",
            )
        )
    rows.sort(key=lambda row: row[0])
    return [f"note: {note}" for note in article.notes] + [text for _, text in rows]


def read_raw_article(path: Path, text: str, section: str, publication: Publication) -> RawArticle:
    """`ARTICLE_READERS` entry: a raw crawled file listed in issue.toml, imported on the way in."""
    article = import_decoded(path, text, publication)
    return RawArticle(path, article.meta, article.body, 1, section, "")


def _decoder(raw: bytes, path: Path) -> str:
    return decode_raw(raw, path)[0]


def register(readers: dict[str, Any], decoders: dict[str, Any]) -> None:
    """Hook the raw readers into masthead.sources.folder (it calls this on first use)."""
    for suffix in (*TEXT_SUFFIXES, *HTML_SUFFIXES):
        readers.setdefault(suffix, read_raw_article)
        decoders.setdefault(suffix, _decoder)


__all__ = [
    "ImportSettings",
    "ImportedArticle",
    "Join",
    "Removal",
    "decode_raw",
    "explain",
    "import_file",
    "import_files",
    "import_settings",
    "import_text",
    "parse_byline",
    "parse_date",
    "settings_file",
    "settings_from",
    "split_credit",
    "write_imports",
]
