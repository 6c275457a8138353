"""The typed objects passed between stages: load → normalise → assemble → render → package."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.settings import key_line
from masthead.text import slugify


@dataclass(frozen=True)
class Publication:
    """Settings shared by every issue of a publication (`publication.toml` or `[publication]`)."""

    name: str  # Like "The Lantern".
    language: str = "en"  # BCP 47, like "en-GB".
    tagline: str = ""
    publisher: str = ""
    url: str = ""
    issn: str = ""
    rights: str = ""  # Like "© 2026 Lantern Press. All rights reserved."
    description: str = ""
    page_size: str = "A4"  # A4, letter or a5/tablet; see pdf.PAGE_SIZES.
    email_limit_mb: float = 10.0
    # PDF: "auto" (features start a page, short pieces run on), "page" (each article),
    # "section" or "none" (run on).
    article_break: str = "auto"
    drop_caps: bool = True  # PDF: a drop cap on each article's first paragraph.
    related_suggestions: int = 3  # Archive: fill related reading up to this many; 0: none.
    columns: int | str = "auto"  # PDF article columns: 1, 2 or "auto" (2 on A4 and letter).
    target: str = "screen"  # PDF: "screen" (coloured links) or "print" (URLs as notes, bleed).
    crop_marks: bool = False  # PDF for print: crop marks around the cover's bleed.
    template_dirs: tuple[Path, ...] = ()  # Publication's own theme folders, most specific first.
    extra: dict[str, Any] = field(default_factory=dict)  # Tables later stages own (import, email).


@dataclass(frozen=True)
class IssueInfo:
    """The issue's own identity (`[issue]` in issue.toml)."""

    title: str
    date: dt.date | None = None
    volume: int | None = None
    number: int | None = None
    cover_lines: tuple[str, ...] = ()
    cover_image: Path | None = None  # Art shown on the cover page.
    epub_cover: Path | None = None  # A finished cover image to use as-is in the EPUB.
    description: str = ""
    slug: str = ""  # Used in output file names, like "vol-3-no-7".
    language: str = ""  # BCP 47; "" for the publication's.


@dataclass(frozen=True)
class SectionPlan:
    """A section as the manifest lists it, before its articles are loaded."""

    title: str
    article_paths: tuple[Path, ...]


@dataclass(frozen=True)
class RawArticle:
    """An article file split into front matter and Markdown body, untouched."""

    path: Path
    meta: dict[str, Any]
    body: str
    body_line: int  # 1-based line of the file where the body starts (for messages).
    section: str
    meta_text: str = ""  # The front matter as written, to point errors at a key's line.

    def meta_line(self, key: str) -> int | None:
        """Line in the file where front matter `key` is set (the opening fence is line 1)."""
        line = key_line(self.meta_text, key)
        return line + 1 if line is not None else None


@dataclass(frozen=True)
class Site:
    """The static site (Jekyll, Hugo, Zola…) a zero-config folder belongs to: where its files are
    and where it is published. Files are only ever read inside `root`."""

    root: Path
    generator: str = ""  # "jekyll", "hugo", "zola", "eleventy", "astro"; "" when unknown.
    base_url: str = ""  # Where the site is published, like "https://gohugo.io" (no end slash).
    base_path: str = ""  # Jekyll's `baseurl`, like "/blog": site paths start with it.
    static_dirs: tuple[Path, ...] = ()  # Where "/img/x.png" is looked for, in order.
    content_dir: Path | None = None  # Hugo/Zola `content/`: the pages' paths start there.
    config_file: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)  # The config as read ({{ site.x }}).


@dataclass(frozen=True)
class SectionIntro:
    """A section's own page (Hugo/Zola `_index.md`): its title, words and where they came from.
    It introduces the section; it is not an article."""

    section: str  # The section's title as the articles carry it.
    raw: RawArticle | None = None  # The list page, rendered like an article body.
    description: str = ""


