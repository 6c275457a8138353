"""The preview's web application (Starlette): the page, its state by Server-Sent Events, the
EPUB's documents and images, the PDF's pages. Read-only: every route answers GET (and HEAD)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from masthead.batch import find_issues
from masthead.errors import InputError, MastheadError
from masthead.preview import page
from masthead.preview.safety import RefuseTraversal, file_inside
from masthead.preview.session import IssuePreview, state_json
from masthead.preview.watch import watch
from masthead.render.documents import COVER_HREF
from masthead.sources.sites import find_site

NO_STORE = {"Cache-Control": "no-store"}
IMMUTABLE = {"Cache-Control": "max-age=86400, immutable"}
# The EPUB's documents run no script (the build removes them); the page styles them.
DOCUMENT_POLICY = "default-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none'"
HEARTBEAT = 15.0  # Seconds between comments on an idle event stream (proxies close silent ones).
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class IssueEntry:
    """An issue the preview offers: its folder and what the picker shows."""

    key: str  # The folder's name: unique among a publication's issues.
    path: Path
    title: str


class Preview:
    """The issues of one folder under preview: an issue folder, or a publication's issues."""

    def __init__(self, path: Path, out_dir: Path) -> None:
        path = Path(path)
        if path.is_file() and path.name == "issue.toml":
            path = path.parent
        if not path.is_dir():
            raise InputError("no such folder", path, hint="give an issue or publication folder")
        path = path.resolve()
        found = find_issues([path])
        self.picker = found != [path]
        self.root = path if self.picker else _root_of(path)
        self.out_dir = Path(out_dir).resolve()
        self.entries = {p.name: IssueEntry(p.name, p, _title(p)) for p in found}
        self.sessions: dict[str, IssuePreview] = {}
        self.stopping = threading.Event()  # Set by the server when it starts to stop.

    def session(self, key: str) -> IssuePreview | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if key not in self.sessions:
            out = self.out_dir / key if self.picker else self.out_dir
            self.sessions[key] = IssuePreview(key, entry.path, self.root, out)
        return self.sessions[key]

    @property
    def only(self) -> str | None:
        """The one issue's key, when the preview is of one issue."""
        return None if self.picker else next(iter(self.entries))


def _root_of(issue: Path) -> Path:
    """What a lone issue belongs to, and nothing outside of which is served or watched: its
    publication (the folder above with publication.toml), or for a folder of articles the
    static site around it (its images are the site's), else the issue's own folder."""
    if (issue.parent / "publication.toml").is_file():
        return issue.parent
    if not (issue / "issue.toml").exists():
        try:
            site = find_site(issue)
        except MastheadError:
            site = None  # The build says what is wrong with it, in the page.
        if site is not None:
            return site.root.resolve()
    return issue


def _title(folder: Path) -> str:
    """An issue's title for the picker, from issue.toml (its folder name if it has none)."""
    try:
        data = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return folder.name
    issue = data.get("issue", {})
    parts = [str(issue["title"])] if isinstance(issue.get("title"), str) else [folder.name]
    if isinstance(issue.get("number"), int):
        parts.insert(0, f"No. {issue['number']}")
    return " · ".join(parts)


