"""The command line: parse, call the library, print, map errors to exit codes. Nothing else."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from masthead import __version__
from masthead.build import build, check
from masthead.errors import MastheadError
from masthead.options import ALL_FORMATS, FORMATS, BuildOptions

# Each command imports what only it needs, inside it: `masthead build` must start fast (a build
# with nothing changed returns in well under half a second), so sending, importing and EPUBCheck
# are not loaded for it.
PASSWORD_ENV = "MASTHEAD_SMTP_PASSWORD"  # As masthead.deliver.config.PASSWORD_ENV.
if TYPE_CHECKING:
    from masthead.deliver import SendPlan, SendProgress, SendReport, SmtpSettings
    from masthead.model import BuildResult

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


def _print_warnings(warnings: tuple | list) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(str(warning))}", soft_wrap=True, highlight=False)


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
) -> None:
    """Build the issue's EPUB and PDF; prints each output path on its own line."""
    chosen = tuple(dict.fromkeys(f.lower() for f in (formats or FORMATS)))
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
    from masthead.batch import build_many, find_issues

    options = BuildOptions(
        out_dir=out,
        formats=chosen,
        title=title,
        page_size=page_size,
        pdf_variant=pdf_variant,
        strict=strict,
        use_cache=not no_cache,
        pdf_mode=pdf_mode,
    )
    issues = find_issues(paths)
    if len(issues) > 1:
        with err.status(f"Building {len(issues)} issues…"):
            results = build_many(issues, options, jobs=jobs)
        for result in results:
            if isinstance(result, MastheadError):
                err.print(
                    f"[bold red]error:[/] {escape(str(result))}", soft_wrap=True, highlight=False
                )
            else:
                _print_result(result)
        failed = sum(isinstance(r, MastheadError) for r in results)
        if failed:
            err.print(f"{failed} of {len(issues)} issues failed", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        return
    try:
        with err.status("Building…") as status:
            result = build(
                issues[0],
                replace(options, pdf_jobs=jobs),
                progress=lambda msg: status.update(f"{msg}…"),
            )
    except MastheadError as exc:
        _fail(exc)
        return
    _print_result(result)


def _print_result(result: BuildResult) -> None:
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
    from masthead.editions.epub.validate import Finding, kindle_risks, run_ace, run_epubcheck

    found: list[Finding] = []
    failed = False
    checks = []
    if epub_file:
        checks += [(run_epubcheck, epub_file), (run_ace, epub_file)]
    if kindle_file:
        checks.append((kindle_risks, kindle_file))
    # Each checker runs on its own: one that cannot run never hides another's findings.
    for checker, file in checks:
        try:
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
        _fail(exc)
        return
    print(issue_dir)
    err.print(f"Build it with: masthead build {issue_dir}", highlight=False)


EXIT_NOT_ALL_SENT = 3


@app.command("send")
def send_command(
    path: Annotated[Path, typer.Argument(help="Issue folder.")],
    recipients: Annotated[
        Path | None,
        typer.Option(
            "--recipients",
            "-r",
            help="CSV with an email column; optional name and format (pdf, epub or both).",
        ),
    ] = None,
    dry_run: Annotated[
        Path | None,
        typer.Option(
            "--dry-run", metavar="DIR", help="Write one .eml per recipient to DIR; send nothing."
        ),
    ] = None,
    smtp_host: Annotated[str | None, typer.Option(help="SMTP server.")] = None,
    smtp_port: Annotated[
        int | None, typer.Option(help="Port (default 587 starttls, 465 ssl).")
    ] = None,
    security: Annotated[
        str | None,
        typer.Option(help="starttls (default), ssl (implicit TLS) or none (loopback only)."),
    ] = None,
    smtp_user: Annotated[
        str | None,
        typer.Option(help=f"Login; the password is read from ${PASSWORD_ENV} or asked for."),
    ] = None,
    sender: Annotated[
        str | None, typer.Option("--from", help='Sender, like "The Lantern <editor@example.org>".')
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(help="PEM file of the CA that signed a private server's certificate."),
    ] = None,
    rate: Annotated[float | None, typer.Option(help="At most N messages a second.")] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Send without asking (needed when there is no terminal)."),
    ] = False,
    show_status: Annotated[
        bool,
        typer.Option(
            "--status", help="Show what the journal says was sent, failed, is pending or in doubt."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    resend_in_doubt: Annotated[
        bool,
        typer.Option(
            "--resend-in-doubt",
            help="Send again to recipients whose message may have been delivered when a run died.",
        ),
    ] = False,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder of the built issue (built there when missing or stale)."
        ),
    ] = Path("dist"),
    note: Annotated[
        Path | None, typer.Option(help="Text file with the editor's note for this issue.")
    ] = None,
    suppress: Annotated[
        list[Path] | None,
        typer.Option(help="File of addresses never to mail (unsubscribed, bounced); repeatable."),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(help="Where the send journal lives (default ISSUE/.masthead-state)."),
    ] = None,
) -> None:
    """Email the issue: the PDF to subscribers, the EPUB to e-readers, once each."""
    from masthead.deliver import (
        SendRequest,
        journal_status,
        plan_send,
        smtp_settings,
        write_dry_run,
    )
    from masthead.deliver.config import smtp_login
    from masthead.deliver.report import plan_lines, status_lines, summary_lines

    try:
        if show_status:
            status = journal_status(path, state_dir)
            if as_json:
                print(json.dumps(status.as_dict(), indent=2))
            else:
                print("\n".join(status_lines(status)))
            return
        if recipients is None:
            raise typer.BadParameter("give the subscribers CSV", param_hint="--recipients")
        cli_settings = {
            "from": sender,
            "smtp_host": smtp_host,
            "smtp_port": smtp_port,
            "security": security,
            "smtp_user": smtp_user,
            "ca_file": str(ca_file) if ca_file else None,
            "rate": rate,
            "note_file": str(note) if note else None,
        }
        request = SendRequest(
            path,
            recipients,
            out_dir=out,
            state_dir=state_dir,
            settings=cli_settings,
            suppression=tuple(suppress or ()),
            resend_in_doubt=resend_in_doubt,
        )
        with err.status("Preparing…") as spinner:
            plan = plan_send(request, progress=lambda p: spinner.update(f"{p.detail}…"))
        _print_warnings(plan.warnings)

        if dry_run is not None:
            err.print(
                "\n".join(plan_lines(plan, None)), highlight=False, soft_wrap=True, markup=False
            )
            report = write_dry_run(plan, dry_run)
        else:
            password = None
            login = smtp_login(plan.issue, cli_settings)
            if login and not os.environ.get(PASSWORD_ENV) and sys.stdin.isatty():
                password = getpass.getpass(f"SMTP password for {login}: ")
            smtp = smtp_settings(plan.issue, cli_settings, password=password)
            err.print(
                "\n".join(plan_lines(plan, smtp)), highlight=False, soft_wrap=True, markup=False
            )
            if plan.to_send and not yes:
                if not sys.stdin.isatty():
                    err.print(
                        "[bold red]error:[/] not sending without confirmation: pass "
                        "--yes to send from a script",
                        highlight=False,
                    )
                    raise typer.Exit(EXIT_BAD_INPUT)
                if not typer.confirm(f"Send {len(plan.to_send)} messages?", err=True):
                    err.print("Nothing sent.")
                    raise typer.Exit(EXIT_BAD_INPUT)
            report = _deliver_with_progress(plan, smtp)
    except MastheadError as exc:
        _fail(exc)
        return
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(summary_lines(report)))
    if not report.ok:
        stopped_by = {"SIGINT": 130, "SIGTERM": 143}
        raise typer.Exit(
            next(
                (code for name, code in stopped_by.items() if name in report.stopped),
                EXIT_NOT_ALL_SENT,
            )
        )


