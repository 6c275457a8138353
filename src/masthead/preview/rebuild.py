"""Partial rebuilds, through the pipeline's public stages.

An edit to one article is shown in two steps. The EPUB's documents are rendered in the preview's
own process: `prepare` (load, normalise, assemble) and `render_epub`, as `build` does them, take
about 0.1 s for a 50-article issue, so the whole issue is rendered again (an edited title also
changes the contents, the neighbours' links and others' "related reading") and only the
documents whose bytes changed are sent to the page. The PDF is made by `build` itself, in a
build process (see worker.py): its pieces are cached per article, so an edit lays out that
article again and joins the rest from the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from masthead.build import STATE_DIR, build, pdf_page_map, prepare
from masthead.files import write_all
from masthead.model import BuildWarning, Issue
from masthead.render.documents import page_targets, render_epub, theme_for
from masthead.render.theme import Theme

COVER_FILE = "cover.xhtml"
CONTENTS_FILE = "contents.xhtml"


@dataclass(frozen=True)
class DocumentView:
    """One document of the EPUB edition, and where the same matter begins in the PDF."""

    file_name: str  # Like "night-ferry.xhtml".
    title: str
    kind: str  # "cover", "contents" or "article".
    anchor: str  # The id it begins at in the PDF: "cover", "contents-title" or the article id.
    content: bytes  # The XHTML exactly as the EPUB carries it.


@dataclass(frozen=True)
class EpubView:
    """The EPUB edition's documents as a build would package them now."""

    issue: Issue
    documents: tuple[DocumentView, ...]  # In reading order.
    stylesheet: bytes
    assets: dict[str, Path]  # Href inside the EPUB (like "images/harbour.png") → file.
    warnings: tuple[BuildWarning, ...]
    cover_key: str = ""  # Changes when the EPUB's cover image would (see cover_image).
    seconds: float = 0.0

    def document(self, file_name: str) -> DocumentView | None:
        return next((d for d in self.documents if d.file_name == file_name), None)


@dataclass
class EpubRenderer:
    """Renders an issue's EPUB documents; keeps the theme between renders (Jinja reloads a
    template whose file changed; `forget_theme` after templates are added or removed)."""

    path: Path
    out_dir: Path  # Where the PDF builds go: their page map gives the EPUB its page markers.
    themes: dict[tuple[object, ...], Theme] = field(default_factory=dict)

    def forget_theme(self) -> None:
        self.themes.clear()

    def render(self) -> EpubView:
        started = time.perf_counter()
        issue, warnings = prepare(self.path)
        pub = issue.publication
        key = (pub.template_dirs, pub.language)
        theme = self.themes.get(key)
        if theme is None:
            self.themes.clear()
            theme = self.themes[key] = theme_for(issue)
        # As an EPUB built now: page markers only from a PDF laid out from this very text.
        targets = page_targets(issue, pdf_page_map(issue, self.out_dir, theme))
        rendered = render_epub(issue, theme, targets)
        ids = {f"{a.id}.xhtml": a.id for a in issue.articles}
        ids |= {COVER_FILE: "cover", CONTENTS_FILE: "contents-title"}
        documents = tuple(
            DocumentView(
                doc.file_name,
                doc.title,
                _kind(doc.file_name),
                ids.get(doc.file_name, ""),
                doc.content.encode("utf-8"),
            )
            for doc in rendered.documents
        )
        return EpubView(
            issue=issue,
            documents=documents,
            stylesheet=rendered.stylesheet.encode("utf-8"),
            assets={a.href: a.source for a in issue.assets},
            warnings=tuple(warnings),
            cover_key=_cover_key(issue, theme),
            seconds=time.perf_counter() - started,
        )


def _cover_key(issue: Issue, theme: Theme) -> str:
    """What the EPUB's cover image is made from: the cover page's HTML and its own images."""
    from masthead.editions.cover import cover_html
    from masthead.render.documents import context

    digest = hashlib.sha256(cover_html(issue, theme, context(issue)).encode())
    for image in (issue.info.cover_image, issue.info.epub_cover):
        if image is not None:
            with contextlib.suppress(OSError):
                found = image.stat()
                digest.update(f"{image}:{found.st_size}:{found.st_mtime_ns}".encode())
    return digest.hexdigest()


def _kind(file_name: str) -> str:
    return {COVER_FILE: "cover", CONTENTS_FILE: "contents"}.get(file_name, "article")


@dataclass(frozen=True)
class PdfBuilt:
    """A PDF edition built for the preview."""

    pdf: Path
    pages: int
    warnings: tuple[BuildWarning, ...]
    seconds: float


def build_pdf(path: Path, out_dir: Path, jobs: int | None) -> PdfBuilt:
    """The issue's PDF edition laid out as `masthead build --format pdf` lays it out, into
    `out_dir`, but untagged: the same pages, a third faster to rebuild (no structure trees to
    merge and check), which is what a preview is for. `masthead build` makes the tagged edition.

    `jobs`: processes laying out pieces; 1 lays an edited article out in this process, without
    starting a pool (the fastest after a one-article edit); None: every core (a first build, or
    after a template change, when every piece is laid out again)."""
    started = time.perf_counter()
    result = build(path, out_dir=out_dir, formats=("pdf",), pdf_jobs=jobs, pdf_variant="none")
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    return PdfBuilt(pdf, result.pdf_pages or 0, result.warnings, time.perf_counter() - started)


def cover_image(path: Path, out_dir: Path) -> bytes:
    """The EPUB's cover image (rendered by the PDF engine; cached in the state folder)."""
    from masthead.editions.cover import cover_html, cover_jpeg
    from masthead.render.documents import context

    issue, _ = prepare(path)
    theme = theme_for(issue)
    jpeg, new_file = cover_jpeg(
        issue, cover_html(issue, theme, context(issue)), out_dir / STATE_DIR
    )
    if new_file is not None:
        write_all({new_file: jpeg})
    return jpeg


def warm_up() -> None:
    """Import the PDF engine now, before the first build needs it."""
    import pypdfium2  # noqa: F401
    import weasyprint  # noqa: F401
