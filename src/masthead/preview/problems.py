"""Errors and warnings as the preview shows them: one line, with the file and line they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from masthead.errors import MastheadError
from masthead.model import BuildWarning


@dataclass(frozen=True)
class Problem:
    """A build error or warning; plain data, so it crosses from the build process."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None

    @classmethod
    def of_error(cls, error: MastheadError) -> Problem:
        return cls(error.message, error.path, error.line, error.hint)

    @classmethod
    def of_warning(cls, warning: BuildWarning) -> Problem:
        return cls(warning.message, warning.path, warning.line)

    @classmethod
    def of_bug(cls, error: Exception, path: Path) -> Problem:
        """An unexpected exception in a build: still one line, and the preview goes on."""
        return cls(
            f"internal error: {type(error).__name__}: {error}",
            path,
            hint="run `masthead --debug build` on this issue and report the traceback",
        )

    def where(self, root: Path) -> str:
        """The file (relative to `root` when inside it) and line, like "no-7/moths.md:12"."""
        if self.path is None:
            return ""
        try:
            shown = str(self.path.resolve().relative_to(root))
        except ValueError:
            shown = str(self.path)
        return f"{shown}:{self.line}" if self.line else shown

    def as_json(self, root: Path, link: str | None) -> dict[str, Any]:
        return {
            "message": self.message,
            "hint": self.hint,
            "where": self.where(root),
            "line": self.line,
            "link": link,
        }
