"""Stage 1 — load: find the issue's files and read them (manifest, articles) as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from masthead.errors import InputError
from masthead.files import inside
from masthead.language import LanguageTagError, check_tag, dominant_language, script_of
from masthead.model import (
    BuildWarning,
    IssueInfo,
    LoadedIssue,
    Publication,
    RawArticle,
    SectionIntro,
)
from masthead.settings import (
    ISSUE_FILE_TABLES,
    ISSUE_KEYS,
    SECTION_KEYS,
    check_keys,
    expect,
    key_line,
    language_tag,
    parse_date,
    publication_table,
    read_toml,
)
from masthead.sources.frontmatter import decode, split_front_matter
from masthead.sources.sites import find_site
from masthead.sources.zeroconfig import (
    HTML_SUFFIXES,
    draft_reason,
    headless,
    plan_folder,
    read_html_post,
    section_title,
    site_title,
    sort_key,
)
from masthead.text import slugify

ARTICLE_SUFFIXES = (".md", ".markdown")
# Readers for other article formats, by suffix: (path, text, section, publication) -> RawArticle.
# The importer registers raw crawled files (.txt, .html) here.
ARTICLE_READERS: dict[str, Callable[[Path, str, str, Publication], RawArticle]] = {}
# How those readers' files are decoded, by suffix (crawled text may be Latin-1): bytes -> text.
ARTICLE_DECODERS: dict[str, Callable[[bytes, Path], str]] = {}


def load(
    path: Path,
    title: str | None = None,
    article_files: list[Path] | None = None,
    site_root: Path | None = None,
    language: str | None = None,
) -> LoadedIssue:
    """Read an issue folder (with `issue.toml`) or any folder of Markdown articles (of a static
    site: `site_root`, else found above the folder). `language` (BCP 47, already checked) is the
    issue's, whatever its settings say."""
    path = path.resolve()
    if not path.exists():
        raise InputError("no such file or folder", path, hint="give the path of an issue folder")
    if path.is_file():
        if path.name == "issue.toml":
            path = path.parent
        else:
            raise InputError("is a file", path, hint="give the folder that holds the articles")
    manifest = path / "issue.toml"
    roots = publication_roots(path, manifest.exists())
    if manifest.exists():
        loaded = _load_manifest(path, manifest, title, roots)
    else:
        loaded = _load_folder(path, title, site_root, roots)
    return with_language(loaded, language)


def publication_roots(folder: Path, has_manifest: bool) -> tuple[Path, ...]:
    """The folders an issue may read files from: its own and, for an issue folder beside a
    `publication.toml`, its publication's (a static site's root is added when one is found)."""
    roots = [folder.resolve()]
    if has_manifest and (folder.parent / "publication.toml").is_file():
        roots.append(folder.parent.resolve())
    return tuple(roots)


def outside_error(what: str, path: Path, where: Path, line: int | None = None) -> InputError:
    """The error for a file (`what`, as the user named it) that lies outside the publication's
    folders (at `path`, symlinks followed)."""
    leads = "" if what.endswith(str(path)) else f" (it leads to {path})"
    return InputError(
        f"{what} is outside the publication{leads}",
        where,
        line,
        "keep files inside the issue folder, its publication folder or the site root "
        "(no ../, absolute paths or symlinks leading elsewhere)",
    )


def _publication(
    folder: Path,
    override: dict[str, Any] | None,
    manifest: Path | None,
    manifest_text: str,
    default_name: str,
) -> Publication:
    values: dict[str, Any] = {}
    template_dirs: list[Path] = []
    shared = folder.parent / "publication.toml" if manifest else folder / "publication.toml"
    if shared.exists():
        table, text = read_toml(shared)
        values.update(publication_table(table, shared, text, "publication.toml"))
        if (shared.parent / "templates").is_dir():
            template_dirs.append(shared.parent / "templates")
    if override:
        assert manifest is not None
        values.update(publication_table(override, manifest, manifest_text, "[publication]"))
    if manifest and (manifest.parent / "templates").is_dir():
        template_dirs.insert(0, manifest.parent / "templates")
    extra = {k: values.pop(k) for k in list(values) if isinstance(values[k], dict)}
    values.setdefault("name", default_name)
    return Publication(**values, template_dirs=tuple(template_dirs), extra=extra)


