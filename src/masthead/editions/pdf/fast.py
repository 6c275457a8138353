"""Fast PDF: the issue laid out in pieces (front matter, each article) in parallel, then joined.

WeasyPrint lays out one document on one core, and page references ("p. 14", the contents)
make it lay pages out again. An issue whose articles each start a new page is a run of pieces
whose layouts do not depend on each other, except through page numbers. So:

1. The final HTML (html.finish_html) is split into chunks (split.py): the front matter (cover,
   contents) and each article. Every chunk is a whole document with the issue's <head>; its
   stylesheet is parsed once per worker.
2. Chunks are laid out in worker processes (layout.py). A page reference to another chunk
   (`target-counter()`) prints a placeholder of figure spaces instead of a number; the folio
   margin boxes (those showing `counter(page)`) are left out. Each chunk's PDF and what the
   join needs (anchors, bookmarks, placeholders and folios) are cached by a hash of its input,
   so a rebuild after editing one article lays out that article only.
3. With every chunk's page count known, the page numbers are known. A chunk whose references
   cannot simply be set into their placeholders (the contents, with leaders; a number that
   would not fit its placeholder or would wrap differently) is laid out again with the real
   numbers, until the page counts hold still.
4. pikepdf joins the pages (join.py) and rebuilds the named destinations (the links between
   chunks go to them) and the outline. Each number is set into its placeholder's own text, in
   its font (numbers.py). The folios come from an overlay laid out by WeasyPrint in segments,
   in the workers, as artifacts (overlay.py). Each font is subset once for the issue
   (fonts.py). A tagged (PDF/UA-1) issue's structure trees are merged into one (structure.py):
   WeasyPrint tags page by page, so that is appending each piece's elements and renumbering
   the parent tree.

Only weasy/ reaches into WeasyPrint's internals; it checks first that they are there.
The result has the same pages, pixels, text, links, outline and structure tree as one
WeasyPrint pass (tests compare them). The PDF/A variants are laid out in one pass.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from masthead.editions.pdf import weasy
from masthead.editions.pdf.check import check
from masthead.editions.pdf.fonts import start_subsets, unsubset_fonts
from masthead.editions.pdf.glyphs import glyph_warnings
from masthead.editions.pdf.join import join
from masthead.editions.pdf.layout import lay_out
from masthead.editions.pdf.numbers import stamp_ok
from masthead.editions.pdf.output import PdfOutput, link_targets, size_warnings
from masthead.editions.pdf.overlay import Overlays, overlay_html
from masthead.editions.pdf.pieces import VERSION, Chunk, Laid, NotApplicable, Untrusted
from masthead.editions.pdf.split import split
from masthead.editions.pdf.workers import Workers
from masthead.model import BuildWarning, Issue, PageStart

__all__ = [
    "CACHE_DIR",
    "FAST_VARIANTS",
    "NotApplicable",
    "Untrusted",
    "Workers",
    "build_fast",
    "split",
]

CACHE_DIR = "chunks"  # Under the build's state folder (dist/.masthead/).


MAX_ROUNDS = 4


# Untagged, and tagged PDF/UA-1: the join merges the pieces' structure trees. The PDF/A
# variants (archives, rarely built) stay one pass.
FAST_VARIANTS = ("none", "pdf/ua-1")


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


@dataclass(frozen=True)
class FastOutput:
    data: bytes
    pages: int
    warnings: tuple[BuildWarning, ...]
    page_map: tuple[PageStart, ...]
    cache_files: dict[Path, bytes]  # New chunk layouts, written with the outputs.
    keep: frozenset[Path]  # Every cache file this build used (the others can go).
    laid_out: int  # Chunks laid out (not from the cache), for timings and tests.
    numbers: tuple[tuple[str, int], ...] = ()  # As PdfOutput.numbers.

    def output(self, issue: Issue) -> Any:
        """As pdf.package_pdf returns it, with its warning for a PDF over the email limit."""
        warnings = list(dict.fromkeys(self.warnings)) + size_warnings(issue, self.data)
        return PdfOutput(self.data, self.pages, tuple(warnings), self.page_map, self.numbers)


@functools.cache
def _engine() -> str:
    from importlib.metadata import version

    return version("weasyprint")


def _chunk_key(chunk: Chunk, assets: dict[str, str], variant: str) -> str:
    digest = hashlib.sha256()
    for part in (
        VERSION,
        _engine(),
        variant,
        chunk.css,
        chunk.html,
        repr(chunk.numbers),
    ):
        digest.update(part.encode() + b"\0")
    digest.update(f"{chunk.digits}\0{chunk.outside}".encode())
    for href, file_hash in sorted(assets.items()):
        if href in chunk.html:
            digest.update(f"{href}\0{file_hash}\0".encode())
    return digest.hexdigest()[:32]


def build_fast(
    issue: Issue,
    html: str,
    *,
    variant: str = "none",
    jobs: int = 2,
    cache_dir: Path | None = None,
    workers: Workers | None = None,
    reuse: bool = True,
) -> FastOutput:
    """Lay out the issue's rendered HTML in pieces and join them; raises NotApplicable.

    Pieces are read from `cache_dir` when `reuse` (and written there in any case).
    """
    if variant not in FAST_VARIANTS:
        raise NotApplicable(f"{variant} PDFs are laid out in one pass")
    reason = weasy.problem()  # Before anything reaches into WeasyPrint.
    if reason is not None:
        raise Untrusted(reason)
    chunks = split(html)
    pool = _LazyWorkers(jobs, workers)
    try:
        return _build_fast(_Job(issue, html, variant, cache_dir, reuse), chunks, pool)
    finally:
        pool.close()


class _LazyWorkers:
    """Worker processes started only when more than one chunk is to be laid out at once: a
    rebuild after one edit lays out that article in this process, without a pool to start."""

    def __init__(self, jobs: int, given: Workers | None) -> None:
        self.jobs, self.given = jobs, given
        self.own: Workers | None = None
        self.inline = Workers(1)

    def for_batch(self, size: int) -> Workers:
        if self.given is not None:
            return self.given
        if self.own is None and size > 1 and self.jobs > 1:
            self.own = Workers(self.jobs)
        return self.own or self.inline

    def running(self) -> Workers:
        """Workers already started, else this process."""
        return self.given or self.own or self.inline

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


@dataclass(frozen=True)
class _Job:
    """One fast build: its issue and HTML, how, where its pieces are cached, and its id."""

    issue: Issue
    html: str
    variant: str
    cache_dir: Path | None
    reuse: bool  # Read pieces from the cache (else only write them).
    build: str = field(default_factory=lambda: uuid.uuid4().hex)


def _build_fast(job: _Job, chunks: list[Chunk], workers: _LazyWorkers) -> FastOutput:
    issue, html, variant, cache_dir, reuse = (
        job.issue,
        job.html,
        job.variant,
        job.cache_dir,
        job.reuse,
    )
    build = job.build
    asset_hashes = _asset_hashes(issue)
    image_sizes = {a.href: a.source.stat().st_size for a in issue.assets if a.source.is_file()}
    laid: dict[str, Laid] = {}  # By chunk key.
    cache_files: dict[Path, bytes] = {}
    theme_css = chunks[0].css or "\n".join(_STYLE.findall(html))
    overlays = Overlays(issue.assets, theme_css, cache_dir, cache_files, reuse)
    laid_out = 0
    keys = [_chunk_key(c, asset_hashes, variant) for c in chunks]
    segments: list[str] = []
    font_files: dict[str, bytes] = {}
    for _ in range(MAX_ROUNDS):
        todo: dict[str, Chunk] = {}
        for chunk, key in zip(chunks, keys, strict=True):
            if key in laid or key in todo:
                continue
            cached = _read_cache(cache_dir, key) if reuse else None
            if cached is not None:
                laid[key] = cached
            else:
                todo[key] = chunk
        pool = workers.for_batch(len(todo) + len(segments))
        # Longest first: a long article started last would leave the other workers idle.
        longest = sorted(todo.items(), key=lambda item: -_cost(item[1], image_sizes))
        futures = {
            key: pool.submit(lay_out, chunk, issue.assets, variant, _draft(chunks, chunk), build)
            for key, chunk in longest
        }
        if futures and segments:
            # Most likely the re-laid chunks keep their page counts: lay out the overlay now.
            overlays.start(segments, pool)
        for key, future in futures.items():
            result = future.result()
            font_files.update(result.font_files)
            laid[key] = result = replace(result, font_files={})
            laid_out += 1
            if cache_dir is not None:
                cache_files[cache_dir / f"{key}.pickle"] = pickle.dumps(result)
        current = [laid[key] for key in keys]
        numbers = _page_numbers(chunks, current)
        again = _needs_numbers(chunks, current, numbers)
        segments = overlay_html(html, current, numbers, skip=again)
        if not again:
            break
        chunks = [
            replace(c, numbers=tuple((a, numbers[a]) for a in c.outside if a in numbers))
            if c.name in again
            else c
            for c in chunks
        ]
        keys = [_chunk_key(c, asset_hashes, variant) for c in chunks]
    else:
        raise NotApplicable("page numbers did not settle")
    if any(part.notdef for part in current):
        # Pieces number their .notdef glyphs and size their boxes each on its own: joined,
        # the boxes would not be one pass's. Such text has no font anyway (a warning says so).
        raise NotApplicable("some characters have no font (.notdef boxes)")
    fonts = unsubset_fonts(current, font_files, cache_dir, cache_files)
    pool = workers.for_batch(len(segments))
    # Subsets are quick: in the workers when they are there, else here (not worth a pool).
    subsets = start_subsets(current, fonts, workers.running(), cache_dir)
    overlays.start(segments, pool)
    data, pages, page_map, promise = join(
        current, numbers, overlays.results(segments), subsets, issue.identifier.encode()
    )
    # Raises Untrusted: the caller lays the PDF out in one pass, and no part of this is kept.
    check(data, promise, workers.running(), workers.jobs)
    subsets.to_cache(cache_files)
    notes = glyph_warnings([m for c in current for m in c.warnings], issue)
    keep: set[Path] = set()
    if cache_dir is not None:
        # Every piece laid out or read in any round: the next build goes through them too.
        keep = {cache_dir / f"{key}.pickle" for key in laid}
        keep |= {cache_dir / f"font-{digest}.bin" for digest in fonts}
        keep |= {cache_dir / f"subset-{key}.bin" for key in subsets.keys_used}
        keep |= {overlays.file(text) for text in segments}  # type: ignore[misc]
    targets = link_targets(html)
    known = tuple(sorted((name, page) for name, page in numbers.items() if name in targets))
    return FastOutput(
        data, pages, tuple(notes), page_map, cache_files, frozenset(keep), laid_out, known
    )


def _asset_hashes(issue: Issue) -> dict[str, str]:
    from masthead.files import file_digest

    return {a.href: file_digest(a.source) for a in issue.assets}


def _read_cache(cache_dir: Path | None, key: str) -> Laid | None:
    if cache_dir is None:
        return None
    try:
        found = pickle.loads((cache_dir / f"{key}.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return found if isinstance(found, Laid) else None


def _page_numbers(chunks: Sequence[Chunk], laid: Sequence[Laid]) -> dict[str, int]:
    """The issue's page number (1-based) of every anchor, first occurrence."""
    numbers: dict[str, int] = {}
    start = 1
    for part in laid:
        for offset, anchors in enumerate(part.anchors):
            for name in anchors:
                numbers.setdefault(name, start + offset)
        start += part.pages
    return numbers


