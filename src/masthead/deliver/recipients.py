"""Recipients: the subscribers CSV and the suppression list, checked offline and de-duplicated."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from masthead.deliver.errors import RecipientsError

FORMATS = ("pdf", "epub", "both")
# Addresses that deliver attachments to an e-reader: they get the EPUB by default, no
# unsubscribe headers (nobody reads the message itself) and their service's size limit.
EREADER_DOMAINS = ("kindle.com", "free.kindle.com", "kindle.cn", "pbsync.com")
EREADER_LIMITS_MB = {"kindle.com": 50.0, "free.kindle.com": 50.0, "kindle.cn": 50.0}
EMAIL_COLUMNS = ("email", "e-mail", "email address", "address")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Recipient:
    email: str  # Normalised, like "Ada.Lovelace@example.org" (domain lowercased, IDNA).
    name: str = ""  # Like "Ada Lovelace"; "" when the list has none.
    format: str = "pdf"  # "pdf", "epub" or "both".
    line: int = 0  # Line of the recipients file, for messages.

    @property
    def key(self) -> str:
        """The identity used to de-duplicate and in the journal: the address, lowercased."""
        return self.email.lower()

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()

    @property
    def ereader(self) -> bool:
        return is_ereader(self.email)

    @property
    def formats(self) -> tuple[str, ...]:
        """The attachments, like ("pdf",) or ("pdf", "epub")."""
        return ("pdf", "epub") if self.format == "both" else (self.format,)


@dataclass(frozen=True)
class Skipped:
    """A row that is not sent to, and why."""

    line: int
    text: str  # The address (or the raw cell) as written.
    reason: str  # Like "invalid address: There must be something after the @-sign."


@dataclass(frozen=True)
class RecipientList:
    path: Path
    recipients: tuple[Recipient, ...]
    invalid: tuple[Skipped, ...] = ()
    duplicates: tuple[Skipped, ...] = ()
    suppressed: tuple[Skipped, ...] = ()

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(
            sorted((*self.invalid, *self.duplicates, *self.suppressed), key=lambda s: s.line)
        )


def is_ereader(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return domain in EREADER_DOMAINS


def normalise_address(text: str) -> str:
    """A checked, normalised address (syntax only; no DNS). Raises ValueError with the reason."""
    try:
        result = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return result.ascii_email or result.normalized


def _split(cell: str) -> tuple[str, str]:
    """`Ada <ada@example.org>` → ("Ada", "ada@example.org"); a bare address is kept as is."""
    if "<" in cell and cell.rstrip().endswith(">"):
        name, addr = parseaddr(cell)
        if addr:
            return name, addr
    return "", cell


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecipientsError(f"cannot read file ({exc.strerror})", path) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecipientsError("is not UTF-8 text", path, line, "save the file as UTF-8") from exc


def _rows(text: str, path: Path) -> tuple[dict[str, int], Iterable[tuple[int, list[str]]]]:
    """The header's column indexes and (line, cells) for each following row."""
    # The header row decides the delimiter (spreadsheets export "," or ";", some tabs).
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ",;\t" if d in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise RecipientsError(
            "is empty", path, hint="add a header row: email,name,format"
        ) from None
    except csv.Error as exc:
        raise RecipientsError(f"is not valid CSV ({exc})", path, 1) from exc
    columns = {cell.strip().lower(): i for i, cell in enumerate(header)}

    def rows() -> Iterable[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise RecipientsError(f"is not valid CSV ({exc})", path, reader.line_num) from exc
            yield start, cells
            start = reader.line_num + 1

    return columns, rows()


def read_recipients(path: Path, suppressed: frozenset[str] = frozenset()) -> RecipientList:
    """Read a CSV with an `email` column and optional `name` and `format` columns.

    Bad rows are collected with their line numbers and skipped; later copies of an address
    (ignoring case) and suppressed addresses are skipped too. Only a file that cannot be read
    as a list at all is an error.
    """
    path = Path(path)
    columns, rows = _rows(_decode(path), path)
    email_col = next((columns[c] for c in EMAIL_COLUMNS if c in columns), None)
    if email_col is None:
        raise RecipientsError(
            "has no `email` column",
            path,
            1,
            "the first row must name the columns, like: email,name,format",
        )
    name_col = columns.get("name")
    format_col = columns.get("format")

    recipients: list[Recipient] = []
    invalid: list[Skipped] = []
    duplicates: list[Skipped] = []
    suppressed_rows: list[Skipped] = []
    first_line: dict[str, int] = {}

    def cell(cells: list[str], index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in rows:
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue  # Blank lines and comments.
        raw = cell(cells, email_col)
        if not raw:
            invalid.append(Skipped(line, "", "no email address"))
            continue
        inline_name, addr = _split(raw)
        try:
            email = normalise_address(addr)
        except ValueError as exc:
            invalid.append(Skipped(line, raw, f"invalid address: {exc}"))
            continue
        fmt = cell(cells, format_col).lower()
        if fmt and fmt not in FORMATS:
            invalid.append(Skipped(line, raw, f"unknown format '{fmt}' (use pdf, epub or both)"))
            continue
        fmt = fmt or ("epub" if is_ereader(email) else "pdf")
        name = _CONTROL.sub(" ", cell(cells, name_col) or inline_name).strip()
        key = email.lower()
        if key in first_line:
            duplicates.append(Skipped(line, raw, f"duplicate of line {first_line[key]}"))
            continue
        first_line[key] = line
        if key in suppressed:
            suppressed_rows.append(Skipped(line, raw, "on the suppression list"))
            continue
        recipients.append(Recipient(email=email, name=name, format=fmt, line=line))
    return RecipientList(
        path, tuple(recipients), tuple(invalid), tuple(duplicates), tuple(suppressed_rows)
    )


def read_suppression(paths: Iterable[Path]) -> frozenset[str]:
    """Lowercased addresses from suppression files: one address a line (`#` comments), or a CSV
    with an `email` column as mailing services export them. Unreadable entries are ignored."""
    found: set[str] = set()
    for path in paths:
        text = _decode(Path(path))
        first = text.lstrip().split("\n", 1)[0].lower()
        if any(c in first for c in EMAIL_COLUMNS) and "@" not in first:
            columns, rows = _rows(text, Path(path))
            col = next((columns[c] for c in EMAIL_COLUMNS if c in columns), 0)
            entries = [cells[col] for _, cells in rows if col < len(cells)]
        else:
            entries = [line.split("#", 1)[0] for line in text.splitlines()]
        for entry in entries:
            entry = _split(entry.strip())[1]
            if not entry:
                continue
            try:
                found.add(normalise_address(entry).lower())
            except ValueError:
                found.add(entry.lower())
    return frozenset(found)