def _load_manifest(
    folder: Path, manifest: Path, title: str | None, roots: tuple[Path, ...]
) -> LoadedIssue:
    data, text = read_toml(manifest)
    check_keys(data, ISSUE_FILE_TABLES, manifest, text, "issue.toml")
    pub_table = expect(data.get("publication", {}), dict, "publication", manifest, text)
    publication = _publication(folder, pub_table, manifest, text, default_name=folder.name)

    issue = expect(data.get("issue", {}), dict, "issue", manifest, text)
    check_keys(issue, ISSUE_KEYS, manifest, text, "[issue]")
    date = None
    if "date" in issue:
        date = parse_date(issue["date"], "date", manifest, key_line(text, "date"))
    for key in ("volume", "number"):
        if key in issue:
            expect(issue[key], int, key, manifest, text)
    cover_lines = tuple(
        expect(line, str, "cover_lines", manifest, text)
        for line in expect(issue.get("cover_lines", []), list, "cover_lines", manifest, text)
    )
    cover_image, epub_cover = (
        _issue_file(issue, key, (folder, manifest, text), roots)
        for key in ("cover_image", "epub_cover")
    )
    info = IssueInfo(
        title=title or expect(issue.get("title", publication.name), str, "title", manifest, text),
        date=date,
        volume=issue.get("volume"),
        number=issue.get("number"),
        cover_lines=cover_lines,
        cover_image=cover_image,
        epub_cover=epub_cover,
        description=expect(issue.get("description", ""), str, "description", manifest, text),
        slug=slugify(issue.get("slug") or _issue_slug(issue, folder)),
        language=_issue_language(issue, text, manifest),
    )

    sections = expect(data.get("sections", []), list, "sections", manifest, text)
    if not sections:
        raise InputError(
            "lists no sections",
            manifest,
            None,
            'add a [[sections]] table with `title` and `articles = ["file.md", …]`',
        )
    raw_articles: list[RawArticle] = []
    section_titles: list[str] = []
    seen: dict[Path, str] = {}
    for section in sections:
        section = expect(section, dict, "sections", manifest, text)
        check_keys(section, SECTION_KEYS, manifest, text, "[[sections]]")
        if "title" not in section:
            raise InputError("a section has no `title`", manifest, key_line(text, "sections"))
        section_title = expect(section["title"], str, "title", manifest, text)
        section_titles.append(section_title)
        for name in expect(section.get("articles", []), list, "articles", manifest, text):
            name = expect(name, str, "articles", manifest, text)
            article_path = (folder / name).resolve()
            line = _line_of(text, name)
            if not inside(article_path, roots):
                raise outside_error(f"article {name}", article_path, manifest, line)
            if article_path in seen:
                raise InputError(
                    f"article {name} is listed twice (in '{seen[article_path]}' and "
                    f"'{section_title}')",
                    manifest,
                    line,
                    "list each article once",
                )
            if not article_path.is_file():
                raise InputError(
                    f"article file not found: {name}",
                    manifest,
                    line,
                    "check the file name (paths are relative to the issue folder)",
                )
            seen[article_path] = section_title
            raw_articles.append(read_article(article_path, section_title, publication))
    if not raw_articles:
        raise InputError(
            "lists no articles",
            manifest,
            key_line(text, "articles") or key_line(text, "sections"),
            'name the article files of a section: articles = ["first.md", "second.md"]',
        )
    return LoadedIssue(
        folder, publication, info, tuple(raw_articles), tuple(section_titles), roots=roots
    )


def _issue_file(
    issue: dict[str, Any], key: str, where: tuple[Path, Path, str], roots: tuple[Path, ...]
) -> Path | None:
    """A file named by an `[issue]` key, relative to the issue folder (`where`: the folder, the
    manifest and its text); it must exist, inside the publication."""
    if key not in issue:
        return None
    folder, manifest, text = where
    path: Path = folder / expect(issue[key], str, key, manifest, text)
    if not inside(path, roots):
        raise outside_error(f"`{key}` file", path.resolve(), manifest, key_line(text, key))
    if not path.is_file():
        raise InputError(
            f"`{key}` file not found: {issue[key]}",
            manifest,
            key_line(text, key),
            "check the file name (relative to the issue folder)",
        )
    return path


