"""`masthead new`: a publication folder with a first issue that builds as-is."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from masthead.errors import InputError, OutputError
from masthead.files import write_all
from masthead.render.theme import Theme
from masthead.text import slugify

# Template name in the default theme's scaffold/ folder → path in the new publication.
FILES = {
    "scaffold/publication.toml": "publication.toml",
    "scaffold/issue.toml": "issue-1/issue.toml",
    "scaffold/welcome.md": "issue-1/welcome.md",
    "scaffold/how-to.md": "issue-1/how-to.md",
    "scaffold/templates-readme.txt": "templates/README.txt",
}


def scaffold(path: Path, name: str | None = None, today: dt.date | None = None) -> Path:
    """Create the publication; returns the first issue's folder. Refuses to overwrite, and
    writes every file or none (a folder it cannot write is an error, and left as it was)."""
    path = Path(path)
    try:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            what = "folder exists and is not empty" if path.is_dir() else "is a file"
            raise InputError(what, path, hint="choose a new folder name")
    except OSError as exc:
        raise OutputError(f"cannot use this folder ({exc.strerror})", path) from exc
    name = name or path.resolve().name.replace("-", " ").replace("_", " ").title()
    theme = Theme()
    context = {"name": name, "slug": slugify(name), "today": today or dt.date.today()}
    rendered = {path / target: theme.render(source, **context) for source, target in FILES.items()}
    missing = _missing_folders(path, rendered)
    try:
        write_all({file: text.encode("utf-8") for file, text in rendered.items()})
    except OutputError as exc:
        for folder in missing:  # Deepest first: only the empty folders this call made.
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise OutputError(exc.message, exc.path, hint="choose a folder you can write to") from exc
    return path / "issue-1"


def _missing_folders(path: Path, files: dict[Path, str]) -> list[Path]:
    """The folders writing `files` would create, deepest first."""
    folders: set[Path] = set()
    for file in files:
        folder = file.parent
        while not folder.exists() and folder not in folders:
            folders.add(folder)
            if folder == path or folder.parent == folder:
                break
            folder = folder.parent
    return sorted(folders, key=lambda p: len(p.parts), reverse=True)
