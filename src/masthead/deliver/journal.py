"""The send journal: each recipient's state per issue in SQLite, every change on disk before the
next step, so a re-run after Ctrl-C, a crash or kill -9 mails nobody twice.

    pending ──► sending ──► sent
       ▲           │
       └─ retry ◄──┤ (4xx, dropped connection: the server did not take it)
                   └──► failed (5xx, or retries used up)

A recipient left in `sending` when the process died is *in doubt*: the message may or may not
have reached the server. It is not sent again unless asked (`--resend-in-doubt`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from masthead.deliver.errors import JournalError
from masthead.deliver.recipients import Recipient

STATES = ("pending", "sending", "sent", "failed")
STATE_DIR = ".masthead-state"
JOURNAL_NAME = "send-journal.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    issue TEXT NOT NULL,             -- Issue.identifier, like urn:uuid:…
    address TEXT NOT NULL,           -- the address lowercased: one row per person
    email TEXT NOT NULL,             -- as normalised from the list
    name TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL,            -- pdf, epub or both
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT '',  -- the last server reply or error
    updated TEXT NOT NULL,           -- UTC, ISO 8601
    PRIMARY KEY (issue, address)
);
CREATE TABLE IF NOT EXISTS events (  -- every transition, for the record
    id INTEGER PRIMARY KEY,
    issue TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    email: str
    name: str
    format: str
    state: str  # One of STATES.
    attempts: int
    message_id: str
    reply: str  # Like "550 5.1.1 No such user".
    updated: str

    @property
    def key(self) -> str:
        return self.email.lower()

    @property
    def in_doubt(self) -> bool:
        return self.state == "sending"


def state_dir_for(issue_folder: Path) -> Path:
    return Path(issue_folder) / STATE_DIR


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """One issue's rows of the journal database in `state_dir`."""

    def __init__(self, state_dir: Path, issue_id: str) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / JOURNAL_NAME
        self.issue_id = issue_id
        self._lock_fd: int | None = None
        try:
            created = not self.state_dir.exists()
            self.state_dir.mkdir(parents=True, exist_ok=True)
            ignore = self.state_dir / ".gitignore"
            if not ignore.exists():  # Keep the journal (addresses!) out of version control.
                ignore.write_text("# Written by masthead send: the send journal.\n*\n")
            new = not self.path.exists()
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self.db.execute("PRAGMA journal_mode=WAL")
            # FULL: in WAL mode every commit is fsync'd, so a state change survives a power cut.
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            if new or created:
                _fsync_dir(self.state_dir)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(
                f"cannot open the send journal ({exc})",
                self.path,
                hint="check that the folder is writable",
            ) from exc

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def lock(self) -> None:
        """Hold the journal for this process: two runs sending one issue at once would both
        see a recipient as pending. The OS drops the lock if the process dies."""
        lock_path = self.state_dir / "send.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise JournalError(
                f"another masthead send is using this journal{who}",
                self.path,
                hint="wait for it to finish, or stop it first",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # Closing the descriptor releases the flock.
            self._lock_fd = None

    def entries(self) -> dict[str, Entry]:
        rows = self.db.execute(
            "SELECT email, name, format, state, attempts, message_id, reply, updated "
            "FROM deliveries WHERE issue = ? ORDER BY rowid",
            (self.issue_id,),
        )
        return {row[0].lower(): Entry(*row) for row in rows}

    def add(self, recipients: Iterable[Recipient]) -> None:
        """Record recipients as pending; ones already in the journal keep their state."""
        now = _now()
        with self._transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO deliveries (issue, address, email, name, format, state, "
                "updated) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                [(self.issue_id, r.key, r.email, r.name, r.format, now) for r in recipients],
            )

    def sending(self, recipient: Recipient, message_id: str) -> None:
        """About to hand the message to the server: from here until `sent`, a crash leaves
        this recipient in doubt."""
        self._move(recipient, "sending", "", message_id=message_id, attempt=True)

    def sent(self, recipient: Recipient, reply: str) -> None:
        self._move(recipient, "sent", reply)

    def retry(self, recipient: Recipient, reply: str) -> None:
        """The server did not take it (4xx, dropped): back to pending, to be tried again."""
        self._move(recipient, "pending", reply)

    def failed(self, recipient: Recipient, reply: str) -> None:
        self._move(recipient, "failed", reply)

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def _move(
        self,
        recipient: Recipient,
        state: str,
        reply: str,
        *,
        message_id: str | None = None,
        attempt: bool = False,
    ) -> None:
        now = _now()
        try:
            with self._transaction():
                self.db.execute(
                    "INSERT OR IGNORE INTO deliveries (issue, address, email, name, format, "
                    "state, updated) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                    (
                        self.issue_id,
                        recipient.key,
                        recipient.email,
                        recipient.name,
                        recipient.format,
                        now,
                    ),
                )
                self.db.execute(
                    "UPDATE deliveries SET state = ?, reply = ?, updated = ?, "
                    "message_id = COALESCE(?, message_id), attempts = attempts + ?, "
                    "name = ?, format = ? WHERE issue = ? AND address = ?",
                    (
                        state,
                        reply,
                        now,
                        message_id,
                        int(attempt),
                        recipient.name,
                        recipient.format,
                        self.issue_id,
                        recipient.key,
                    ),
                )
                self.db.execute(
                    "INSERT INTO events (issue, address, state, reply, at) VALUES (?, ?, ?, ?, ?)",
                    (self.issue_id, recipient.key, state, reply, now),
                )
        except sqlite3.Error as exc:
            raise JournalError(
                f"cannot write the send journal ({exc})",
                self.path,
                hint="check free disk space; nothing more is sent",
            ) from exc


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (fsync'd), rolled back on an exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def read_journal(state_dir: Path, issue_id: str) -> list[Entry]:
    """The journal's rows for one issue, without creating it; [] when there is none. (Not
    opened read-only: after a kill -9 the reader may have to recover the write-ahead log.)"""
    path = Path(state_dir) / JOURNAL_NAME
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(path, timeout=10)
        try:
            rows = db.execute(
                "SELECT email, name, format, state, attempts, message_id, reply, updated "
                "FROM deliveries WHERE issue = ? ORDER BY rowid",
                (issue_id,),
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise JournalError(f"cannot read the send journal ({exc})", path) from exc
    return [Entry(*row) for row in rows]
