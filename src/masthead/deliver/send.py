"""Stage 6 — deliver: plan a send (offline), then mail each recipient once, journalled."""

from __future__ import annotations

import heapq
import itertools
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.build import prepare
from masthead.deliver.config import MailSettings, SmtpSettings, mail_settings
from masthead.deliver.errors import ConnectError, JournalError, SizeError, SmtpError
from masthead.deliver.journal import (
    Entry,
    Journal,
    read_journal,
    state_dir_for,
)
from masthead.deliver.message import Attachment, Composer, Outgoing, limit_bytes
from masthead.deliver.outputs import Outputs, ensure_outputs
from masthead.deliver.recipients import (
    Recipient,
    RecipientList,
    Skipped,
    read_recipients,
    read_suppression,
)
from masthead.deliver.transport import (
    PermanentFailure,
    RateLimiter,
    RetryPolicy,
    SmtpTransport,
    TemporaryFailure,
)
from masthead.errors import OutputError
from masthead.model import BuildWarning, Issue
from masthead.text import slugify

DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class SendProgress:
    """What the sender is doing, for a progress bar. Library code never prints."""

    event: str  # "build", "connect", "sent", "failed", "retry", "reconnect", "stop".
    done: int = 0  # Recipients finished (sent or failed) in this run.
    total: int = 0  # Recipients to send in this run.
    email: str = ""
    detail: str = ""  # Like "451 4.3.0 Try again later; next try in 2.1 s".


ProgressCallback = Callable[[SendProgress], None]


def _quiet(_: SendProgress) -> None:
    pass


class StopSignal:
    """Set from a signal handler: the message in flight finishes, then the run stops."""

    def __init__(self) -> None:
        self.reason = ""

    @property
    def requested(self) -> bool:
        return bool(self.reason)

    def request(self, reason: str = "stopped") -> None:
        self.reason = self.reason or reason

    def sleep(self, seconds: float, step: float = 0.05) -> None:
        """Sleep up to `seconds`, waking early once a stop is requested."""
        end = time.monotonic() + max(0.0, seconds)
        while not self.requested:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(step, left))


@dataclass(frozen=True)
class SendRequest:
    issue_path: Path
    recipients: Path  # The subscribers CSV.
    out_dir: Path = Path("dist")  # Where `masthead build` puts (or has put) the issue.
    state_dir: Path | None = None  # Default: ISSUE/.masthead-state.
    settings: Mapping[str, Any] = field(default_factory=dict)  # Command-line `[email]` values.
    suppression: tuple[Path, ...] = ()  # Extra suppression lists, besides `[email]`'s.
    resend_in_doubt: bool = False
    env: Mapping[str, str] | None = None  # Default: os.environ.


@dataclass(frozen=True)
class SendPlan:
    """Everything decided before anything is sent: the confirmation prompt shows it."""

    issue: Issue
    mail: MailSettings
    outputs: Outputs
    recipients: RecipientList
    to_send: tuple[Recipient, ...]
    already_sent: tuple[Recipient, ...]
    in_doubt: tuple[Recipient, ...]  # Left in "sending" by an earlier run: not sent again.
    state_dir: Path
    composer: Composer = field(repr=False)
    largest: int = 0  # Bytes of the largest message checked against its limit.
    warnings: tuple[BuildWarning, ...] = ()
    message_ids: Mapping[str, str] = field(default_factory=dict)  # Recipient key -> earlier id.
    resend_in_doubt: bool = False

    def counts(self) -> dict[str, int]:
        formats = {f: sum(r.format == f for r in self.to_send) for f in ("pdf", "epub", "both")}
        return {
            "to_send": len(self.to_send),
            **formats,
            "ereaders": sum(r.ereader for r in self.to_send),
            "already_sent": len(self.already_sent),
            "in_doubt": len(self.in_doubt),
            "suppressed": len(self.recipients.suppressed),
            "duplicates": len(self.recipients.duplicates),
            "invalid": len(self.recipients.invalid),
        }


@dataclass(frozen=True)
class Failure:
    email: str
    reason: str  # The server's reply, like "550 5.1.1 No such user".