def _issue_language(issue: dict[str, Any], text: str, manifest: Path) -> str:
    """`[issue]` `language`, checked; its line is looked for after the `[issue]` header."""
    if "language" not in issue:
        return ""
    start = text.find("[issue]")
    offset = text.count("\n", 0, start) if start >= 0 else 0
    try:
        return language_tag(issue["language"], manifest, text[max(start, 0) :])
    except InputError as exc:
        line = exc.line + offset if exc.line is not None else None
        raise InputError(exc.message, manifest, line, exc.hint) from exc


def with_language(loaded: LoadedIssue, language: str | None) -> LoadedIssue:
    """The issue in `language` when given; else, when no setting names one, in the language of
    the script most of its words are written in (a zero-config folder named like a language,
    "pt-br", gives that one when its script agrees), reported in one note."""
    if language:
        return replace(loaded, info=replace(loaded.info, language=language))
    if loaded.info.language or _names_language(loaded.source):
        return loaded
    site_language = _site_language(loaded)
    if site_language:
        return replace(loaded, info=replace(loaded.info, language=site_language))
    texts = [raw.body for raw in loaded.articles]
    texts += [str(raw.meta.get("title", "")) for raw in loaded.articles]
    guess = dominant_language(texts)
    hint = _folder_language(loaded.source) if not (loaded.source / "issue.toml").exists() else None
    if hint is not None and script_of(hint) == script_of(guess[0] if guess else "en"):
        tag, why = hint, "the folder is named so and its text's script agrees"
    elif guess is not None:
        tag, why = guess[0], f"most of its words are in {guess[1]} script"
    else:
        return loaded
    note = BuildWarning(
        f"language not set: '{tag}' chosen, as {why}; "
        "set it with --language or `language` in publication.toml",
        loaded.source,
    )
    return replace(loaded, info=replace(loaded.info, language=tag), notes=(*loaded.notes, note))


# Where static sites name their language: Hugo, Jekyll (and most themes), Zola, Eleventy data.
SITE_LANGUAGE_KEYS = ("languageCode", "defaultContentLanguage", "lang", "language", "locale")


def _site_language(loaded: LoadedIssue) -> str:
    """The language the static site's config names, when it is a valid tag ("en-us", "fr")."""
    config = loaded.site.config if loaded.site is not None else {}
    for key in SITE_LANGUAGE_KEYS:
        value = config.get(key)
        if isinstance(value, str):
            try:
                return check_tag(value.replace("_", "-"))
            except LanguageTagError:
                continue
    return ""


def _names_language(folder: Path) -> bool:
    """Whether the issue's settings name a language (issue.toml's tables, publication.toml)."""
    manifest = folder / "issue.toml"
    shared = (
        folder.parent / "publication.toml" if manifest.exists() else folder / "publication.toml"
    )
    for settings in (manifest, shared):
        if settings.is_file():
            data, _ = read_toml(settings)
            tables = [data, *(v for v in data.values() if isinstance(v, dict))]
            if any("language" in table for table in tables):
                return True
    return False


def _folder_language(folder: Path) -> str | None:
    """A folder named by a two-letter language code, with a region or script or not ("ja",
    "pt-br", "zh-tw"): that tag. Longer codes are too often ordinary words ("art")."""
    name = folder.name
    if not re.fullmatch(r"[A-Za-z]{2}(-[A-Za-z0-9]{2,8})*", name):
        return None
    try:
        return check_tag(name)
    except LanguageTagError:
        return None


def _issue_slug(issue: dict[str, Any], folder: Path) -> str:
    if "number" in issue:
        if "volume" in issue:
            return f"vol-{issue['volume']}-no-{issue['number']}"
        return f"no-{issue['number']}"
    return folder.name


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(f'"{needle}"')
    if index < 0:
        index = text.find(f"'{needle}'")
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def find_articles(folder: Path) -> list[Path]:
    """Article files of a zero-config folder (its own level): Markdown and HTML files and page
    bundles (`*/index.md`)."""
    return plan_folder(folder, None)[0].articles