def _cost(chunk: Chunk, image_sizes: dict[str, int]) -> float:
    """About how long a chunk takes to lay out: its text, and its images (scaled, encoded)."""
    images = sum(size for href, size in image_sizes.items() if href in chunk.html)
    return len(chunk.html) + images / 4


def _draft(chunks: Sequence[Chunk], chunk: Chunk) -> bool:
    """Whether the chunk will be laid out again whatever its layout (see _needs_numbers)."""
    return chunk is chunks[0] and bool(chunk.outside) and not chunk.numbers


def _needs_numbers(
    chunks: Sequence[Chunk], laid: Sequence[Laid], numbers: dict[str, int]
) -> set[str]:
    """Chunks to lay out again with real numbers: the front matter, and wherever a number
    would not set exactly in its placeholder; and those whose real numbers changed."""
    again: set[str] = set()
    for index, (chunk, part) in enumerate(zip(chunks, laid, strict=True)):
        if chunk.numbers:
            if any(numbers.get(a) != n for a, n in chunk.numbers):
                again.add(chunk.name)
            continue
        # The contents (numbers set flush after leaders) is laid out again; its first layout
        # was a draft (_draft) that only counted its pages.
        front = index == 0 and bool(chunk.outside)
        if front or any(not stamp_ok(p, numbers.get(p.target, 0)) for p in part.placeholders):
            again.add(chunk.name)
    return again
