"""What the preview refuses: any path that climbs out of where it points, and any file that is
not under the publication's folder once symlinks are followed. Refusals are plain 404s."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Encoded dots, slashes, backslashes and NULs: no page of the preview links with them.
_ENCODED = (b"%2e", b"%2f", b"%5c", b"%00")


def safe_request_path(raw: bytes, path: str) -> bool:
    """Whether a request path (as sent, and decoded) stays where it points."""
    lowered = raw.lower()
    if any(mark in lowered for mark in _ENCODED) or b"\\" in raw or b"//" in raw:
        return False
    if "\\" in path or "\x00" in path or "//" in path:
        return False
    return not any(segment in {".", ".."} for segment in path.split("/"))


def file_inside(root: Path, path: Path) -> Path | None:
    """`path` with symlinks followed, if it is a file under `root`; else None."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root.resolve()) or not real.is_file():
        return None
    return real


class RefuseTraversal:
    """ASGI middleware: a 404 for any request whose path climbs (`..`, encoded or not), hides a
    separator, or holds an absolute path, before any route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            raw = scope.get("raw_path") or path.encode("utf-8", "surrogateescape")
            if not safe_request_path(raw, path):
                await PlainTextResponse("Not Found", 404)(scope, receive, send)
                return
        await self.app(scope, receive, send)
