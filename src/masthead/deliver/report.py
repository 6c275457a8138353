"""Words for people: the plan before sending, the summary after, the journal's state.
Plain strings; the CLI decides where they go."""

from __future__ import annotations

from collections import Counter

from masthead.deliver.config import SmtpSettings
from masthead.deliver.send import SendPlan, SendReport
from masthead.deliver.status import JournalStatus

MB = 1_000_000


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _join(parts: list[str]) -> str:
    return ", ".join(p for p in parts if p)


def plan_lines(plan: SendPlan, smtp: SmtpSettings | None) -> list[str]:
    c = plan.counts()
    kinds = _join(
        [
            f"{c['pdf']} PDF" if c["pdf"] else "",
            f"{c['epub']} EPUB" if c["epub"] else "",
            f"{c['both']} PDF+EPUB" if c["both"] else "",
            f"{c['ereaders']} to e-readers" if c["ereaders"] else "",
        ]
    )
    lines = [plan.issue.full_title]
    size = f"; largest message {plan.largest / MB:.1f} MB" if plan.largest else ""
    lines.append(
        f"  to send: {_plural(c['to_send'], 'recipient')}" + (f" ({kinds})" if kinds else "") + size
    )
    skipped = _join(
        [
            f"{c['already_sent']} already sent" if c["already_sent"] else "",
            f"{c['in_doubt']} in doubt" if c["in_doubt"] else "",
            f"{c['suppressed']} suppressed" if c["suppressed"] else "",
            _plural(c["duplicates"], "duplicate") if c["duplicates"] else "",
            _plural(c["invalid"], "bad row") if c["invalid"] else "",
        ]
    )
    if skipped:
        lines.append(f"  skipped: {skipped}")
    via = f" via {smtp.describe()}" if smtp else ""
    lines.append(f"  from: {plan.mail.sender}{via}")
    if plan.outputs.built:
        lines.append(f"  built first: {plan.outputs.reason}")
    for s in plan.recipients.invalid:
        lines.append(f"  {plan.recipients.path}:{s.line}: {s.reason} — row skipped")
    if plan.in_doubt:
        lines.append(
            f"  in doubt (not sent again without --resend-in-doubt): "
            f"{', '.join(r.email for r in plan.in_doubt)}"
        )
    return lines


def summary_lines(report: SendReport) -> list[str]:
    if report.dry_run:
        head = f"Wrote {_plural(len(report.dry_run), 'message')} (dry run, nothing sent)"
    else:
        head = f"Sent {len(report.sent)}"
    reasons = Counter(
        "bad row"
        if s.reason.startswith(("invalid", "no email", "unknown format"))
        else "duplicate"
        if s.reason.startswith("duplicate")
        else "suppressed"
        for s in report.skipped
    )
    skipped = _join(
        [
            f"{len(report.already_sent)} already sent" if report.already_sent else "",
            *(f"{n} {k}" for k, n in sorted(reasons.items())),
        ]
    )
    parts = [head, f"failed {len(report.failed)}", f"in doubt {len(report.in_doubt)}"]
    if report.pending:
        parts.append(f"not tried {len(report.pending)}")
    parts.append(
        f"skipped {len(report.already_sent) + len(report.skipped)}"
        + (f" ({skipped})" if skipped else "")
    )
    parts.append(f"{report.elapsed:.1f} s")
    lines = [" · ".join(parts)]
    if report.stopped:
        lines.append(f"stopped: {report.stopped}; run the same command again to send the rest")
    if report.aborted:
        lines.append(f"stopped by the server: {report.aborted}")
    for failure in report.failed:
        lines.append(f"failed: {failure.email} — {failure.reason}")
    for address in report.in_doubt:
        lines.append(
            f"in doubt: {address} — handed to the server when the run died; it may "
            "have been delivered (--resend-in-doubt sends it again)"
        )
    for s in report.invalid:
        lines.append(f"skipped: line {s.line}: {s.text or '(empty)'} — {s.reason}")
    if report.failed:
        lines.append("Permanent failures (5xx) are worth adding to your suppression list.")
    return lines


def status_lines(status: JournalStatus) -> list[str]:
    counts = status.counts()
    if not status.entries:
        return [f"{status.issue}: nothing sent yet (no journal at {status.path})"]
    lines = [
        f"{status.issue}: " + " · ".join(f"{k.replace('_', ' ')} {n}" for k, n in counts.items()),
        f"journal: {status.path}",
    ]
    for entry in status.entries:
        if entry.state == "sent":
            continue
        state = "in doubt" if entry.in_doubt else entry.state
        reply = f" — {entry.reply}" if entry.reply else ""
        lines.append(f"{state}: {entry.email} ({entry.attempts} tries){reply}")
    return lines