@dataclass(frozen=True)
class LoadedIssue:
    """Everything read from disk for one issue; nothing interpreted yet beyond the manifest."""

    source: Path  # The issue folder (or the zero-config folder).
    publication: Publication
    info: IssueInfo
    articles: tuple[RawArticle, ...]
    section_titles: tuple[str, ...]  # In reading order.
    site: Site | None = None  # A zero-config folder inside a static site.
    intros: tuple[SectionIntro, ...] = ()  # Sections' own pages, by section title.
    notes: tuple[BuildWarning, ...] = ()  # What loading skipped or changed (drafts…).
    # The folders the issue may read files from (resolved): its own, its publication's, the
    # site root. A file elsewhere (by ../, an absolute path or a symlink) is an error.
    roots: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Asset:
    """A file carried into the outputs: an image referenced by an article or the cover."""

    source: Path  # Absolute path of the file on disk.
    href: str  # Name inside the EPUB, like "images/rust-survey-1-do-you-use-rust.png".
    media_type: str  # Like "image/png".
    width: int | None = None
    height: int | None = None
    content: bytes | None = None  # The bytes shipped when not the file's (a sanitised SVG).
    print_image: bytes | None = None  # What the PDF shows instead: an animated image's frame.

    @property
    def data(self) -> bytes:
        """The bytes the editions carry."""
        return self.content if self.content is not None else self.source.read_bytes()


@dataclass(frozen=True)
class Image:
    """A lead image with its words; `asset` is None when only a caption/credit survives
    (an imported article whose photo was not saved keeps the caption)."""

    asset: Asset | None
    alt: str
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class ArchiveTarget:
    """An article of another issue of the publication that a related item points to."""

    title: str
    issue_label: str  # Like "No. 5", or the issue's title when it has no number.
    issue_slug: str  # The issue's slug, like "vol-3-no-5".
    article_id: str
    page: int | None = None  # Where it starts in that issue's PDF, when known.
    url: str = ""  # The article's own web address, "" when none.
    issue_number: int | None = None  # For the label in the issue's language ("No. 5", "العدد 5").
    archive_url: str = ""  # Its archive page as an absolute URL (needs --base-url), else "".

    @property
    def href(self) -> str:
        """Where an EPUB can send a reader: the article's address, else its archive page."""
        return self.url or self.archive_url

    @property
    def archive_path(self) -> str:
        """Its page inside the archive folder, like "articles/vol-3-no-5/night-ferry.html"."""
        return f"articles/{self.issue_slug}/{self.article_id}.html"


@dataclass(frozen=True)
class RelatedLink:
    """One "related reading" item. `target` names an article of this issue when it is one,
    `elsewhere` an article of another issue of the archive."""

    title: str
    url: str = ""  # External address, "" when none is usable.
    target: str = ""  # The matched article's id, "" when not in this issue.
    slug: str = ""  # The article's id or slug, when the entry names it that way.
    elsewhere: ArchiveTarget | None = None
    suggested: bool = False  # Proposed from the archive by text similarity, not by the editor.
    also_from: str = ""  # The publication's name when the item names nothing and has no URL.


@dataclass(frozen=True)
class ArchiveLinks:
    """What an issue's build knows of the rest of its publication's archive (archive/ works it
    out before the build): cross-issue targets of related items and suggested reading.

    Keys are article files relative to the issue folder, like "night-ferry.md"; only what this
    issue uses is here, so a new issue elsewhere leaves this issue's build as it was."""

    publication: str
    # (article file, index of the item in its `related` list, the article it names).
    related: tuple[tuple[str, int, ArchiveTarget], ...] = ()
    # (article file, suggested articles in rank order).
    suggested: tuple[tuple[str, tuple[ArchiveTarget, ...]], ...] = ()

    def digest(self) -> str:
        """A hash of everything here (part of the build's inputs, see cache.py)."""
        import hashlib
        import json
        from dataclasses import asdict

        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Article:
    """A normalised article: metadata interpreted, body rendered to (X)HTML fragments."""

    id: str  # Unique in the issue, [a-z0-9-], like "night-walkers".
    title: str
    source: Path
    section: str
    dek: str = ""
    authors: tuple[str, ...] = ()
    author_roles: tuple[str, ...] = ()  # Beside `authors`, "" where none: "Executive Director".
    date: dt.date | None = None
    tags: tuple[str, ...] = ()
    summary: str = ""
    url: str = ""
    lead_image: Image | None = None
    related: tuple[RelatedLink, ...] = ()
    body_xhtml: str = ""  # For the EPUB (XML serialisation).
    body_html: str = ""  # For the PDF (HTML serialisation of the same tree).
    assets: tuple[Asset, ...] = ()
    word_count: int = 0
    missing_alt: int = 0  # Images in the body without alt text.
    read_files: tuple[Path, ...] = ()  # Other files its text pulled in (a site's snippets).
    language: str = ""  # BCP 47 from front matter `language`; "" for the issue's.
    extra: dict[str, Any] = field(default_factory=dict)  # Unrecognised front matter keys.

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / 230))


