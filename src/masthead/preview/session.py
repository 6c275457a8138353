"""One issue under preview: its EPUB documents and PDF, rebuilt as its files change, and the
state the page is told about (by Server-Sent Events, see app.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.errors import MastheadError
from masthead.preview.pdfview import PdfView
from masthead.preview.problems import Problem
from masthead.preview.rebuild import EpubRenderer, EpubView, build_pdf, cover_image
from masthead.preview.worker import BuildFailed, BuildWorker

KEPT_PDFS = 3  # A page still loading the images of the PDF before last gets them.
SETTINGS = ("publication.toml", "issue.toml")
IMAGES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg"}


@dataclass
class Versions:
    """Counters the page compares with what it shows, to know what to fetch again."""

    serial: int = 0  # Any change of the state.
    documents: dict[str, int] = field(default_factory=dict)  # By file name.
    stylesheet: int = 0
    assets: int = 0  # An image changed on disk: documents are loaded anew, not patched.


class IssuePreview:
    """An issue's preview: rebuilds on `changed`, keeps what the server serves."""

    def __init__(self, key: str, path: Path, root: Path, out_dir: Path) -> None:
        self.key = key
        self.path = path
        self.root = root  # Nothing outside it is served (see safety.py).
        self.out_dir = out_dir
        self.renderer = EpubRenderer(path, out_dir)
        self.worker = BuildWorker()
        self.epub: EpubView | None = None
        self.pdfs: deque[PdfView] = deque()
        self.pdf_warnings: tuple[Problem, ...] = ()
        self.cover: bytes | None = None
        self.cover_ready = asyncio.Event()
        self.problems: dict[str, Problem | None] = {"epub": None, "pdf": None}
        self.building = {"epub": False, "pdf": False}
        self.versions = Versions()
        self.timings: dict[str, float] = {}
        self._wakeup = asyncio.Event()
        self._dirty = {"epub": False, "pdf": False}
        self._tasks: dict[str, asyncio.Task[None] | None] = {"epub": None, "pdf": None}
        self._full_layout = True  # The next PDF build lays out every piece: use every core.
        self._assets_touched = False
        self._cover_key = ""  # The EpubView.cover_key that the cover image was made for.
        self._ranges: tuple[object, dict[str, list[int]]] = ((), {})
        self.started = False

    # --- what the server reads ------------------------------------------------------------

    @property
    def pdf(self) -> PdfView | None:
        return self.pdfs[-1] if self.pdfs else None

    def pdf_version(self, version: int) -> PdfView | None:
        return next((p for p in self.pdfs if p.version == version), None)

    def problem(self) -> Problem | None:
        """The error to show: the EPUB's (it comes first), else the PDF's."""
        return self.problems["epub"] or self.problems["pdf"]

    def warnings(self) -> list[Problem]:
        found: dict[tuple[str, Path | None, int | None], Problem] = {}
        epub_warnings = [Problem.of_warning(w) for w in self.epub.warnings] if self.epub else []
        for problem in [*epub_warnings, *self.pdf_warnings]:
            found.setdefault((problem.message, problem.path, problem.line), problem)
        return list(found.values())

    def inputs(self) -> set[Path]:
        """Files that the issue uses besides its folder's (images, a static site's config and
        snippets), for the watcher."""
        if self.epub is None:
            return set()
        return set(self.epub.assets.values()) | set(self.epub.issue.read_files)

    def named_files(self) -> set[Path]:
        """Files that the shown errors and warnings name (the only sources the page shows)."""
        problems = [self.problem(), *self.warnings()]
        return {p.path.resolve() for p in problems if p is not None and p.path is not None}

    def page_ranges(self) -> dict[str, list[int]]:
        """Pages (0-based) of the current PDF for each document, by file name."""
        pdf = self.pdf
        if pdf is None or self.epub is None:
            return {}
        run_on = self.epub.issue.publication.article_break != "page"
        anchors = [d.anchor for d in self.epub.documents]
        key = (pdf.version, run_on, *anchors)
        if self._ranges[0] != key:
            by_anchor = pdf.ranges(anchors, run_on)
            found = {d.file_name: by_anchor.get(d.anchor, []) for d in self.epub.documents}
            self._ranges = (key, found)
        return self._ranges[1]

    async def wait_for_change(self, seen: int, timeout: float) -> int:
        """The state's serial, once it is not `seen` (or `timeout` seconds have passed)."""
        if self.versions.serial == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        return self.versions.serial

    # --- rebuilding -----------------------------------------------------------------------

    def start(self) -> None:
        """Build everything once (the first page request does this)."""
        if self.started:
            return
        self.started = True
        self._kick("epub")
        self._kick("pdf")

    def changed(self, paths: Iterable[Path]) -> None:
        """Files of the issue changed on disk (from the watcher): rebuild what they feed."""
        if not self.started:
            return
        paths = [Path(p) for p in paths]
        assets = set(self.epub.assets.values()) if self.epub else set()
        for path in paths:
            if path.name in SETTINGS or "templates" in path.parts:
                # Templates and settings reach every piece of the PDF: lay them out on every
                # core. A template added or removed changes which file the theme uses.
                self._full_layout = True
                self.renderer.forget_theme()
            if path in assets or path.suffix.lower() in IMAGES:
                self._assets_touched = True
        self._kick("epub")
        self._kick("pdf")

    def _kick(self, part: str) -> None:
        self._dirty[part] = True
        task = self._tasks[part]
        if task is None or task.done():
            loop = self._epub_loop if part == "epub" else self._pdf_loop
            self._tasks[part] = asyncio.get_running_loop().create_task(loop())

    def _publish(self) -> None:
        self.versions.serial += 1
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()

    async def _epub_loop(self) -> None:
        while self._dirty["epub"]:
            self._dirty["epub"] = False
            touched, self._assets_touched = self._assets_touched, False
            self.building["epub"] = True
            try:
                view = await asyncio.to_thread(self.renderer.render)
            except MastheadError as exc:
                self.problems["epub"] = Problem.of_error(exc)
            except Exception as exc:  # A bug must not stop the preview: show it, go on.
                self.problems["epub"] = Problem.of_bug(exc, self.path)
            else:
                self.problems["epub"] = None
                self._show_epub(view, touched)
            finally:
                self.building["epub"] = self._dirty["epub"]
                self._publish()

    def _show_epub(self, view: EpubView, assets_touched: bool) -> None:
        old = self.epub
        serial = self.versions.serial + 1
        for doc in view.documents:
            before = old.document(doc.file_name) if old else None
            if before is None or before.content != doc.content:
                self.versions.documents[doc.file_name] = serial
        if old is None or old.stylesheet != view.stylesheet:
            self.versions.stylesheet = serial
        if assets_touched or (old is not None and old.assets != view.assets):
            self.versions.assets = serial
        self.epub = view
        self.timings["epub"] = view.seconds

    async def _pdf_loop(self) -> None:
        if not self.pdfs and self.cover is None:
            self.building["pdf"] = True
            await self._render_cover()  # Quick, and the cover page is what opens first.
        while self._dirty["pdf"]:
            epub = self._tasks["epub"]
            if epub is not None and not epub.done():
                # The EPUB view's text first (0.1 s of work): on a busy machine the two
                # would share the cores, and the EPUB would be the later for it.
                await asyncio.wait([epub])
            self._dirty["pdf"] = False
            jobs = None if self._full_layout else 1
            self.building["pdf"] = True
            self._publish()
            try:
                built = await asyncio.to_thread(
                    self.worker.call, build_pdf, self.path, self.out_dir, jobs
                )
                data = await asyncio.to_thread(built.pdf.read_bytes)
                view = await asyncio.to_thread(PdfView, self.versions.serial + 1, data)
            except BuildFailed as exc:
                self.problems["pdf"] = exc.problem
            except OSError as exc:
                self.problems["pdf"] = Problem(f"cannot read the built PDF: {exc}", None)
            else:
                self._full_layout = False
                self.problems["pdf"] = None
                self.pdf_warnings = tuple(Problem.of_warning(w) for w in built.warnings)
                self.timings["pdf"] = built.seconds
                self.pdfs.append(view)
                while len(self.pdfs) > KEPT_PDFS:
                    self.pdfs.popleft().close()
                # An EPUB built now takes its page markers from this PDF.
                self._kick("epub")
            finally:
                self.building["pdf"] = self._dirty["pdf"]
                self._publish()
            if not self._dirty["pdf"] and self.epub and self.epub.cover_key != self._cover_key:
                await self._render_cover()

    async def _render_cover(self) -> None:
        key = self.epub.cover_key if self.epub else ""
        try:
            jpeg = await asyncio.to_thread(self.worker.call, cover_image, self.path, self.out_dir)
        except BuildFailed:
            self.cover_ready.set()  # None to serve: the error is shown, not waited for.
            return
        self._cover_key = key
        if jpeg != self.cover:
            self.versions.assets = self.versions.serial + 1  # Documents showing it load anew.
            self.cover = jpeg
            self.cover_ready.set()
            self._publish()

    async def close(self) -> None:
        for task in self._tasks.values():
            if task is not None:
                task.cancel()
        await asyncio.to_thread(self.worker.close)
        for view in self.pdfs:
            view.close()
        self.pdfs.clear()


