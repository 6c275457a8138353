"""The typer application and what every command shares: the error console, failing with one
line and an exit code, printing warnings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from masthead import __version__

# Each command imports what only it needs, inside it: `masthead build` must start fast (a build
# with nothing changed returns in well under half a second), so sending, importing and EPUBCheck
# are not loaded for it.

app = typer.Typer(
    help="Package a magazine or newsletter issue into an EPUB and a PDF.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
state = {"debug": False}

EXIT_BAD_INPUT = 1


def fail(exc: Exception) -> None:
    if state["debug"]:
        raise exc
    # Messages name TOML tables like [issue]: escape them so Rich does not read them as markup.
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def _version(value: bool) -> None:
    if value:
        print(f"masthead {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """masthead turns a folder of articles into an issue: EPUB for e-readers, PDF for email."""
    state["debug"] = debug


@contextmanager
def step(message: str) -> Iterator[None]:
    """Show that `message` is under way: a spinner with the time it has taken on a terminal,
    else the message once, as a line of its own (logs see what a long run was doing)."""
    if not err.is_terminal:
        err.print(f"{message}…", highlight=False, markup=False)
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}…"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        progress.add_task(escape(message), total=None)
        yield


def print_warnings(warnings: Sequence[object]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(str(warning))}", soft_wrap=True, highlight=False)
