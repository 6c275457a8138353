"""What importing a crawled article gives: the article, and a record of what was done to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from masthead.model import Publication
from masthead.text import slugify

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")

# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """A part of the input that is not in the body: dropped, or moved into the front matter."""

    kind: str  # "byline", "date", "title", "caption", "related", "boilerplate", "page-marker".
    first_words: str  # Like "Written by Alex Newman on November…".
    start_line: int  # 1-based line in the input (for HTML: in the extracted text).
    end_line: int

    @property
    def moved(self) -> bool:
        """Title and caption are kept, in the front matter."""
        return self.kind in {"title", "caption"}


@dataclass(frozen=True)
class Join:
    """A paragraph that a page break had cut in two, put back together."""

    first_line: int  # Last line of the first part.
    second_line: int  # First line of the second part.


@dataclass(frozen=True)
class ImportedArticle:
    """One imported article: front matter the build reads, a Markdown body, and what was done."""

    source: Path
    meta: dict[str, Any]  # title, authors, date, image_caption, image_credit, related, …
    body: str  # Markdown.
    removals: tuple[Removal, ...] = ()
    joins: tuple[Join, ...] = ()
    notes: tuple[str, ...] = ()  # Like "not UTF-8: read as Windows-1252".

    @property
    def file_name(self) -> str:
        """Like "night-hours-at-the-harbour-library.md"."""
        return f"{slugify(str(self.meta.get('title', '')), self.source.stem or 'article')}.md"

    def markdown(self) -> str:
        """The article as a Markdown file with YAML front matter, ready for an editor."""
        front = yaml.safe_dump(self.meta, sort_keys=False, allow_unicode=True, width=10_000)
        return f"---\n{front}---\n\n{self.body}"


@dataclass(frozen=True)
class ImportSettings:
    """The publication's `[import]` table: boilerplate patterns, with or without the defaults."""

    boilerplate: tuple[re.Pattern[str], ...] = ()
    defaults: bool = True


def import_settings(publication: Publication | None) -> ImportSettings:
    """Read `[import]` from the publication settings (validated by settings.publication_table)."""
    table = (publication.extra.get("import") if publication else None) or {}
    patterns = tuple(re.compile(p, re.I | re.M) for p in table.get("boilerplate", ()))
    return ImportSettings(patterns, bool(table.get("boilerplate_defaults", True)))