def state_json(preview: IssuePreview, base: str) -> dict[str, Any]:
    """What the page needs to know, as JSON: documents, pages, versions, errors, warnings."""
    epub, pdf = preview.epub, preview.pdf
    ranges = preview.page_ranges()
    root = preview.root

    def link(problem: Problem) -> str | None:
        if problem.path is None or not problem.path.is_file():
            return None
        try:
            relative = problem.path.resolve().relative_to(root)
        except ValueError:
            return None
        return f"{base}source/{relative.as_posix()}" + (f"#L{problem.line}" if problem.line else "")

    problem = preview.problem()
    return {
        "serial": preview.versions.serial,
        "title": epub.issue.full_title if epub else preview.path.name,
        "building": dict(preview.building),
        "error": problem.as_json(root, link(problem)) if problem else None,
        "warnings": [w.as_json(root, link(w)) for w in preview.warnings()],
        "stylesheet": preview.versions.stylesheet,
        "assets": preview.versions.assets,
        "documents": [
            {
                "file": d.file_name,
                "title": d.title,
                "kind": d.kind,
                "version": preview.versions.documents.get(d.file_name, 0),
                "pages": [i + 1 for i in ranges.get(d.file_name, [])],
            }
            for d in (epub.documents if epub else ())
        ],
        "pdf": None
        if pdf is None
        else {
            "version": pdf.version,
            "pages": pdf.pages,
            "download": f"{base}download/{preview.epub.issue.output_stem}-preview.pdf"
            if preview.epub
            else None,
        },
        "timings": {k: round(v, 3) for k, v in preview.timings.items()},
    }
