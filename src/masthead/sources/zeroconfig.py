"""A zero-config folder's layout: which files are articles, which folders are sections, which file
introduces a section (`_index.md`), which posts are drafts — for plain folders of Markdown and
for static sites' folders (Jekyll's `_posts/`, Hugo's and Zola's `content/` trees and page
bundles)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.model import Publication, RawArticle, Site
from masthead.sources.frontmatter import article_date, split_front_matter

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
NOT_ARTICLES = {"readme.md", "license.md", "licence.md", "changelog.md", "contributing.md"}
INTRO_NAMES = ("_index.md", "_index.markdown", "_index.html")
BUNDLE_NAMES = ("index.md", "index.markdown", "index.html")


@dataclass
class PlannedSection:
    """A folder that is a section: its intro page (if any) and its article files."""

    folder: Path
    intro: Path | None = None
    articles: list[Path] = field(default_factory=list)


def plan_folder(folder: Path, site: Site | None) -> list[PlannedSection]:
    """The sections of a zero-config folder, the folder's own first: its files and page bundles,
    then each sub-folder with an `_index.md` (or, at a Hugo/Zola site's `content/`, each
    sub-folder) with everything under it. A Jekyll site's root reads its `_posts/`."""
    if site is not None and site.generator == "jekyll" and (folder / "_posts").is_dir():
        folder = folder / "_posts"
    top = PlannedSection(folder, _intro(folder))
    sections = [top]
    all_sections = site is not None and site.content_dir == folder.resolve()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue  # _drafts, _common (Hugo's headless snippets), .git…
        if entry.is_file() and _is_article_file(entry):
            top.articles.append(entry)
        elif entry.is_dir():
            bundle = _bundle(entry)
            if bundle is not None:
                top.articles.append(bundle)
            elif _intro(entry) is not None or all_sections:
                section = PlannedSection(entry, _intro(entry))
                section.articles = _articles_under(entry)
                sections.append(section)
    return sections


def _is_article_file(path: Path) -> bool:
    name = path.name.lower()
    return (
        path.suffix.lower() in (*MARKDOWN_SUFFIXES, *HTML_SUFFIXES)
        and name not in NOT_ARTICLES
        and name not in INTRO_NAMES
        and name not in ("index.html", "index.htm")  # A saved site's home page.
        and not name.startswith("404.")
    )


def _intro(folder: Path) -> Path | None:
    return next((folder / n for n in INTRO_NAMES if (folder / n).is_file()), None)


def _bundle(folder: Path) -> Path | None:
    """A page bundle's page (folder/index.md, images beside it), or None."""
    return next((folder / n for n in BUNDLE_NAMES if (folder / n).is_file()), None)


def _articles_under(folder: Path) -> list[Path]:
    """Every article in a section folder, nested sections included (they join this one)."""
    found: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and _is_article_file(entry):
            found.append(entry)
        elif entry.is_dir():
            bundle = _bundle(entry)
            found.extend([bundle] if bundle is not None else _articles_under(entry))
    return found


def draft_reason(meta: dict[str, Any]) -> str | None:
    """Why a post is not published (`draft: true`, `published: false`), or None."""
    if meta.get("draft") is True or str(meta.get("draft")).lower() == "true":
        return "draft: true"
    if meta.get("published") is False or str(meta.get("published")).lower() == "false":
        return "published: false"
    return None


def headless(meta: dict[str, Any]) -> bool:
    """Whether a section's `_index.md` says its pages are never published (Hugo's headless
    bundles of snippets: `headless: true`, `build: {render: never}`, also through `cascade`)."""
    if meta.get("headless") is True:
        return True
    for table in (meta, meta.get("cascade")):
        build = table.get("build") if isinstance(table, dict) else None
        if isinstance(build, dict) and build.get("render") == "never":
            return True
    return False


def sort_key(raw: RawArticle) -> tuple[Any, ...]:
    """Reading order in a zero-config section: by `weight` where pages give one (Hugo, Zola),
    then by date, then by name."""
    weight = raw.meta.get("weight")
    weighted = isinstance(weight, int) and not isinstance(weight, bool) and weight != 0
    name = raw.path.parent.name if raw.path.stem == "index" else raw.path.stem
    return (
        0 if weighted else 1,
        weight if weighted else 0,
        article_date(raw) or dt.date.min,
        name,
    )


def section_title(planned: PlannedSection, intro_meta: dict[str, Any]) -> str:
    """A sub-section's title: its intro page's `title`, else its folder's name made readable."""
    title = intro_meta.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    name = planned.folder.name.replace("-", " ").replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else planned.folder.name


def site_title(site: Site | None) -> str:
    """The site's own name (its config's `title`, else `name`), or ""."""
    if site is None:
        return ""
    for key in ("title", "name"):
        value = site.config.get(key)
        if isinstance(value, str) and value.strip():
            # "Jekyll • Simple, blog-aware, static sites": the name, not the tagline.
            return re.split(r"\s+[•|·–—]\s+", value.strip())[0]
    return ""


def read_html_post(path: Path, text: str, section: str, publication: Publication) -> RawArticle:
    """A site's `.html` post: its front matter as written and its HTML body (sanitised, as the
    importer does) in Markdown. A page without front matter is imported whole, as a saved page
    (the importer finds its title, byline and text)."""
    meta, body, body_line = split_front_matter(text, path)
    if not meta:
        from masthead.sources.imported import read_raw_article

        return read_raw_article(path, text, section, publication)
    from masthead.sources.html import sanitise
    from masthead.sources.html_markdown import to_markdown
    from masthead.sources.media import media_as_links

    # The author's embedded players become links to what they play (a saved page's are
    # furniture: the importer drops them with the rest).
    markdown = to_markdown(sanitise(media_as_links(body)), path)
    meta_text = "\n".join(text.splitlines()[1 : body_line - 2]) if body_line > 1 else ""
    return RawArticle(path, meta, markdown, body_line, section, meta_text)
