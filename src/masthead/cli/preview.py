"""The `preview` command: serve an issue's live preview until Ctrl-C."""

from __future__ import annotations

import contextlib
import hashlib
import os
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from masthead.cli.app import app, err, fail
from masthead.errors import MastheadError

DEFAULT_HOST = "127.0.0.1"  # As masthead.preview's (not imported before it is known installed).
DEFAULT_PORT = 8765
MISSING = (
    "masthead preview needs the `preview` extra (Starlette, uvicorn, watchfiles): "
    "pip install 'masthead[preview]'"
)


def cache_dir(path: Path) -> Path:
    """Where the preview of `path` keeps its builds between runs (a restart lays out nothing
    that did not change): the user's cache folder, one subfolder per previewed folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return base / "masthead" / "preview" / f"{path.resolve().name}-{digest}"


@app.command("preview")
def preview_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="An issue folder, or a publication folder (the page offers its issues)."
        ),
    ],
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on; 0: any free port.")
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but this machine's is unprotected."),
    ] = DEFAULT_HOST,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the preview in the web browser.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the preview's builds (default: a cache)."),
    ] = None,
) -> None:
    """Serve a live preview: the EPUB and PDF editions, rebuilt and shown again on each save."""
    try:
        from masthead import preview
    except ImportError as exc:
        err.print(f"[bold red]error:[/] {escape(MISSING)} ({escape(str(exc))})", soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        site = preview.Preview(path, out or cache_dir(path))
        sock = preview.bind(host, port)
    except MastheadError as exc:
        fail(exc)
        return
    if not preview.is_loopback(host):
        err.print(
            f"[yellow]warning:[/] listening on {escape(host)}: the preview has no "
            "authentication; anyone who can reach this address can read the issue",
            soft_wrap=True,
            highlight=False,
        )
    url = preview.url_of(sock)
    print(url, flush=True)
    err.print("Watching for changes; Ctrl-C stops.", highlight=False)
    if open_browser:
        webbrowser.open(url)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the way to stop; uvicorn stopped.
        preview.serve(site, sock)
    err.print("Preview stopped.", highlight=False)
