"""Domain errors: what went wrong with the user's input, where, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class MastheadError(Exception):
    """An error the user can fix. The CLI prints `str(error)` as one line and exits 1."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None  # What to do, e.g. "add a `title` key to the front matter".

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class InputError(MastheadError):
    """Bad input: a missing file, malformed front matter, an unknown key, a missing image."""


class TemplateError(MastheadError):
    """A theme template is missing or broken."""


class OutputError(MastheadError):
    """The output could not be written."""
