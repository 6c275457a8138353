"""Templates: the default theme plus a publication's overrides, searched in order."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
import jinja2.bccache
import lxml.html
from babel.dates import format_date, format_skeleton
from babel.lists import format_list

from masthead.errors import TemplateError
from masthead.language import direction, script_of
from masthead.model import Issue
from masthead.render.i18n import Labels, babel_locale, counter_style, local_digits, number
from masthead.render.scripts import font_stacks, isolate_text

# An override extends the default with `{% extends "!default/epub/article.xhtml" %}`.
DEFAULT_PREFIX = "!default"
# Files the theme is made of (to tell a template's frames in a traceback from Python's).
TEMPLATE_SUFFIXES = (".html", ".xhtml", ".css", ".ncx", ".txt", ".toml", ".md", ".xml")


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


class Theme:
    """A Jinja2 environment over the publication's template folders, then the default theme."""

    def __init__(
        self,
        override_dirs: Sequence[Path] = (),
        language: str = "en",
        bytecode_dir: Path | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """`bytecode_dir`: where compiled templates are kept between builds (Jinja checks each
        against its source), so a build does not compile every template again (0.06 s).
        `labels`: a publication's `[labels]`, put before the language's catalogue."""
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
            extensions=["jinja2.ext.i18n"],
        )
        locale = babel_locale(language)
        # `_("In this issue")`, `{% trans %}`: the language's catalogue (render/i18n.py).
        self.labels = Labels(language, labels)
        self.env.install_gettext_translations(self.labels, newstyle=True)  # type: ignore[attr-defined]
        self.env.filters["longdate"] = lambda d: _long_date(d, locale)
        self.env.filters["monthyear"] = lambda d: (
            local_digits(format_skeleton("yMMMM", d, locale=locale), locale) if d else ""
        )
        self.env.filters["names"] = lambda names: (
            format_list(list(names), locale=locale) if names else ""
        )
        self.env.filters["isodate"] = lambda d: d.isoformat() if d else ""
        self.env.filters["url_notes"] = url_notes
        self.env.filters["number"] = lambda n: number(n, locale) if n is not None else ""
        self.env.filters["direction"] = lambda tag: direction(tag or language)
        self.env.filters["bidi"] = isolate_text
        self.env.filters["script"] = lambda tag: script_of(tag or language)
        self.env.globals["fonts"] = font_stacks(language)
        self.env.globals["page_counter"] = counter_style(locale)
        self.locale = locale
        self.env.globals["full_title"] = self.full_title

    def full_title(self, issue: Issue) -> str:
        """The issue's full title in its language: "The Lantern, No. 7: Night (November 2026)",
        "…، العدد 7: …" (as Issue.full_title, with the labels and dates of the catalogue)."""
        locale = self.locale
        head = issue.publication.name
        if issue.info.number is not None:
            head += ", " + self.labels.label("number", number=number(issue.info.number, locale))
        if issue.info.title and issue.info.title != issue.publication.name:
            head += f": {issue.info.title}"
        if issue.info.date is not None:
            month = format_skeleton("yMMMM", issue.info.date, locale=locale)
            head += f" ({local_digits(month, locale)})"
        return head

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
        except jinja2.TemplateSyntaxError as exc:  # In a template this one includes.
            raise TemplateError(
                f"template syntax error: {exc.message}",
                Path(exc.filename) if exc.filename else None,
                exc.lineno,
            ) from exc
        except jinja2.TemplateError as exc:
            file, line = _failing_template(exc, template.filename)
            raise TemplateError(f"template error: {exc}", file, line) from exc


def _failing_template(exc: BaseException, rendered: str | None) -> tuple[Path | None, int | None]:
    """The template file and line where rendering failed: Jinja2 rewrites the traceback so that
    a template's frames carry its file name and line; the innermost such frame is the culprit
    (a publication's `pdf/cover.html` included by the default `pdf/issue.html`)."""
    found: tuple[Path | None, int | None] = (Path(rendered) if rendered else None, None)
    names = {rendered} if rendered else set()
    traceback = exc.__traceback__
    while traceback is not None:
        file = traceback.tb_frame.f_code.co_filename
        if file in names or (file.endswith(TEMPLATE_SUFFIXES) and Path(file).is_file()):
            found = (Path(file), traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


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
    """ "1 November 2026" in English (the house style), the locale's long form elsewhere:
    "1. November 2026", "2026年11月1日"."""
    if value is None:
        return ""
    pattern = "d MMMM y" if locale.split("_")[0] == "en" else "long"
    return local_digits(format_date(value, pattern, locale=locale), locale)