@dataclass(frozen=True)
class SendReport:
    issue: str  # The issue's full title.
    sent: tuple[str, ...] = ()  # Sent in this run.
    failed: tuple[Failure, ...] = ()
    in_doubt: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # Not tried: the run stopped or gave up first.
    skipped: tuple[Skipped, ...] = ()  # Bad rows, duplicates, suppressed.
    already_sent: tuple[str, ...] = ()
    stopped: str = ""  # Why the run stopped early, like "interrupted (SIGINT)".
    aborted: str = ""  # A server problem that ended the run, like a refused login.
    elapsed: float = 0.0
    dry_run: tuple[Path, ...] = ()  # The .eml files a dry run wrote.

    @property
    def invalid(self) -> tuple[Skipped, ...]:
        return tuple(
            s
            for s in self.skipped
            if s.reason.startswith(("invalid", "no email", "unknown format"))
        )

    @property
    def ok(self) -> bool:
        """True when every valid recipient has their message (or, dry run, its file)."""
        return not (self.failed or self.in_doubt or self.pending or self.invalid or self.aborted)

    def as_dict(self) -> dict[str, object]:
        return {
            "issue": self.issue,
            "ok": self.ok,
            "sent": list(self.sent),
            "failed": [{"email": f.email, "reason": f.reason} for f in self.failed],
            "in_doubt": list(self.in_doubt),
            "pending": list(self.pending),
            "already_sent": list(self.already_sent),
            "skipped": [
                {"line": s.line, "email": s.text, "reason": s.reason} for s in self.skipped
            ],
            "stopped": self.stopped,
            "aborted": self.aborted,
            "elapsed_seconds": round(self.elapsed, 3),
            **({"dry_run": [str(p) for p in self.dry_run]} if self.dry_run else {}),
        }


def plan_send(request: SendRequest, progress: ProgressCallback = _quiet) -> SendPlan:
    """Read the issue, settings, recipients and journal; build the issue if needed; render a
    message for each kind of recipient and check its size. Sends nothing, needs no network."""
    issue, warnings = prepare(request.issue_path)
    env = os.environ if request.env is None else request.env
    mail = mail_settings(issue, request.settings, env)
    suppressed = read_suppression([*mail.suppression, *request.suppression])
    recipients = read_recipients(request.recipients, suppressed)
    state_dir = Path(request.state_dir) if request.state_dir else state_dir_for(issue.source)
    entries = {e.key: e for e in read_journal(state_dir, issue.identifier)}

    to_send: list[Recipient] = []
    already: list[Recipient] = []
    doubt: list[Recipient] = []
    for r in recipients.recipients:
        entry = entries.get(r.key)
        if entry is not None and entry.state == "sent":
            already.append(r)
        elif entry is not None and entry.in_doubt and not request.resend_in_doubt:
            doubt.append(r)
        else:
            to_send.append(r)

    formats = sorted({f for r in to_send for f in r.formats}, key=("pdf", "epub").index)
    outputs = ensure_outputs(
        issue,
        request.out_dir,
        formats,
        exclude=[state_dir],
        progress=lambda msg: progress(SendProgress("build", detail=msg)),
    )
    attachments = {
        fmt: Attachment(fmt, path, path.read_bytes()) for fmt, path in outputs.files.items()
    }
    composer = Composer(issue, mail, attachments)
    largest = _check_sizes(composer, to_send)
    return SendPlan(
        issue=issue,
        mail=mail,
        outputs=outputs,
        recipients=recipients,
        to_send=tuple(to_send),
        already_sent=tuple(already),
        in_doubt=tuple(doubt),
        state_dir=state_dir,
        composer=composer,
        largest=largest,
        warnings=(*warnings, *outputs.warnings),
        message_ids={k: e.message_id for k, e in entries.items() if e.message_id},
        resend_in_doubt=request.resend_in_doubt,
    )


