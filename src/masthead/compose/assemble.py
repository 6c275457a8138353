"""Stage 3 — assemble: articles into sections, related reading matched, identity fixed."""

from __future__ import annotations

import mimetypes
import re
import uuid
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image as PILImage
from rapidfuzz import fuzz

from masthead.compose.normalise import article_ids, normalise
from masthead.model import (
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


def assemble(loaded: LoadedIssue) -> tuple[Issue, list[BuildWarning]]:
    ids = article_ids(loaded.articles)
    warnings: list[BuildWarning] = []
    articles: list[Article] = []
    for raw in loaded.articles:
        article, article_warnings = normalise(raw, ids)
        articles.append(article)
        warnings.extend(article_warnings)

    articles = share_images(link_related(articles))
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
        sections.append(Section(title=title, id=section_id, articles=members))

    cover = None
    if loaded.info.cover_image is not None:
        path = loaded.info.cover_image
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        width = height = None
        if media_type != "image/svg+xml":
            with PILImage.open(path) as im:
                width, height = im.size
        suffix = ".jpg" if path.suffix.lower() == ".jpeg" else path.suffix.lower()
        cover = Asset(path, f"images/cover-art{suffix}", media_type, width, height)

    issue = Issue(
        source=loaded.source,
        publication=loaded.publication,
        info=loaded.info,
        sections=tuple(sections),
        identifier=issue_identifier(loaded),
        cover_image=cover,
    )
    return issue, warnings


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
                (by_key.get(f"u:{_url_key(item.url)}") if _url_key(item.url) else None)
                or by_key.get(f"t:{title_key(item.title)}")
                or by_key.get(f"s:{slugify(item.title)}")
            )
            if target == article.id:
                target = None
            if target is None:
                target = fuzzy_title_match(item.title, articles, exclude=article.id)
            items.append(RelatedLink(item.title, item.url, target or ""))
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
    key = _fuzzy_key(title)
    numbers = re.findall(r"\d+", key)
    scored = sorted(
        (
            (fuzz.ratio(key, _fuzzy_key(a.title)), a.id)
            for a in articles
            if a.id != exclude and re.findall(r"\d+", _fuzzy_key(a.title)) == numbers
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < FUZZY_TITLE_THRESHOLD:
        return None
    if len(scored) > 1 and scored[1][0] >= FUZZY_TITLE_THRESHOLD and scored[1][0] == scored[0][0]:
        return None  # Two articles fit equally well: link neither rather than guess.
    return scored[0][1]
