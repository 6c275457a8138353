"""What the send journal says about an issue (`masthead send --status`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from masthead.build import prepare
from masthead.deliver.journal import JOURNAL_NAME, Entry, read_journal, state_dir_for


@dataclass(frozen=True)
class JournalStatus:
    issue: str  # The issue's full title.
    path: Path  # The journal database.
    entries: tuple[Entry, ...]

    def counts(self) -> dict[str, int]:
        counts = {"sent": 0, "failed": 0, "pending": 0, "in_doubt": 0}
        for e in self.entries:
            counts["in_doubt" if e.in_doubt else e.state] += 1
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "issue": self.issue,
            "journal": str(self.path),
            "counts": self.counts(),
            "recipients": [
                {
                    "email": e.email,
                    "state": "in_doubt" if e.in_doubt else e.state,
                    "format": e.format,
                    "attempts": e.attempts,
                    "message_id": e.message_id,
                    "reply": e.reply,
                    "updated": e.updated,
                }
                for e in self.entries
            ],
        }


def journal_status(issue_path: Path, state_dir: Path | None = None) -> JournalStatus:
    """What the journal says about an issue: sent, failed (with the reply), pending, in doubt."""
    issue, _ = prepare(issue_path)
    folder = Path(state_dir) if state_dir else state_dir_for(issue.source)
    return JournalStatus(
        issue.full_title, folder / JOURNAL_NAME, tuple(read_journal(folder, issue.identifier))
    )