def _check_sizes(composer: Composer, recipients: list[Recipient]) -> int:
    """Render one message per kind of recipient (attachments × size limit) and refuse the
    whole send if one is too large: better than failing half the list."""
    largest = 0
    seen: set[tuple[tuple[str, ...], int]] = set()
    for r in recipients:
        kind = (r.formats, limit_bytes(r, composer.mail))
        if kind in seen:
            continue
        seen.add(kind)
        outgoing = composer.compose(r)
        # Headers differ a little per recipient (name, address, unsubscribe link).
        padded = Outgoing(r, outgoing.message_id, outgoing.subject, outgoing.data + b" " * 2048)
        composer.check_size(padded)
        largest = max(largest, outgoing.size)
    return largest


def _base_report(plan: SendPlan) -> dict[str, Any]:
    return {
        "issue": plan.issue.full_title,
        "skipped": plan.recipients.skipped,
        "already_sent": tuple(r.email for r in plan.already_sent),
    }


def write_dry_run(plan: SendPlan, folder: Path, progress: ProgressCallback = _quiet) -> SendReport:
    """Write the message each recipient would get now as `folder/NNNN-address.eml` (RFC 5322
    files any mail client opens). Sends nothing and leaves the journal alone. Every file is
    written, or none is: a folder it cannot write is an OutputError, and a failure leaves the
    folder as it was."""
    start = time.monotonic()
    folder = Path(folder)
    written: list[tuple[Path, Path]] = []  # (temporary file, the .eml it becomes)
    total = len(plan.to_send)
    failed: list[Failure] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for index, r in enumerate(plan.to_send, 1):
            outgoing = plan.composer.compose(r)
            try:
                plan.composer.check_size(outgoing)
            except SizeError as exc:
                failed.append(Failure(r.email, str(exc)))
                continue
            path = folder / f"{index:04d}-{slugify(r.email, 'recipient')}.eml"
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
            written.append((Path(name), path))
            os.fchmod(handle, 0o644)
            with os.fdopen(handle, "wb") as file:
                file.write(outgoing.data)
            progress(SendProgress("sent", index, total, r.email, str(path)))
        for temporary, path in written:
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(
            f"cannot write the messages ({exc.strerror})",
            folder,
            hint="give --dry-run a folder you can write to",
        ) from exc
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
    return SendReport(
        **_base_report(plan),
        failed=tuple(failed),
        in_doubt=tuple(r.email for r in plan.in_doubt),
        elapsed=time.monotonic() - start,
        dry_run=tuple(path for _, path in written),
    )


