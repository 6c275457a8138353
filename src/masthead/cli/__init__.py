"""The command line: parse, call the library, print, map errors to exit codes. Nothing else.

Each command imports what only it needs, inside it: `masthead build` must start fast (a build
with nothing changed returns in well under half a second), so sending, importing and EPUBCheck
are not loaded for it.
"""

from __future__ import annotations

import sys

# Commands are listed by `--help` in the order they are registered, that is imported.
from masthead.cli import issues  # isort: split

from masthead.cli import send  # isort: split

from masthead.cli import importing  # isort: split

from masthead.cli import preview  # isort: split

from masthead.cli import archive  # isort: split

from masthead.cli.app import app, err

__all__ = ["app", "archive", "importing", "issues", "main", "preview", "send"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
