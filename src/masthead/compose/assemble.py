"""Stage 3 — assemble: articles into sections, related reading matched, identity fixed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from masthead.compose.images import ImageRules, cover_asset
from masthead.compose.links import LinkContext, page_map
from masthead.compose.normalise import article_ids, normalise
from masthead.compose.typography import smart_issue
from masthead.model import (
    ArchiveLinks,
    ArchiveTarget,
    Article,
    Asset,
    BuildWarning,
    Issue,
    LoadedIssue,
    RelatedLink,
    Section,
)
from masthead.text import slugify, title_key


def share_images(articles: list[Article]) -> list[Article]:
    """An image file that several articles use is one file in the outputs, under the name the
    first of them gave it."""
    first: dict[Path, Asset] = {}
    shared: list[Article] = []
    for article in articles:
        renames: dict[str, str] = {}
        assets: list[Asset] = []
        for asset in article.assets:
            kept = first.setdefault(asset.source, asset)
            if kept.href != asset.href:
                renames[asset.href] = kept.href
            assets.append(kept)
        if renames:
            xhtml, html = article.body_xhtml, article.body_html
            for old, new in renames.items():
                xhtml = xhtml.replace(f'"{old}"', f'"{new}"')
                html = html.replace(f'"{old}"', f'"{new}"')
            lead = article.lead_image
            if lead is not None and lead.asset is not None:
                lead = replace(lead, asset=first[lead.asset.source])
            article = replace(
                article,
                body_xhtml=xhtml,
                body_html=html,
                lead_image=lead,
                assets=tuple(dict.fromkeys(assets)),
            )
        shared.append(article)
    return shared


def assemble(
    loaded: LoadedIssue, archive: ArchiveLinks | None = None, rules: ImageRules | None = None
) -> tuple[Issue, list[BuildWarning]]:
    """The issue; `archive`: what the publication's other issues give its related reading;
    `rules`: what the build asks of images (the PDF's page size, the cache; the folders they
    may come from are the loaded issue's)."""
    rules = replace(rules or ImageRules(), roots=loaded.roots)
    warnings: list[BuildWarning] = list(loaded.notes)
    ids = article_ids(loaded.articles, warnings)
    links = LinkContext(ids, loaded.site, page_map(loaded.site, loaded.articles, ids))
    articles: list[Article] = []
    for raw in loaded.articles:
        article, article_warnings = normalise(raw, ids, links, rules, loaded.publication.language)
        articles.append(article)
        warnings.extend(article_warnings)
    intros = section_intros(loaded, links, warnings)

    articles = link_related(articles)
    if archive is not None:
        articles, archive_warnings = link_archive(articles, archive, loaded.source)
        warnings.extend(archive_warnings)
    articles = share_images(articles)
    lines = {raw.path: raw.meta_line("related") for raw in loaded.articles}
    warnings.extend(unresolved_related(articles, lines))
    sections = []
    used_ids = {a.id for a in articles}
    for title in loaded.section_titles:
        members = tuple(a for a in articles if a.section == title)
        if not members:
            warnings.append(BuildWarning(f"section '{title}' has no articles", loaded.source))
            continue
        section_id = f"section-{slugify(title, 'section')}"
        while section_id in used_ids:
            section_id += "-s"
        used_ids.add(section_id)
        sections.append(
            replace(intros.get(title, _NO_INTRO), title=title, id=section_id, articles=members)
        )

    cover = cover_asset(loaded, rules, warnings)
    issue = Issue(
        source=loaded.source,
        publication=loaded.publication,
        info=loaded.info,
        sections=tuple(sections),
        identifier=issue_identifier(loaded),
        cover_image=cover,
        read_files=_read_files(loaded, articles),
    )
    # Typographer's punctuation in every title, dek, line and caption, once, for every edition.
    return smart_issue(issue), warnings


_NO_INTRO = Section(title="", id="", articles=())


def section_intros(
    loaded: LoadedIssue, links: LinkContext, warnings: list[BuildWarning]
) -> dict[str, Section]:
    """Each section's introduction (its `_index.md`), rendered like an article's body, as a
    Section without articles yet."""
    found: dict[str, Section] = {}
    for intro in loaded.intros:
        xhtml = html = ""
        assets: tuple[Asset, ...] = ()
        if intro.raw is not None:
            raw = replace(intro.raw, meta={"title": intro.section, **intro.raw.meta})
            ids = {**links.ids, raw.path: f"intro-{slugify(intro.section, 'section')}"}
            rendered, intro_warnings = normalise(raw, ids, replace(links, ids=ids))
            warnings.extend(intro_warnings)
            xhtml, html, assets = rendered.body_xhtml, rendered.body_html, rendered.assets
        found[intro.section] = Section(
            title=intro.section,
            id="",
            articles=(),
            intro_xhtml=xhtml,
            intro_html=html,
            description=intro.description,
            intro_assets=assets,
        )
    return found


def _read_files(loaded: LoadedIssue, articles: list[Article]) -> tuple[Path, ...]:
    """Files the build read besides the articles and images: the site's config, section intros,
    snippets the articles included."""
    files = [intro.raw.path for intro in loaded.intros if intro.raw is not None]
    files += [path for article in articles for path in article.read_files]
    if loaded.site is not None and loaded.site.config_file is not None:
        files.append(loaded.site.config_file)
    return tuple(files)


def issue_identifier(loaded: LoadedIssue) -> str:
    """Stable per issue: the same publication, volume and number give the same identifier."""
    pub = loaded.publication
    info = loaded.info
    if info.number is not None:
        name = f"masthead:{pub.issn or pub.url or pub.name}:{info.volume}:{info.number}"
    else:
        name = f"masthead:{pub.issn or pub.url or pub.name}:{info.title}:{info.date}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}" if parts.netloc else ""


def link_related(articles: list[Article]) -> list[Article]:
    """Point related items at articles of this issue (by url, slug or title, exactly and then by
    a near match of the title); others keep their urls."""
    by_key: dict[str, str] = {}
    for a in articles:
        by_key.setdefault(f"t:{title_key(a.title)}", a.id)
        by_key.setdefault(f"s:{a.id}", a.id)
        if key := _url_key(a.url):
            by_key.setdefault(f"u:{key}", a.id)
    linked = []
    for article in articles:
        items = []
        for item in article.related:
            target = (
                (by_key.get(f"s:{slugify(item.slug)}") if item.slug else None)
                or (by_key.get(f"u:{_url_key(item.url)}") if _url_key(item.url) else None)
                or by_key.get(f"t:{title_key(item.title)}")
                or by_key.get(f"s:{slugify(item.title)}")
            )
            if target == article.id:
                target = None
            if target is None:
                target = fuzzy_title_match(item.title, articles, exclude=article.id)
            items.append(replace(item, target=target or ""))
        linked.append(replace(article, related=tuple(items)))
    return linked


# Related titles that name no article exactly are compared with the issue's titles by rapidfuzz's
# normalised Indel similarity (0-100) of their keys: case, punctuation, spaces and a leading
# "The"/"A" ignored, "&" read as "and". Then "Drug-Money"/"Drug Money", "Hit Men"/"Hitmen" and
# "U.S."/"US" are equal, "Colour"/"Color" scores 97, and one wrong letter in a 15-letter title
# scores 93 (a typo), while titles that differ by a word ("Counting the Days" for "Counting the
# Dark") score 87 or less: tests/test_import_related.py measures both sides.
FUZZY_TITLE_THRESHOLD = 92


def _fuzzy_key(title: str) -> str:
    key = title_key(title.replace("&", " and "))
    return re.sub(r"^(?:the|a|an) ", "", key).replace(" ", "")


def fuzzy_title_match(title: str, articles: list[Article], exclude: str = "") -> str | None:
    """The id of the one article whose title is nearly `title` (same numbers, score at least
    FUZZY_TITLE_THRESHOLD, clearly the best), or None."""
    return near_title_match(title, [(a.id, a.title) for a in articles if a.id != exclude])


def near_title_match(
    title: str, candidates: Sequence[tuple[str, str]], *, first_of_equals: bool = False
) -> str | None:
    """The key of the one (key, title) candidate whose title is nearly `title`, or None.

    `first_of_equals`: candidates with the same title (a title in several issues of an
    archive) are one, the first of them (list the preferred first); else they tie."""
    key = _fuzzy_key(title)
    numbers = re.findall(r"\d+", key)
    scored: list[tuple[float, int, str, str]] = []
    for order, (name, candidate) in enumerate(candidates):
        candidate_key = _fuzzy_key(candidate)
        if re.findall(r"\d+", candidate_key) == numbers:
            scored.append((fuzz.ratio(key, candidate_key), -order, candidate_key, name))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < FUZZY_TITLE_THRESHOLD:
        return None
    best = scored[0]
    if any(s[0] == best[0] and (s[2] != best[2] or not first_of_equals) for s in scored[1:]):
        return None  # Two articles fit equally well: link neither rather than guess.
    return max((s for s in scored if s[2] == best[2]), key=lambda s: s[1])[3]


def url_key(url: str) -> str:
    """An address reduced to host and path, to compare links (no scheme, no trailing slash)."""
    return _url_key(url)


def unresolved_related(
    articles: list[Article], lines: dict[Path, int | None]
) -> list[BuildWarning]:
    """One warning per article naming its related items that lead nowhere: no article of this
    issue (nor of the archive) and no web address (printed as plain text). `lines`: the line of
    `related`, by file. (Items the archive prints as "Also from …" have a warning of their own.)"""
    found = []
    for article in articles:
        loose = [
            f"'{item.title}'"
            for item in article.related
            if not (item.target or item.url or item.elsewhere or item.also_from)
        ]
        if loose:
            found.append(
                BuildWarning(
                    "related reading that leads nowhere (no article of this issue, no web "
                    f"address), printed as plain text: {', '.join(loose)}",
                    article.source,
                    lines.get(article.source),
                )
            )
    return found


def link_archive(
    articles: list[Article], archive: ArchiveLinks, folder: Path
) -> tuple[list[Article], list[BuildWarning]]:
    """Related items the issue could not link point to the archive's articles, as the archive
    step matched them (archive/related.py); the rest, with no address, are named in a warning
    and print as "Also from <Publication>"; suggested reading fills up the list."""
    named: dict[tuple[str, int], ArchiveTarget] = {
        (file, index): target for file, index, target in archive.related
    }
    suggested = dict(archive.suggested)
    warnings: list[BuildWarning] = []
    linked: list[Article] = []
    for article in articles:
        file = _relative_name(article.source, folder)
        items: list[RelatedLink] = []
        for index, item in enumerate(article.related):
            if not item.target and (file, index) in named:
                item = replace(item, elsewhere=named[file, index])
            elif not item.target and not item.url:
                item = replace(item, also_from=archive.publication)
                warnings.append(
                    BuildWarning(
                        f"related item '{item.title}' names no article of the archive and has "
                        "no url: printed as 'Also from "
                        f"{archive.publication}'",
                        article.source,
                    )
                )
            items.append(item)
        for target in suggested.get(file, ()):
            items.append(RelatedLink(target.title, elsewhere=target, suggested=True))
        linked.append(replace(article, related=tuple(items)))
    return linked, warnings


def _relative_name(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def fuzzy_key(title: str) -> str:
    """The form of a title that near matches compare (see FUZZY_TITLE_THRESHOLD)."""
    return _fuzzy_key(title)