def deliver(
    plan: SendPlan,
    smtp: SmtpSettings,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    rate: float | None = None,
    progress: ProgressCallback = _quiet,
    stop: StopSignal | None = None,
    transport: SmtpTransport | None = None,
) -> SendReport:
    """Send `plan` through `smtp`. Every state change is in the journal before the next step.

    Raises SmtpError when the server cannot be used at all (unreachable, no STARTTLS, bad
    certificate, refused login): that is found before any message is handed over. Problems
    during the run end up in the report instead.
    """
    stop = stop or StopSignal()
    transport = transport or SmtpTransport(smtp)
    limiter = RateLimiter(rate if rate is not None else plan.mail.rate)
    sender = plan.mail.sender.addr_spec
    start = time.monotonic()
    run: dict[str, Recipient] = {}
    sent: list[str] = []
    aborted = ""

    with Journal(plan.state_dir, plan.issue.identifier) as journal:
        journal.lock()
        entries = journal.entries()  # Again, under the lock: another run may have finished.
        queue: deque[tuple[Recipient, int]] = deque()
        for r in plan.to_send:
            entry = entries.get(r.key)
            if entry is not None and (
                entry.state == "sent" or (entry.in_doubt and not plan.resend_in_doubt)
            ):
                continue
            run[r.key] = r
            queue.append((r, 1))
        journal.add(run.values())
        total = len(queue)
        message_ids = dict(plan.message_ids)

        progress(SendProgress("connect", 0, total, detail=smtp.describe()))
        if queue:
            transport.open()  # SmtpError here: nothing has been sent.
        later: list[tuple[float, int, Recipient, int]] = []  # (when, order, recipient, try)
        order = itertools.count()
        done = 0
        connect_failures = 0
        try:
            while queue or later:
                if stop.requested:
                    break
                now = time.monotonic()
                if later and (later[0][0] <= now or not queue):
                    if later[0][0] > now:
                        stop.sleep(later[0][0] - now)
                        continue
                    _, _, r, attempt = heapq.heappop(later)
                else:
                    r, attempt = queue.popleft()
                wait = limiter.wait_time()
                if wait:
                    stop.sleep(wait)
                    if stop.requested:
                        queue.appendleft((r, attempt))
                        break
                # A retry (or a re-send of one in doubt) keeps its Message-ID, so a copy that
                # did arrive after all is recognisable as the same message.
                message_id = message_ids.get(r.key)
                outgoing = plan.composer.compose(r, message_id=message_id)
                message_ids[r.key] = outgoing.message_id
                try:
                    plan.composer.check_size(outgoing)
                except SizeError as exc:
                    journal.failed(r, str(exc))
                    done += 1
                    progress(SendProgress("failed", done, total, r.email, str(exc)))
                    continue
                try:
                    transport.ensure_open()
                    connect_failures = 0
                except ConnectError as exc:
                    connect_failures += 1
                    if connect_failures >= retry.attempts:
                        aborted = f"{exc} (gave up after {connect_failures} tries)"
                        queue.appendleft((r, attempt))
                        break
                    delay = retry.delay(connect_failures)
                    progress(
                        SendProgress(
                            "reconnect",
                            done,
                            total,
                            r.email,
                            f"{exc.message}; next try in {delay:.1f} s",
                        )
                    )
                    heapq.heappush(later, (time.monotonic() + delay, next(order), r, attempt))
                    continue
                except SmtpError as exc:
                    aborted = str(exc)
                    queue.appendleft((r, attempt))
                    break
                limiter.started()
                journal.sending(r, outgoing.message_id)
                try:
                    reply = transport.send(sender, r.email, outgoing.data)
                except TemporaryFailure as exc:
                    if attempt >= retry.attempts:
                        journal.failed(r, f"{exc.reply} (gave up after {attempt} tries)")
                        done += 1
                        progress(SendProgress("failed", done, total, r.email, exc.reply))
                    else:
                        journal.retry(r, exc.reply)
                        delay = retry.delay(attempt)
                        heapq.heappush(
                            later, (time.monotonic() + delay, next(order), r, attempt + 1)
                        )
                        progress(
                            SendProgress(
                                "retry",
                                done,
                                total,
                                r.email,
                                f"{exc.reply}; next try in {delay:.1f} s",
                            )
                        )
                except PermanentFailure as exc:
                    journal.failed(r, exc.reply)
                    done += 1
                    progress(SendProgress("failed", done, total, r.email, exc.reply))
                except SmtpError as exc:  # The session, not this message: stop the run.
                    journal.retry(r, str(exc))
                    aborted = str(exc)
                    break
                else:
                    journal.sent(r, reply)
                    sent.append(r.email)
                    done += 1
                    progress(SendProgress("sent", done, total, r.email))
        except JournalError as exc:
            aborted = str(exc)
        finally:
            transport.close()
        if stop.requested:
            progress(SendProgress("stop", done, total, detail=stop.reason))
        final = journal.entries()

    return _report(plan, run, final, sent, stop.reason, aborted, time.monotonic() - start)


def _report(
    plan: SendPlan,
    run: Mapping[str, Recipient],
    final: Mapping[str, Entry],
    sent: list[str],
    stopped: str,
    aborted: str,
    elapsed: float,
) -> SendReport:
    failed, doubt, pending = [], [r.email for r in plan.in_doubt], []
    for key, r in run.items():
        entry = final.get(key)
        state = entry.state if entry else "pending"
        if state == "failed":
            failed.append(Failure(r.email, entry.reply if entry else ""))
        elif state == "sending":
            doubt.append(r.email)
        elif state == "pending":
            pending.append(r.email)
    return SendReport(
        **_base_report(plan),
        sent=tuple(sent),
        failed=tuple(failed),
        in_doubt=tuple(doubt),
        pending=tuple(pending),
        stopped=stopped,
        aborted=aborted,
        elapsed=elapsed,
    )
