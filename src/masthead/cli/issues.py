"""The commands that make an issue: `build`, `check` and `new`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from masthead.build import build, check
from masthead.cli.app import EXIT_BAD_INPUT, app, err, fail, print_warnings, state, step
from masthead.errors import MastheadError
from masthead.options import ALL_FORMATS, FORMATS, BuildOptions

if TYPE_CHECKING:
    from masthead.model import BuildResult


@app.command("build")
def build_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Issue folders (with issue.toml) or folders of Markdown articles, or publication "
            "folders: each issue folder in them is built.",
            metavar="PATH...",
        ),
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
    language: Annotated[
        str | None,
        typer.Option(
            help="The issue's language, a BCP 47 tag like en, pt-BR, ar or zh-Hant (default: its "
            "settings', else guessed from the script of its text)."
        ),
    ] = None,
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
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help="Build again even when nothing changed since the last build."
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Issues (or PDF articles) built at once; default: cores."
        ),
    ] = None,
    pdf_mode: Annotated[
        str,
        typer.Option(
            "--pdf-mode",
            help="fast: articles laid out in parallel, cached, joined (not for PDF/A); "
            "single: one pass; auto: fast from 3 articles or with pieces cached.",
        ),
    ] = "auto",
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            help="Where the archive (OUT/archive/) will be served, like https://example.org/"
            "archive/: its feeds' links become absolute, and EPUBs link back to its pages.",
        ),
    ] = "",
    site_root: Annotated[
        Path | None,
        typer.Option(
            "--site-root",
            help="The static site's top folder (Jekyll, Hugo, Zola…), where /img/… paths and "
            "the site's config are found; default: looked for above the folder.",
        ),
    ] = None,
) -> None:
    """Build the issue's EPUB and PDF; prints each output path on its own line. A publication
    folder also gets its archive: a static site with OPDS and Atom feeds in OUT/archive/."""
    from masthead.batch import find_issues, publication_of

    publications = [p for p in paths if p.is_dir() and find_issues([p]) != [p]]
    # The archive offers the Kobo EPUB too, unless the formats are chosen.
    default = (*FORMATS, "kepub") if publications else FORMATS
    chosen = tuple(dict.fromkeys(f.lower() for f in (formats or default)))
    for fmt in chosen:
        if fmt not in ALL_FORMATS:
            raise typer.BadParameter(
                f"unknown format '{fmt}' (use {', '.join(ALL_FORMATS)})", param_hint="--format"
            )
    from masthead.editions.pdf.single import PAGE_SIZES, PDF_VARIANTS

    if page_size is not None and page_size.lower() not in PAGE_SIZES:
        raise typer.BadParameter(
            f"unknown page size '{page_size}' (use {', '.join(PAGE_SIZES)})",
            param_hint="--page-size",
        )
    if pdf_variant is not None and pdf_variant.lower() not in PDF_VARIANTS:
        raise typer.BadParameter(
            f"unknown PDF variant '{pdf_variant}' (use {', '.join(PDF_VARIANTS)})",
            param_hint="--pdf-variant",
        )
    options = BuildOptions(
        out_dir=out,
        formats=chosen,
        title=title,
        language=_language_option(language),
        page_size=page_size,
        pdf_variant=pdf_variant,
        strict=strict,
        use_cache=not no_cache,
        pdf_mode=pdf_mode,
        site_root=site_root,
    )
    issues = find_issues(paths)
    if len(issues) > 1 or publications:
        from masthead.batch import build_all

        try:
            with err.status(f"Building {len(issues)} issue{'s' * (len(issues) != 1)}…"):
                batch = build_all(paths, options, jobs=jobs, base_url=base_url)
        except MastheadError as exc:
            fail(exc)
            return
        results = batch.results
        for result in results:
            if isinstance(result, MastheadError):
                err.print(
                    f"[bold red]error:[/] {escape(str(result))}", soft_wrap=True, highlight=False
                )
            else:
                _print_result(result)
        for site in batch.archives:
            # On stderr: stdout lists the issues' files, one a line, for scripts.
            written = f"{len(site.written)} file{'s' * (len(site.written) != 1)} written"
            err.print(f"Archive: {site.index} ({written})", highlight=False, soft_wrap=True)
        failed = sum(isinstance(r, MastheadError) for r in results)
        if failed:
            err.print(f"{failed} of {len(issues)} issues failed", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        return
    links = None
    if publication_of(issues[0]) is not None:
        from masthead.batch import issue_links

        links = issue_links(issues[0], options, base_url)  # Related reading across issues.
    try:
        with err.status("Building…") as status:
            result = build(
                issues[0],
                replace(options, pdf_jobs=jobs),
                progress=lambda msg: status.update(f"{msg}…"),
                archive=links,
            )
    except MastheadError as exc:
        fail(exc)
        return
    _print_result(result)


def _language_option(value: str | None) -> str | None:
    from masthead.language import LanguageTagError, check_tag

    if value is None:
        return None
    try:
        return check_tag(value)
    except LanguageTagError as exc:
        raise typer.BadParameter(
            f"{exc} (use a tag like en, en-GB, pt-BR, ar, fa or zh-Hant)", param_hint="--language"
        ) from None


UP_TO_DATE = "up to date: nothing changed since the last build; --no-cache to rebuild"


def _print_result(result: BuildResult) -> None:
    print_warnings(result.warnings)
    if result.up_to_date:
        err.print(UP_TO_DATE, highlight=False)
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
    language: Annotated[
        str | None,
        typer.Option(help="The issue's language, a BCP 47 tag (as for build)."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail on any warning.")] = False,
    site_root: Annotated[
        Path | None,
        typer.Option("--site-root", help="The static site's top folder (default: looked for)."),
    ] = None,
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
        issue, warnings = check(
            path, title=title, site_root=site_root, language=_language_option(language)
        )
    except MastheadError as exc:
        fail(exc)
        return
    print_warnings(warnings)
    count = len(issue.articles)
    print(
        f"{issue.full_title}: {count} article{'s' * (count != 1)} in "
        f"{len(issue.sections)} section{'s' * (len(issue.sections) != 1)}, "
        f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"
    )
    if strict and warnings:
        raise typer.Exit(EXIT_BAD_INPUT)


def _check_files(epub_file: Path | None, kindle_file: Path | None) -> None:
    from masthead.editions.epub.validate import (
        Finding,
        kindle_risks,
        require_epub,
        run_ace,
        run_epubcheck,
    )

    found: list[Finding] = []
    failed = False
    checks = []
    if epub_file:
        checks += [("EPUBCheck", run_epubcheck, epub_file), ("DAISY Ace", run_ace, epub_file)]
    if kindle_file:
        checks.append(("Send to Kindle's rules", kindle_risks, kindle_file))
    try:
        for file in dict.fromkeys(p for p in (epub_file, kindle_file) if p):
            require_epub(file)
    except MastheadError as exc:
        fail(exc)
    # Each checker runs on its own: one that cannot run never hides another's findings.
    for name, checker, file in checks:
        try:
            with step(f"Checking {file.name} with {name}"):
                result = checker(file)
        except MastheadError as exc:
            if state["debug"]:
                raise
            err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
            failed = True
            continue
        if result is None:
            err.print("DAISY Ace is not installed; accessibility not checked", highlight=False)
            continue
        for finding in result:
            print(finding)
        found += result
    checked = ", ".join(str(p) for p in dict.fromkeys(p for p in (epub_file, kindle_file) if p))
    print(f"{checked}: {len(found)} finding{'s' * (len(found) != 1)}")
    if found or failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("new")
def new_command(
    path: Annotated[Path, typer.Argument(help="Folder to create for the new publication.")],
    name: Annotated[
        str | None, typer.Option(help="Publication name (default: from the folder).")
    ] = None,
) -> None:
    """Scaffold a publication with a first issue that builds as-is."""
    from masthead.scaffold import scaffold

    try:
        issue_dir = scaffold(path, name)
    except MastheadError as exc:
        fail(exc)
        return
    print(issue_dir)
    err.print(f"Build it with: masthead build {issue_dir}", highlight=False)
