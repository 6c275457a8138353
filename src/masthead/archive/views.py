"""What the archive's pages and feeds show, worked out once from the records: each issue with its
files and cover, each article with its page, related reading and suggestions, every author and
tag. Paths are relative to the archive folder (`dist/archive/`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from masthead.archive.records import Archive, ArticleRecord, IssueRecord
from masthead.archive.related import Place, Targets
from masthead.archive.suggest import Suggestions
from masthead.text import slugify

# Files of an issue the archive offers, in this order: (suffix, label, media type).
EDITIONS = (
    (".epub", "EPUB", "application/epub+zip"),
    (".kepub.epub", "Kobo EPUB", "application/kepub+zip"),
    (".pdf", "PDF", "application/pdf"),
)


@dataclass(frozen=True)
class Edition:
    label: str  # "EPUB", "Kobo EPUB", "PDF".
    href: str  # Like "files/the-lantern-no-7.epub".
    media_type: str
    size: int  # Bytes.
    source: Path  # The built file in the output folder.

    @property
    def size_text(self) -> str:
        return f"{self.size / 1_000_000:.1f} MB" if self.size >= 100_000 else "0.1 MB"


@dataclass(frozen=True)
class Related:
    """A related item as an archive page shows it."""

    title: str
    href: str = ""  # Relative to the archive folder when `internal`, else an address.
    internal: bool = False
    note: str = ""  # Like "No. 5, p. 12" or "in this issue".
    suggested: bool = False
    also_from: str = ""  # The publication, for an item that names nothing.


@dataclass
class IssueView:
    record: IssueRecord
    href: str  # "issues/<slug>.html".
    editions: list[Edition] = field(default_factory=list)
    cover: str = ""  # "covers/<slug>.jpg" when there is a cover.
    thumbnail: str = ""
    sections: list[tuple[str, list[ArticleView]]] = field(default_factory=list)

    @property
    def articles(self) -> list[ArticleView]:
        return [a for _, articles in self.sections for a in articles]

    @property
    def authors(self) -> list[str]:
        return list(dict.fromkeys(name for a in self.articles for name in a.record.authors))


@dataclass
class ArticleView:
    record: ArticleRecord
    issue: IssueView
    href: str  # "articles/<issue slug>/<id>.html".
    page: int | None = None
    related: list[Related] = field(default_factory=list)
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, href).
    tags: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Group:
    """An author's or a tag's articles, newest first."""

    name: str
    href: str
    articles: list[ArticleView] = field(default_factory=list)


@dataclass
class Site:
    archive: Archive
    issues: list[IssueView]  # Newest first.
    authors: list[Group]  # By name.
    tags: list[Group]
    base_url: str = ""

    @property
    def updated(self) -> dt.date | None:
        return max((i.record.date for i in self.issues if i.record.date), default=None)


@dataclass(frozen=True)
class Sources:
    """What the site is made from besides the records."""

    targets: Targets
    suggestions: Suggestions
    pages: dict[str, dict[str, int]]  # Output stem -> article id -> PDF page.
    out_dir: Path
    covers: dict[str, tuple[str, str]]  # Issue slug -> (cover, thumbnail) paths, if made.
    built: set[Path]  # Issue folders whose build succeeded (their files are current).


def _unique(names: list[str]) -> dict[str, str]:
    """A file name for each name: its slug, made unique."""
    taken: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names)):
        slug = slugify(name)
        candidate, n = slug, 2
        while candidate in used:
            candidate, n = f"{slug}-{n}", n + 1
        used.add(candidate)
        taken[name] = candidate
    return taken


def make_site(archive: Archive, sources: Sources, base_url: str = "") -> Site:
    issues = [
        IssueView(record, f"issues/{record.slug}.html")
        for record in archive.issues
        if record.folder in sources.built or not sources.built
    ]
    index_of = {id(r): i for i, r in enumerate(archive.issues)}
    views: dict[Place, ArticleView] = {}
    for view in issues:
        record = view.record
        pages = sources.pages.get(record.stem, {})
        for suffix, label, media_type in EDITIONS:
            built = sources.out_dir / f"{record.stem}{suffix}"
            if built.is_file():
                href = f"files/{built.name}"
                view.editions.append(Edition(label, href, media_type, built.stat().st_size, built))
        view.cover, view.thumbnail = sources.covers.get(record.slug, ("", ""))
        by_section: dict[str, list[ArticleView]] = defaultdict(list)
        for article in record.articles:
            href = f"articles/{record.slug}/{article.id}.html"
            item = ArticleView(article, view, href, pages.get(article.id))
            by_section[article.section].append(item)
            views[index_of[id(record)], article.id] = item
        view.sections = [(s, by_section[s]) for s in record.sections if by_section[s]]
    author_names = _unique([n for v in views.values() for n in v.record.authors])
    tag_names = _unique([t for v in views.values() for t in v.record.tags])
    authors = {n: Group(n, f"authors/{s}.html") for n, s in author_names.items()}
    tags = {n: Group(n, f"tags/{s}.html") for n, s in tag_names.items()}
    for (index, _), article_view in views.items():
        written = article_view.record
        article_view.authors = [(n, authors[n].href) for n in written.authors]
        article_view.tags = [(t, tags[t].href) for t in written.tags]
        article_view.related = _related(archive, index, article_view, views, sources)
        for name in written.authors:
            authors[name].articles.append(article_view)
        for tag in written.tags:
            tags[tag].articles.append(article_view)
    for group in [*authors.values(), *tags.values()]:
        group.articles.sort(key=lambda a: a.issue.record.sort_key, reverse=True)
    issues.reverse()  # Newest first.
    return Site(
        archive,
        issues,
        sorted(authors.values(), key=lambda g: g.name.casefold()),
        sorted(tags.values(), key=lambda g: g.name.casefold()),
        base_url,
    )


def _note(view: ArticleView) -> str:
    label = view.issue.record.label
    return f"{label}, p. {view.page}" if view.page else label


def _related(
    archive: Archive,
    index: int,
    view: ArticleView,
    views: dict[Place, ArticleView],
    sources: Sources,
) -> list[Related]:
    items: list[Related] = []
    for position, item in enumerate(view.record.related):
        if item.target and (index, item.target) in views:
            other = views[index, item.target]
            items.append(Related(other.record.title, other.href, True, "in this issue"))
            continue
        place = sources.targets.get((index, view.record.file, position))
        if place is not None and place in views:
            other = views[place]
            items.append(Related(other.record.title, other.href, True, _note(other)))
        elif item.url:
            items.append(Related(item.title, item.url))
        else:
            # One issue is not an archive: its unlinked titles print as they always have.
            name = archive.publication.name if len(archive.issues) > 1 else ""
            items.append(Related(item.title, also_from=name))
    for place in sources.suggestions.get((index, view.record.file), []):
        if place in views:
            other = views[place]
            items.append(Related(other.record.title, other.href, True, _note(other), True))
    return items
