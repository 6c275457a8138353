"""`masthead new`: a publication folder with a first issue that builds as-is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from masthead.errors import InputError
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
    """Create the publication; returns the first issue's folder. Refuses to overwrite."""
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        raise InputError("folder exists and is not empty", path, hint="choose a new folder name")
    name = name or path.resolve().name.replace("-", " ").replace("_", " ").title()
    theme = Theme()
    context = {"name": name, "slug": slugify(name), "today": today or dt.date.today()}
    rendered = {target: theme.render(source, **context) for source, target in FILES.items()}
    for target, text in rendered.items():
        file = path / target
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return path / "issue-1"