def _deliver_with_progress(plan: SendPlan, smtp: SmtpSettings) -> SendReport:
    """Send with a progress bar; SIGINT/SIGTERM finish the message in flight, then stop."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from masthead.deliver import StopSignal, deliver

    stop = StopSignal()

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt  # A second Ctrl-C: stop now.
        stop.request(f"interrupted ({name})")
        err.print(
            f"{name}: finishing the message in flight, then stopping "
            "(Ctrl-C again to stop at once)",
            highlight=False,
        )

    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():  # Signals go to the main thread.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    try:
        with bar:
            task = bar.add_task("Sending", total=len(plan.to_send), last="")

            def on_progress(p: SendProgress) -> None:
                if p.event in ("sent", "failed"):
                    bar.update(task, completed=p.done, last=p.email)
                elif p.event in ("retry", "reconnect"):
                    bar.update(task, last=f"{p.email}: {p.detail}")
                    if not err.is_terminal:
                        err.print(
                            f"{p.event}: {p.email}: {p.detail}", highlight=False, markup=False
                        )

            return deliver(plan, smtp, progress=on_progress, stop=stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Crawled articles: .txt (text as the crawler left it) or .html (saved web pages)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Markdown files.")],
    explain_: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="List what was removed or moved, with its kind, first words and lines.",
        ),
    ] = False,
    publication: Annotated[
        Path | None,
        typer.Option(
            "--publication",
            help="publication.toml whose [import] boilerplate patterns apply "
            "(default: one in --out or its parent folder).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace Markdown files that already exist.")
    ] = False,
) -> None:
    """Turn crawled articles into clean Markdown with front matter; prints each file written."""
    from masthead.sources.imported import (
        explain,
        import_files,
        settings_file,
        settings_from,
        write_imports,
    )

    try:
        settings = settings_from(settings_file(out, publication))
        results = import_files(files, out, settings, overwrite=force)
        written = write_imports(results)
    except MastheadError as exc:
        _fail(exc)
        return
    for (article, target), path in zip(results, written, strict=True):
        if explain_:
            err.print(f"{article.source} → {target}", highlight=False, soft_wrap=True, markup=False)
            for line in explain(article):
                err.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
        print(path)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