def _load_folder(
    folder: Path, title: str | None, site_root: Path | None, roots: tuple[Path, ...]
) -> LoadedIssue:
    site = find_site(folder, site_root)
    if site is not None:
        roots = (*roots, site.root.resolve())
    planned = plan_folder(folder, site)
    for path in (p for section in planned for p in (*section.articles, section.intro) if p):
        if not inside(path, roots):
            raise outside_error("article (a symlink)", path.resolve(), path)
    if not any(p.articles for p in planned):
        raise InputError(
            "holds no articles and no issue.toml",
            folder,
            hint="add Markdown files (.md) or an issue.toml listing them",
        )
    top_intro = _read_intro(planned[0].intro)
    if planned[0].intro is not None and headless(top_intro):
        raise InputError(
            "is a headless section: its pages are snippets other pages include, never "
            "published on their own (`render: never` or `headless: true`)",
            planned[0].intro,
            hint="build the sections that include them",
        )
    named = top_intro.get("title") if isinstance(top_intro.get("title"), str) else ""
    issue_title = title or named or (site_title(site) if folder.name.startswith("_") else "")
    issue_title = issue_title or folder.name
    publication = _publication(folder, None, None, "", default_name=site_title(site) or issue_title)
    raw: list[RawArticle] = []
    titles: list[str] = []
    intros: list[SectionIntro] = []
    drafts: list[str] = []
    for index, section in enumerate(planned):
        intro_meta = top_intro if index == 0 else _read_intro(section.intro)
        name = issue_title if index == 0 else section_title(section, intro_meta)
        while name in titles:
            name += " (2)"
        members = []
        for path in section.articles:
            article = _read_any(path, name, publication)
            reason = draft_reason(article.meta)
            if reason:
                drafts.append(f"{path.relative_to(folder)} ({reason})")
                continue
            members.append(article)
        if not members:
            continue
        members.sort(key=sort_key)
        raw.extend(members)
        titles.append(name)
        if section.intro is not None and not draft_reason(intro_meta):
            intro = read_article(section.intro, name, publication)
            description = intro_meta.get("description")
            intros.append(
                SectionIntro(
                    name,
                    intro if intro.body.strip() else None,
                    description.strip() if isinstance(description, str) else "",
                )
            )
    notes: list[BuildWarning] = []
    if drafts:
        notes.append(
            BuildWarning(
                f"{len(drafts)} draft{'s' * (len(drafts) != 1)} skipped: {', '.join(drafts)}",
                folder,
            )
        )
    if not raw:
        raise InputError(
            "holds only drafts",
            folder,
            hint="set `draft: false` (or remove `published: false`) on the posts to publish",
        )
    info = IssueInfo(title=issue_title, slug=slugify(issue_title))
    return LoadedIssue(
        folder,
        publication,
        info,
        tuple(raw),
        tuple(titles),
        site=site,
        intros=tuple(intros),
        notes=tuple(notes),
        roots=roots,
    )


def _read_intro(path: Path | None) -> dict[str, Any]:
    """A section's `_index.md` front matter ({} when there is none)."""
    if path is None:
        return {}
    text = decode(_read_bytes(path), path)
    return split_front_matter(text, path)[0]


def _read_any(path: Path, section: str, publication: Publication) -> RawArticle:
    """An article of a zero-config folder: Markdown, or an HTML post through the importer."""
    if path.suffix.lower() in HTML_SUFFIXES:
        return read_html_post(path, decode(_read_bytes(path), path), section, publication)
    return read_article(path, section, publication)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path) from exc


def read_article(path: Path, section: str, publication: Publication) -> RawArticle:
    """Read one article file: bytes → text → front matter + body."""
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        # The importer registers its readers for raw crawled files on first use (imported
        # lazily: it uses this module, and Markdown issues never need it).
        from masthead.sources.imported import register

        register(ARTICLE_READERS, ARTICLE_DECODERS)
    reader = ARTICLE_READERS.get(path.suffix.lower())
    if reader is None and path.suffix.lower() not in ARTICLE_SUFFIXES:
        known = ", ".join(sorted({*ARTICLE_SUFFIXES, *ARTICLE_READERS}))
        raise InputError(f"unsupported article type '{path.suffix}'", path, hint=f"use {known}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path) from exc
    text = ARTICLE_DECODERS.get(path.suffix.lower(), decode)(raw, path)
    if reader is not None:
        return reader(path, text, section, publication)
    meta, body, body_line = split_front_matter(text, path)
    meta_text = "\n".join(text.splitlines()[1 : body_line - 2]) if body_line > 1 else ""
    return RawArticle(path, meta, body, body_line, section, meta_text)
