"""The archive's catalogs: OPDS 1.2 (Atom) and OPDS 2.0 (JSON) acquisition feeds that reading
apps subscribe to, and an Atom feed of issues for feed readers. Newest first, PAGE_SIZE issues
a page with `next` links; links relative to the archive folder, or absolute with a base URL."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from masthead.archive.views import IssueView, Site
from masthead.render.theme import Theme

PAGE_SIZE = 50
OPDS_KIND = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPDS2_TYPE = "application/opds+json"


@dataclass(frozen=True)
class FeedPage:
    number: int
    issues: list[IssueView]
    count: int  # Pages in all.

    def _name(self, number: int, suffix: str) -> str:
        return f"catalog{suffix}" if number == 1 else f"catalog-{number}{suffix}"

    @property
    def path(self) -> str:
        return self._name(self.number, ".xml")

    @property
    def json(self) -> str:
        return self._name(self.number, ".json")

    @property
    def first(self) -> str:
        return self._name(1, ".xml")

    @property
    def last(self) -> str:
        return self._name(self.count, ".xml")

    @property
    def previous(self) -> str:
        return self._name(self.number - 1, ".xml") if self.number > 1 else ""

    @property
    def next(self) -> str:
        return self._name(self.number + 1, ".xml") if self.number < self.count else ""


def pages_of(issues: list[IssueView], size: int = PAGE_SIZE) -> list[FeedPage]:
    count = max(1, -(-len(issues) // size))
    return [FeedPage(n + 1, issues[n * size : (n + 1) * size], count) for n in range(count)]


class Links:
    """Paths of the archive folder as written in a feed: unchanged, or under a base URL."""

    def __init__(self, base_url: str = "") -> None:
        self.base = base_url.rstrip("/") + "/" if base_url else ""

    def __call__(self, path: str) -> str:
        return f"{self.base}{path}"


def _stamp(day: dt.date | None) -> str:
    """An Atom date: the issue's day at midnight UTC (never the time of the build, so that a
    feed is rewritten only when an issue changes)."""
    return f"{(day or dt.date(1980, 1, 1)).isoformat()}T00:00:00Z"


def feed_id(site: Site, kind: str) -> str:
    publication = site.archive.publication
    name = publication.issn or publication.url or publication.name
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'masthead:{name}:{kind}')}"


def render_feeds(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every feed file of the archive, by path inside the archive folder."""
    href = Links(site.base_url)
    publication = site.archive.publication
    common = {
        "publication": publication,
        "lang": publication.language,
        "updated": _stamp(site.updated),
        "href": href,
        "stamp": _stamp,
    }
    files: dict[str, bytes] = {}
    # An issue whose build made no file has nothing to acquire: it waits for its next build.
    issues = [issue for issue in site.issues if issue.editions]
    for page in pages_of(issues):
        files[page.path] = theme.render(
            "archive/opds.xml",
            page=page,
            kind=OPDS_KIND,
            feed_id=feed_id(site, "opds"),
            **common,
        ).encode()
        feed = opds2(site, page, href, len(issues))
        files[page.json] = (json.dumps(feed, indent=1, ensure_ascii=False) + "\n").encode()
    files["feed.xml"] = theme.render(
        "archive/atom.xml", issues=issues[:PAGE_SIZE], feed_id=feed_id(site, "atom"), **common
    ).encode()
    return files


def opds2(site: Site, page: FeedPage, href: Links, total: int) -> dict[str, Any]:
    """An OPDS 2.0 feed page (https://drafts.opds.io/opds-2.0)."""
    publication = site.archive.publication
    links = [
        {"rel": "self", "href": href(page.json), "type": OPDS2_TYPE},
        {"rel": "start", "href": href(FeedPage(1, [], 1).json), "type": OPDS2_TYPE},
        {"rel": "alternate", "href": href("index.html"), "type": "text/html"},
    ]
    if page.previous:
        previous = page.previous.removesuffix(".xml") + ".json"
        links.append({"rel": "previous", "href": href(previous), "type": OPDS2_TYPE})
    if page.next:
        following = page.next.removesuffix(".xml") + ".json"
        links.append({"rel": "next", "href": href(following), "type": OPDS2_TYPE})
    metadata: dict[str, Any] = {
        "title": publication.name,
        "numberOfItems": total,
        "itemsPerPage": PAGE_SIZE,
        "currentPage": page.number,
        "modified": _stamp(site.updated),
    }
    if publication.description:
        metadata["description"] = publication.description
    return {
        "metadata": metadata,
        "links": links,
        "publications": [_publication(site, issue, href) for issue in page.issues],
    }


def _publication(site: Site, issue: IssueView, href: Links) -> dict[str, Any]:
    publication = site.archive.publication
    record = issue.record
    periodical: dict[str, Any] = {"name": publication.name}
    if publication.issn:
        periodical["identifier"] = f"urn:issn:{publication.issn}"
    elif publication.url:
        periodical["identifier"] = publication.url
    if record.number is not None:
        periodical["issue"] = {"name": record.title, "position": record.number}
    if record.volume is not None:
        periodical["volume"] = {"position": record.volume}
    metadata: dict[str, Any] = {
        "@type": "http://schema.org/PublicationIssue",
        "title": record.full_title,
        "identifier": record.identifier,
        "language": publication.language,
        "modified": _stamp(record.date),
        "belongsTo": {"periodical": periodical},
    }
    if record.date:
        metadata["published"] = record.date.isoformat()
    if issue.authors:
        metadata["author"] = [{"name": name} for name in issue.authors]
    if publication.publisher:
        metadata["publisher"] = publication.publisher
    if record.description:
        metadata["description"] = record.description
    tags = list(dict.fromkeys(t for a in issue.articles for t in a.record.tags))
    if tags:
        metadata["subject"] = tags
    links: list[dict[str, Any]] = [
        {
            "rel": "http://opds-spec.org/acquisition",
            "href": href(edition.href),
            "type": edition.media_type,
            "title": edition.label,
        }
        for edition in issue.editions
    ]
    links.append({"rel": "alternate", "href": href(issue.href), "type": "text/html"})
    made: dict[str, Any] = {"metadata": metadata, "links": links}
    if issue.cover:
        made["images"] = [
            {"href": href(issue.cover), "type": "image/jpeg", "rel": "cover"},
            {
                "href": href(issue.thumbnail),
                "type": "image/jpeg",
                "rel": "http://opds-spec.org/image/thumbnail",
            },
        ]
    return made