def create_app(preview: Preview, allowed_hosts: list[str] | None = None) -> Starlette:
    """The ASGI application; `allowed_hosts`: the Host headers answered (None: any)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            watch(
                preview.root,
                lambda: [s for s in preview.sessions.values() if s.started],
                stop,
                skip=[preview.out_dir],
            )
        )
        if preview.only is not None:
            session = preview.session(preview.only)
            assert session is not None
            session.start()  # Built while the browser opens.
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(watcher, 5)
            await asyncio.gather(*(s.close() for s in preview.sessions.values()))

    def issue_of(request: Request) -> IssuePreview:
        session = preview.session(request.path_params["key"])
        if session is None:
            raise _NotFound
        return session

    async def home(request: Request) -> Response:
        if preview.only is not None:
            return RedirectResponse(f"/i/{quote(preview.only)}/", 303)
        html = page.render("picker.html", entries=list(preview.entries.values()), quote=quote)
        return HTMLResponse(html, headers=NO_STORE)

    async def issue_page(request: Request) -> Response:
        session = issue_of(request)
        session.start()
        entry = preview.entries[session.key]
        html = page.render(
            "page.html", base=_base(session), title=entry.title, picker=preview.picker
        )
        return HTMLResponse(html, headers=NO_STORE)

    async def state(request: Request) -> Response:
        session = issue_of(request)
        return JSONResponse(state_json(session, _base(session)), headers=NO_STORE)

    async def events(request: Request) -> Response:
        session = issue_of(request)
        session.start()

        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            seen, quiet = -1, 0.0
            while not preview.stopping.is_set():
                serial = await session.wait_for_change(seen, 0.5)
                if serial != seen:
                    seen, quiet = serial, 0.0
                    data = json.dumps(state_json(session, _base(session)))
                    yield f"event: state\ndata: {data}\n\n"
                else:
                    quiet += 0.5
                    if quiet >= HEARTBEAT:
                        quiet = 0.0
                        yield ": still here\n\n"

        headers = {**NO_STORE, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def epub_file(request: Request) -> Response:
        session = issue_of(request)
        name = request.path_params["name"]
        view = session.epub
        if view is None:
            raise _NotFound
        document = view.document(name)
        if document is not None:
            headers = {**NO_STORE, "Content-Security-Policy": DOCUMENT_POLICY}
            return Response(document.content, media_type="application/xhtml+xml", headers=headers)
        if name == "style.css":
            return Response(view.stylesheet, media_type="text/css", headers=NO_STORE)
        if name == COVER_HREF:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(session.cover_ready.wait(), 60)
            if session.cover is not None:
                return Response(session.cover, media_type="image/jpeg", headers=NO_STORE)
            raise _NotFound
        source = view.assets.get(name)
        served = file_inside(session.root, source) if source is not None else None
        if served is None:  # Not an asset of the issue, or a symlink out of the publication.
            raise _NotFound
        return FileResponse(served, headers=NO_STORE)

    async def pdf_page(request: Request) -> Response:
        session = issue_of(request)
        pdf = session.pdf_version(request.path_params["version"])
        number = request.path_params["number"]
        if pdf is None or not 1 <= number <= pdf.pages:
            raise _NotFound
        if request.path_params["kind"] == "json":
            text = await asyncio.to_thread(pdf.text, number - 1)
            return JSONResponse(text, headers=IMMUTABLE)
        if request.path_params["kind"] != "jpg":
            raise _NotFound
        image = await asyncio.to_thread(pdf.image, number - 1)
        return Response(image, media_type="image/jpeg", headers=IMMUTABLE)

    async def download(request: Request) -> Response:
        session = issue_of(request)
        pdf, view = session.pdf, session.epub
        if pdf is None or view is None or request.path_params["name"] != _pdf_name(session):
            raise _NotFound
        return Response(pdf.data, media_type="application/pdf", headers=NO_STORE)

    async def source(request: Request) -> Response:
        """A file that an error or warning names, with line numbers (to see the line)."""
        session = issue_of(request)
        wanted = session.root / request.path_params["name"]
        served = file_inside(session.root, wanted)
        if served is None or served not in session.named_files():
            raise _NotFound
        text = await asyncio.to_thread(served.read_text, encoding="utf-8", errors="replace")
        html = page.render(
            "source.html",
            name=request.path_params["name"],
            lines=text.splitlines(),
            back=_base(session),
        )
        return HTMLResponse(html, headers=NO_STORE)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in page.STATIC:
            raise _NotFound
        return Response(page.render(name), media_type=page.STATIC[name], headers=NO_STORE)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Not Found", 404)

    routes = [
        Route("/", home),
        Route("/static/{name}", static),
        Route("/i/{key}/", issue_page),
        Route("/i/{key}/state", state),
        Route("/i/{key}/events", events),
        Route("/i/{key}/epub/{name:path}", epub_file),
        Route("/i/{key}/pdf/{version:int}/{number:int}.{kind}", pdf_page),
        Route("/i/{key}/download/{name}", download),
        Route("/i/{key}/source/{name:path}", source),
    ]
    middleware = [Middleware(RefuseTraversal)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={_NotFound: not_found, 404: not_found},
    )


class _NotFound(Exception):
    """Answered with a plain 404."""


def _base(session: IssuePreview) -> str:
    return f"/i/{quote(session.key)}/"


def _pdf_name(session: IssuePreview) -> str:
    """The download's name: the preview's PDF is untagged (rebuild.build_pdf), not the edition."""
    assert session.epub is not None
    return f"{session.epub.issue.output_stem}-preview.pdf"
