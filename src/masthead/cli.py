"""The command line: parse, call the library, print, map errors to exit codes. Nothing else."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from masthead import __version__
from masthead.build import ALL_FORMATS, FORMATS, build, check
from masthead.errors import MastheadError
from masthead.scaffold import scaffold
from masthead.validate import Finding, kindle_risks, run_ace, run_epubcheck

app = typer.Typer(
    help="Package a magazine or newsletter issue into an EPUB and a PDF.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
state = {"debug": False}

EXIT_BAD_INPUT = 1


def _fail(exc: Exception) -> None:
    if state["debug"]:
        raise exc
    err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True, highlight=False)
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


def _print_warnings(warnings: tuple | list) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True, highlight=False)


@app.command("build")
def build_command(
    path: Annotated[
        Path,
        typer.Argument(help="Issue folder (with issue.toml) or any folder of Markdown articles."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("dist"),
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format: epub, pdf or kepub (Kobo); repeatable; default epub and pdf.",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Issue title (zero-config folders).")] = None,
    page_size: Annotated[
        str | None, typer.Option("--page-size", help="PDF page size: a4, letter, a5 or tablet.")
    ] = None,
    pdf_variant: Annotated[
        str | None,
        typer.Option(
            "--pdf-variant",
            help="PDF variant: pdf/ua-1 (tagged, the default), pdf/a-3b or pdf/a-2b (archival), "
            "pdf/a-2u, pdf/a-3u, pdf/a-3a, or none.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            help="Fail on any warning, and on any EPUBCheck or Ace finding in the built EPUB."
        ),
    ] = False,
) -> None:
    """Build the issue's EPUB and PDF; prints each output path on its own line."""
    chosen = tuple(dict.fromkeys(f.lower() for f in (formats or FORMATS)))
    for fmt in chosen:
        if fmt not in ALL_FORMATS:
            raise typer.BadParameter(
                f"unknown format '{fmt}' (use {', '.join(ALL_FORMATS)})", param_hint="--format"
            )
    try:
        with err.status("Building…") as status:
            result = build(
                path,
                out_dir=out,
                formats=chosen,
                title=title,
                page_size=page_size,
                pdf_variant=pdf_variant,
                strict=strict,
                progress=lambda msg: status.update(f"{msg}…"),
            )
    except MastheadError as exc:
        _fail(exc)
        return
    _print_warnings(result.warnings)
    for output in result.outputs:
        if output.suffix == ".pdf":
            size = output.stat().st_size / 1_000_000
            pages = f"{result.pdf_pages} pages, " if result.pdf_pages else ""
            err.print(f"PDF: {pages}{size:.1f} MB", highlight=False)
    for output in result.outputs:
        print(output)


@app.command("check")
def check_command(
    path: Annotated[
        Path | None, typer.Argument(help="Issue folder or folder of Markdown articles.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Issue title (zero-config folders).")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on any warning.")] = False,
    epub_file: Annotated[
        Path | None,
        typer.Option(
            "--epub",
            help="Check a built EPUB with EPUBCheck (and DAISY Ace when installed).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    kindle_file: Annotated[
        Path | None,
        typer.Option(
            "--kindle",
            help="Report what Send to Kindle is known to reject in a built EPUB.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Validate an issue's inputs and templates without writing anything, or check a built EPUB."""
    if epub_file or kindle_file:
        _check_files(epub_file, kindle_file)
        return
    if path is None:
        raise typer.BadParameter(
            "give an issue folder, --epub FILE or --kindle FILE", param_hint="PATH"
        )
    try:
        issue, warnings = check(path, title=title)
    except MastheadError as exc:
        _fail(exc)
        return
    _print_warnings(warnings)
    count = len(issue.articles)
    print(
        f"{issue.full_title}: {count} article{'s' * (count != 1)} in "
        f"{len(issue.sections)} section{'s' * (len(issue.sections) != 1)}, "
        f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"
    )
    if strict and warnings:
        raise typer.Exit(EXIT_BAD_INPUT)


def _check_files(epub_file: Path | None, kindle_file: Path | None) -> None:
    found: list[Finding] = []
    try:
        if epub_file:
            found += run_epubcheck(epub_file)
            ace = run_ace(epub_file)
            if ace is None:
                err.print("DAISY Ace is not installed; accessibility not checked", highlight=False)
            else:
                found += ace
        if kindle_file:
            found += kindle_risks(kindle_file)
    except MastheadError as exc:
        _fail(exc)
        return
    for finding in found:
        print(finding)
    checked = ", ".join(str(p) for p in dict.fromkeys(p for p in (epub_file, kindle_file) if p))
    print(f"{checked}: {len(found)} finding{'s' * (len(found) != 1)}")
    if found:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("new")
def new_command(
    path: Annotated[Path, typer.Argument(help="Folder to create for the new publication.")],
    name: Annotated[
        str | None, typer.Option(help="Publication name (default: from the folder).")
    ] = None,
) -> None:
    """Scaffold a publication with a first issue that builds as-is."""
    try:
        issue_dir = scaffold(path, name)
    except MastheadError as exc:
        _fail(exc)
        return
    print(issue_dir)
    err.print(f"Build it with: masthead build {issue_dir}", highlight=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
