"""Serving the preview with uvicorn on a socket bound beforehand (so the address is known, and
printed, before the server starts), stopping cleanly on Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
from types import FrameType

import uvicorn

from masthead.errors import MastheadError
from masthead.preview.app import LOOPBACK, Preview, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """Whether `host` only answers this machine (no one else can reach the preview)."""
    if host in ("localhost", "[::1]"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (0: any free port); raises MastheadError."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise MastheadError(f"cannot use host '{host}': {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "choose another with --port, or --port 0 for any free port"
        raise MastheadError(f"cannot listen on {host}:{port}: {exc.strerror}", hint=hint) from exc
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells the preview when it starts to stop: the event
    streams then end, and the server need not wait for the browser to close them."""

    def __init__(self, config: uvicorn.Config, preview: Preview) -> None:
        super().__init__(config)
        self.preview = preview

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.preview.stopping.set()
        super().handle_exit(sig, frame)


def serve(preview: Preview, sock: socket.socket) -> None:
    """Serve `preview` on `sock` until interrupted: Ctrl-C stops it cleanly, then raises
    KeyboardInterrupt (as uvicorn does, to let the caller know)."""
    host = sock.getsockname()[0]
    # Answer only to this machine's names when only it can connect (no DNS rebinding). IPv6
    # hosts are left out: the middleware cannot tell "[::1]:8765" from a name.
    allowed = list(LOOPBACK) if is_loopback(host) and ":" not in host else None
    app = create_app(preview, allowed)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        loop="asyncio",
        http="h11",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    _Server(config, preview).run(sockets=[sock])
