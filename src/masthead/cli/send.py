"""The `send` command: email an issue's PDF to its list, with a journal that never double-sends."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from masthead.cli.app import EXIT_BAD_INPUT, app, err, fail, print_warnings
from masthead.errors import MastheadError

if TYPE_CHECKING:
    from masthead.deliver import SendPlan, SendProgress, SendReport, SmtpSettings


EXIT_NOT_ALL_SENT = 3
PASSWORD_ENV = "MASTHEAD_SMTP_PASSWORD"  # As masthead.deliver.config.PASSWORD_ENV.


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
        print_warnings(plan.warnings)

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
        fail(exc)
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

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # Signals go to the main thread.
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            previous[signal_number] = signal.signal(signal_number, on_signal)
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
