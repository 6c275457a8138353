"""Related reading across the archive: which article of another issue a related item names (by
slug, address, title or a near match of the title), and what each issue's build is told."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from rapidfuzz import fuzz, process

from masthead.archive.records import Archive, ArticleRecord, IssueRecord
from masthead.compose.assemble import FUZZY_TITLE_THRESHOLD, fuzzy_key, near_title_match, url_key
from masthead.model import ArchiveLinks, ArchiveTarget
from masthead.text import slugify, title_key

Place = tuple[int, str]  # (index of the issue in the archive, article id).
# (issue index, article file, index of the related item) -> the article of another issue.
Targets = dict[tuple[int, str, int], Place]


def _preference(issue: int, other: int) -> tuple[int, int]:
    """Which issue a name means when several hold it: the nearest earlier one, else the
    nearest later one."""
    return (0, issue - other) if other < issue else (1, other - issue)


@dataclass
class _Lookup:
    """Every article of the archive by slug, address and title."""

    by_key: dict[str, list[Place]]
    fuzzy_keys: list[str]
    places: list[Place]
    titles: list[str]

    @classmethod
    def of(cls, archive: Archive) -> _Lookup:
        by_key: dict[str, list[Place]] = defaultdict(list)
        fuzzy_keys: list[str] = []
        places: list[Place] = []
        titles: list[str] = []
        for index, issue in enumerate(archive.issues):
            for article in issue.articles:
                place = (index, article.id)
                keys = {f"s:{article.id}", f"s:{slugify(article.title)}"}
                keys.add(f"t:{title_key(article.title)}")
                if key := url_key(article.url):
                    keys.add(f"u:{key}")
                for key in keys:
                    by_key[key].append(place)
                fuzzy_keys.append(fuzzy_key(article.title))
                places.append(place)
                titles.append(article.title)
        return cls(dict(by_key), fuzzy_keys, places, titles)

    def exact(self, keys: Iterable[str], issue: int) -> Place | None:
        for key in keys:
            found = [p for p in self.by_key.get(key, ()) if p[0] != issue]
            if found:
                return min(found, key=lambda p: _preference(issue, p[0]))
        return None

    def near(self, title: str, issue: int) -> Place | None:
        # rapidfuzz narrows thousands of titles to the few close ones; the rule that decides
        # is the one a single issue uses (compose.assemble.near_title_match).
        close = process.extract(
            fuzzy_key(title),
            self.fuzzy_keys,
            scorer=fuzz.ratio,
            score_cutoff=FUZZY_TITLE_THRESHOLD,
            limit=None,
        )
        candidates = sorted(
            (i for _, _, i in close if self.places[i][0] != issue),
            key=lambda i: _preference(issue, self.places[i][0]),
        )
        match = near_title_match(
            title, [(str(i), self.titles[i]) for i in candidates], first_of_equals=True
        )
        return self.places[int(match)] if match is not None else None


def find_targets(archive: Archive) -> Targets:
    """The article of another issue that each related item names, where it names one and
    names no article of its own issue."""
    lookup = _Lookup.of(archive)
    found: Targets = {}
    for index, issue in enumerate(archive.issues):
        for article in issue.articles:
            for position, item in enumerate(article.related):
                if item.target:
                    continue  # An article of this issue.
                keys = []
                if item.slug:
                    keys.append(f"s:{slugify(item.slug)}")
                if key := url_key(item.url):
                    keys.append(f"u:{key}")
                keys += [f"t:{title_key(item.title)}", f"s:{slugify(item.title)}"]
                place = lookup.exact(keys, index)
                if place is None and not item.url:
                    place = lookup.near(item.title, index)
                if place is not None:
                    found[index, article.file, position] = place
    return found


def read_pages(state: Path) -> Callable[[str], dict[str, int]]:
    """Page numbers of articles in each issue's last PDF (build.py keeps them by output stem)."""
    cache: dict[str, dict[str, int]] = {}

    def pages(stem: str) -> dict[str, int]:
        if stem not in cache:
            try:
                data = json.loads((state / f"{stem}.numbers.json").read_text())
                numbers = data.get("numbers", {})
                cache[stem] = {k: v for k, v in numbers.items() if isinstance(v, int)}
            except (OSError, ValueError, AttributeError):
                cache[stem] = {}
        return cache[stem]

    return pages


@dataclass(frozen=True)
class LinkPlan:
    """What each issue's build is told, and which issues each one points to."""

    links: tuple[ArchiveLinks, ...]  # One per issue of the archive, in its order.
    points_to: tuple[frozenset[int], ...]


def target(
    archive: Archive,
    place: Place,
    pages: Callable[[str], dict[str, int]] | None,
    base_url: str,
) -> ArchiveTarget:
    issue = archive.issues[place[0]]
    article = article_of(issue, place[1])
    made = ArchiveTarget(
        title=article.title,
        issue_label=issue.label,
        issue_number=issue.number,
        issue_slug=issue.slug,
        article_id=article.id,
        page=pages(issue.stem).get(article.id) if pages is not None else None,
        url=article.url,
    )
    if base_url:
        return replace(made, archive_url=f"{base_url.rstrip('/')}/{made.archive_path}")
    return made


def article_of(issue: IssueRecord, article_id: str) -> ArticleRecord:
    return next(a for a in issue.articles if a.id == article_id)


def plan_links(
    archive: Archive,
    targets: Targets,
    suggestions: dict[tuple[int, str], list[Place]],
    pages: Callable[[str], dict[str, int]] | None,
    base_url: str = "",
) -> LinkPlan:
    """Each issue's ArchiveLinks: only what that issue uses, so that nothing about another
    issue changes its build's inputs unless it links there."""
    related: dict[int, list[tuple[str, int, ArchiveTarget]]] = defaultdict(list)
    suggested: dict[int, list[tuple[str, tuple[ArchiveTarget, ...]]]] = defaultdict(list)
    points_to: dict[int, set[int]] = defaultdict(set)
    for (index, file, position), place in sorted(targets.items()):
        related[index].append((file, position, target(archive, place, pages, base_url)))
        points_to[index].add(place[0])
    for (index, file), places in sorted(suggestions.items()):
        if places:
            made = tuple(target(archive, p, pages, base_url) for p in places)
            suggested[index].append((file, made))
            points_to[index].update(p[0] for p in places)
    name = archive.publication.name
    return LinkPlan(
        links=tuple(
            ArchiveLinks(name, tuple(related[i]), tuple(suggested[i]))
            for i in range(len(archive.issues))
        ),
        points_to=tuple(frozenset(points_to[i] - {i}) for i in range(len(archive.issues))),
    )
