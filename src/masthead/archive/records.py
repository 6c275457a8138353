"""The archive's index: one light record per issue and article, what the archive's pages, feeds,
cross-issue links and suggestions read; kept between builds, made again only for issues whose
files changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from masthead import __version__
from masthead.errors import MastheadError
from masthead.files import file_digest, write_all
from masthead.model import Issue, Publication
from masthead.text import slugify

RECORD_VERSION = 1
INDEX_DIR = "archive/records"  # Inside the output folder's state directory.


@dataclass(frozen=True)
class RelatedRecord:
    """A related item as the article's front matter gives it; `target`: an article of the same
    issue it names (compose.assemble.link_related)."""

    title: str
    url: str = ""
    slug: str = ""
    target: str = ""


@dataclass(frozen=True)
class ArticleRecord:
    id: str
    title: str
    file: str  # Relative to the issue folder, like "night-ferry.md".
    section: str = ""
    dek: str = ""
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    tags: tuple[str, ...] = ()
    summary: str = ""
    url: str = ""
    related: tuple[RelatedRecord, ...] = ()
    text: str = ""  # The body as plain text (for similarity).
    word_count: int = 0


@dataclass(frozen=True)
class IssueRecord:
    """One issue as the archive sees it."""

    folder: Path
    slug: str  # Like "vol-3-no-7"; the archive's pages are named by it.
    stem: str  # Output file names without extension, like "the-lantern-vol-3-no-7".
    title: str
    full_title: str
    identifier: str  # "urn:uuid:…", the EPUB's.
    date: dt.date | None = None
    number: int | None = None
    volume: int | None = None
    description: str = ""
    cover_lines: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    articles: tuple[ArticleRecord, ...] = ()
    digest: str = ""  # Of the files it was made from (see source_digest).

    @property
    def label(self) -> str:
        """How a reference names the issue: "No. 5", else its title."""
        return f"No. {self.number}" if self.number is not None else self.title

    @property
    def sort_key(self) -> tuple[dt.date, int, str]:
        """Oldest first: by date, then number, then folder name."""
        return (self.date or dt.date.min, self.number or 0, self.folder.name)


@dataclass(frozen=True)
class Archive:
    """The publication and its issues, oldest first; `failed`: issues that could not be read."""

    publication: Publication
    folder: Path
    issues: tuple[IssueRecord, ...]
    failed: tuple[tuple[Path, MastheadError], ...] = field(default=())


def plain_text(html: str) -> str:
    """An article body's words, without markup."""
    import lxml.html

    if not html.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())


def issue_record(issue: Issue, digest: str = "") -> IssueRecord:
    """The record of an assembled issue."""
    folder = issue.source
    articles = []
    for article in issue.articles:
        try:
            file = article.source.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            file = article.source.name
        articles.append(
            ArticleRecord(
                id=article.id,
                title=article.title,
                file=file,
                section=article.section,
                dek=article.dek,
                authors=article.authors,
                date=article.date,
                tags=article.tags,
                summary=article.summary,
                url=article.url,
                related=tuple(
                    RelatedRecord(r.title, r.url, r.slug, r.target) for r in article.related
                ),
                text=plain_text(article.body_html),
                word_count=article.word_count,
            )
        )
    info = issue.info
    return IssueRecord(
        folder=folder,
        slug=info.slug or slugify(info.title),
        stem=issue.output_stem,
        title=info.title,
        full_title=issue.full_title,
        identifier=issue.identifier,
        date=issue.date,
        number=info.number,
        volume=info.volume,
        description=info.description,
        cover_lines=info.cover_lines or tuple(a.title for a in issue.articles[:3]),
        sections=tuple(s.title for s in issue.sections),
        articles=tuple(articles),
        digest=digest,
    )


_CODE_DIGEST: list[str] = []


def _code_digest() -> str:
    """Of the code that makes a record (loading and composing), once per process."""
    if not _CODE_DIGEST:
        root = Path(__file__).resolve().parents[1]
        digest = hashlib.sha256(f"{__version__}\0{RECORD_VERSION}".encode())
        files = [*sorted((root / "sources").glob("*.py")), *sorted((root / "compose").glob("*.py"))]
        files += [root / "model.py", root / "settings.py", root / "text.py", Path(__file__)]
        for file in files:
            digest.update(f"\0{file.name}\0{file_digest(file)}".encode())
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


def source_digest(folder: Path) -> str:
    """A hash of every file of an issue folder (hidden ones aside) and the publication's
    settings: a record made from the same digest is the same record."""
    digest = hashlib.sha256(_code_digest().encode())
    shared = folder.parent / "publication.toml"
    files = [shared] if shared.is_file() else []
    files += sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    for file in files:
        stat = file.stat()
        # Size and mtime first: hashing every image of every issue on each build is slow.
        digest.update(f"\0{file}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _to_json(record: IssueRecord) -> dict[str, Any]:
    data = asdict(record)
    data["folder"] = str(record.folder)
    return data


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _from_json(data: dict[str, Any]) -> IssueRecord:
    articles = tuple(
        ArticleRecord(
            **{
                **a,
                "authors": tuple(a["authors"]),
                "tags": tuple(a["tags"]),
                "date": _date(a["date"]),
                "related": tuple(RelatedRecord(**r) for r in a["related"]),
            }
        )
        for a in data["articles"]
    )
    return IssueRecord(
        **{
            **data,
            "folder": Path(data["folder"]),
            "date": _date(data["date"]),
            "cover_lines": tuple(data["cover_lines"]),
            "sections": tuple(data["sections"]),
            "articles": articles,
        }
    )


def _record_file(state: Path, folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    return state / INDEX_DIR / f"{key}.json"


def load_archive(publication_folder: Path, issue_folders: list[Path], state: Path) -> Archive:
    """The records of a publication's issues: kept ones where the files are as they were, new
    ones (the issue loaded and assembled) for the others. An issue that cannot be read is in
    `failed`; its build reports why."""
    from masthead.build import prepare

    records: list[IssueRecord] = []
    failed: list[tuple[Path, MastheadError]] = []
    fresh: dict[Path, bytes] = {}
    publication = publication_settings(publication_folder)
    for folder in issue_folders:
        digest = source_digest(folder)
        file = _record_file(state, folder)
        record = None
        try:
            kept = json.loads(file.read_text())
            if kept.get("digest") == digest:
                record = _from_json(kept)
        except (OSError, ValueError, TypeError, KeyError):
            record = None
        if record is None:
            try:
                issue, _ = prepare(folder)
            except MastheadError as exc:
                failed.append((folder, exc))
                continue
            record = issue_record(issue, digest)
            fresh[file] = json.dumps(_to_json(record), default=str).encode()
        records.append(record)
    if fresh:
        write_all(fresh)
    records.sort(key=lambda r: r.sort_key)
    return Archive(publication, publication_folder, tuple(records), tuple(failed))


def publication_settings(folder: Path) -> Publication:
    """The publication as `publication.toml` sets it (without reading an issue)."""
    from masthead.settings import publication_table, read_toml

    path = folder / "publication.toml"
    table, text = read_toml(path)
    values = publication_table(table, path, text, "publication.toml")
    extra = {k: values.pop(k) for k in list(values) if isinstance(values[k], dict)}
    values.setdefault("name", folder.name)
    templates = (folder / "templates",) if (folder / "templates").is_dir() else ()
    return Publication(**values, template_dirs=templates, extra=extra)
