"""Templates: the default theme plus a publication's overrides, searched in order."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import jinja2
import jinja2.bccache
import lxml.html
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list

from masthead.errors import TemplateError

# An override extends the default with `{% extends "!default/epub/article.xhtml" %}`.
DEFAULT_PREFIX = "!default"


def default_theme_dir() -> Path:
    """The default theme: inside the installed package, or `templates/` of a source checkout."""
    package = Path(__file__).resolve().parents[1]  # masthead/
    packaged = package / "templates"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "templates"


class KeptBytecode(jinja2.BytecodeCache):
    """Compiled templates read from a folder, and new ones kept in memory until the build that
    made them writes its files (see Theme.cache_files): a failed build writes nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.new: dict[Path, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self.folder / f"{bucket.key}.cache", "rb") as file:
                bucket.load_bytecode(file)  # Jinja checks it against the template's source.
        except OSError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        buffer = io.BytesIO()
        bucket.write_bytecode(buffer)
        self.new[self.folder / f"{bucket.key}.cache"] = buffer.getvalue()


def _locale(language: str) -> str:
    """A Babel locale name for the issue language; English when Babel does not know it."""
    try:
        return str(Locale.parse((language or "en").replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return "en"


class Theme:
    """A Jinja2 environment over the publication's template folders, then the default theme."""

    def __init__(
        self,
        override_dirs: Sequence[Path] = (),
        language: str = "en",
        bytecode_dir: Path | None = None,
    ) -> None:
        """`bytecode_dir`: where compiled templates are kept between builds (Jinja checks each
        against its source), so a build does not compile every template again (0.06 s)."""
        self.default_dir = default_theme_dir()
        self.bytecode = KeptBytecode(bytecode_dir) if bytecode_dir is not None else None
        self.search_path = [*override_dirs, self.default_dir]
        loader = jinja2.ChoiceLoader(
            [
                jinja2.PrefixLoader(
                    {DEFAULT_PREFIX: jinja2.FileSystemLoader(self.default_dir)}, delimiter="/"
                ),
                jinja2.FileSystemLoader([str(p) for p in self.search_path]),
            ]
        )
        self.env = jinja2.Environment(
            loader=loader,
            autoescape=lambda name: (
                name is not None and not name.endswith((".css", ".txt", ".toml", ".md"))
            ),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=self.bytecode,
        )
        locale = _locale(language)
        self.env.filters["longdate"] = lambda d: _long_date(d, locale)
        self.env.filters["monthyear"] = lambda d: (
            format_date(d, "MMMM y", locale=locale) if d else ""
        )
        self.env.filters["names"] = lambda names: (
            format_list(list(names), locale=locale) if names else ""
        )
        self.env.filters["isodate"] = lambda d: d.isoformat() if d else ""
        self.env.filters["url_notes"] = url_notes

    def cache_files(self) -> dict[Path, bytes]:
        """Templates compiled by this build, to keep for the next (written with the outputs)."""
        return dict(self.bytecode.new) if self.bytecode is not None else {}

    def render(self, name: str, /, **context: object) -> str:
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in self.search_path)
            raise TemplateError(
                f"template '{exc.name}' not found (searched: {searched})",
                hint="add the file to your templates folder or fix the name",
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template syntax error: {exc.message}",
                Path(exc.filename) if exc.filename else None,
                exc.lineno,
            ) from exc
        try:
            return template.render(**context)
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"template '{name}' failed: {exc}",
                Path(template.filename) if template.filename else None,
            ) from exc


def url_notes(html: str) -> str:
    """An HTML fragment with each external link's address as a footnote after it (for print,
    where a link cannot be followed); a link whose text is its address gets none."""
    if "http" not in html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for link in list(root.iter("a")):
        href = link.get("href") or ""
        if not href.startswith(("http://", "https://")):
            continue
        shown = href.split("://", 1)[1].rstrip("/")
        if shown in link.text_content():
            continue
        note = lxml.html.Element("span", {"class": "footnote url-note"})
        note.text = shown
        note.tail = link.tail
        link.tail = None
        link.addnext(note)
    return "".join(
        [root.text or ""] + [lxml.html.tostring(child, encoding="unicode") for child in root]
    )


def _long_date(value: dt.date | None, locale: str) -> str:
    return format_date(value, "d MMMM y", locale=locale) if value else ""