@dataclass(frozen=True)
class Section:
    title: str
    id: str
    articles: tuple[Article, ...]
    intro_xhtml: str = ""  # The section's introduction (its `_index.md`), for the EPUB…
    intro_html: str = ""  # …and the PDF; printed where the section starts.
    description: str = ""  # One line about the section (its list page's `description`).
    intro_assets: tuple[Asset, ...] = ()  # Images the introduction shows.


@dataclass(frozen=True)
class Issue:
    """The assembled issue: the one object the renderers read."""

    source: Path
    publication: Publication
    info: IssueInfo
    sections: tuple[Section, ...]
    identifier: str  # Stable per issue, like "urn:uuid:…".
    cover_image: Asset | None = None
    read_files: tuple[Path, ...] = ()  # Other files read: a site's config, included snippets.

    @property
    def date(self) -> dt.date | None:
        """The issue's date, else its latest article's (zero-config folders have no issue date)."""
        return self.info.date or max((a.date for a in self.articles if a.date), default=None)

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)

    @property
    def assets(self) -> tuple[Asset, ...]:
        seen: dict[str, Asset] = {}
        for article in self.articles:
            for asset in article.assets:
                seen.setdefault(asset.href, asset)
        for section in self.sections:
            for asset in section.intro_assets:
                seen.setdefault(asset.href, asset)
        if self.cover_image is not None:
            seen.setdefault(self.cover_image.href, self.cover_image)
        return tuple(seen.values())

    @property
    def language(self) -> str:
        """The issue's language (BCP 47): its own, else the publication's."""
        return self.info.language or self.publication.language

    @property
    def output_stem(self) -> str:
        """File name without extension, like "the-lantern-vol-3-no-7"."""
        return output_stem(self.publication, self.info)

    @property
    def full_title(self) -> str:
        """Title with publication, number and date: "The Lantern, No. 7: Night (November 2026)"."""
        parts = [self.publication.name]
        if self.info.number is not None:
            parts.append(f"No. {self.info.number}")
        head = ", ".join(parts)
        if self.info.title and self.info.title != self.publication.name:
            head += f": {self.info.title}"
        if self.info.date is not None:
            head += f" ({self.info.date.strftime('%B %Y')})"
        return head


def output_stem(publication: Publication, info: IssueInfo) -> str:
    """An issue's file name without extension, like "the-lantern-vol-3-no-7": names in other
    scripts are transliterated ("Новости" → "novosti")."""
    pub = slugify(publication.name, "issue")
    issue = info.slug or slugify(info.title, "issue")
    return pub if pub == issue else f"{pub}-{issue}"


@dataclass(frozen=True)
class PageStart:
    """Where a page of the PDF edition begins: the first element (by id) that starts on it."""

    page: int  # 1-based, as printed in the folio.
    anchor: str  # An id in the PDF's HTML: "cover", "contents-title", an article or block id.


@dataclass(frozen=True)
class PageTarget:
    """A PDF page's place in the EPUB: the file and the element the page marker goes before."""

    page: int
    file_name: str  # Like "night-ferry.xhtml".
    element_id: str  # Like "night-ferry--b12".

    @property
    def marker_id(self) -> str:
        return f"page-{self.page}"


@dataclass(frozen=True)
class BuildWarning:
    """Something suspicious that did not stop the build (`--strict` makes it fatal)."""

    message: str
    path: Path | None = None
    line: int | None = None  # In `path`, where known.

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class BuildResult:
    outputs: tuple[Path, ...]
    warnings: tuple[BuildWarning, ...] = ()
    pdf_pages: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False  # Nothing changed since the last build: nothing was built again.
