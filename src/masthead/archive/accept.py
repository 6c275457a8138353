"""`masthead related --accept ISSUE`: the suggested reading the last build made for an issue
becomes the articles' own `related` front matter. Only the lines added change; the rest of each
file stays byte for byte as it was, and every file is written at once or not at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from masthead.archive.records import Archive, IssueRecord
from masthead.archive.suggest import recorded
from masthead.errors import InputError
from masthead.files import write_all

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)(^---[ \t]*(?:\r?\n|\Z))", re.S | re.M)
_RELATED = re.compile(r"^related[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)


@dataclass(frozen=True)
class Accepted:
    path: Path
    titles: tuple[str, ...]


def _entry(title: str) -> str:
    # The exact title: it names the article wherever it is (the nearest earlier issue first),
    # as an editor would write it by hand.
    return json.dumps(title, ensure_ascii=False)


def add_related(text: str, entries: list[str], path: Path) -> str:
    """The article's text with these titles added to its `related` list."""
    match = _FENCE.match(text)
    if match is None:
        raise InputError(
            "has no YAML front matter to add related reading to",
            path,
            1,
            "accepting suggestions works on `---` front matter; add them by hand",
        )
    newline = "\r\n" if "\r\n" in text[: match.end()] else "\n"
    before = yaml.safe_load(match.group(1)) or {}
    lines = match.group(1).splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    key = next((i for i, line in enumerate(lines) if _RELATED.match(line)), None)
    if key is None:
        at, pad = len(lines), "  "
        lines.append(f"related:{newline}")
        at += 1
    else:
        rest = _RELATED.match(lines[key]).group(1).strip()  # type: ignore[union-attr]
        if rest == "[]":
            lines[key] = f"related:{newline}"
        elif rest and not rest.startswith("#"):
            raise InputError(
                "`related` is written on one line",
                path,
                text.count("\n", 0, match.start(1)) + key + 2,
                "write it as a list, one item a line, then accept again",
            )
        at = key + 1
        while at < len(lines) and (
            not lines[at].strip() or lines[at][0] in " \t" or lines[at].startswith("-")
        ):
            at += 1
        while at > key + 1 and not lines[at - 1].strip():
            at -= 1  # Blank lines after the list stay after it.
        items = [line for line in lines[key + 1 : at] if line.lstrip().startswith("-")]
        pad = items[0][: len(items[0]) - len(items[0].lstrip())] if items else "  "
    lines[at:at] = [f"{pad}- {_entry(title)}{newline}" for title in entries]
    result = text[: match.start(1)] + "".join(lines) + text[match.end(1) :]
    _check(before, result, entries, path)
    return result


def _check(before: dict[str, Any], text: str, entries: list[str], path: Path) -> None:
    """The edited front matter must read as the old one plus the new items, or nothing is
    written."""
    match = _FENCE.match(text)
    after = yaml.safe_load(match.group(1)) if match else None
    wanted = dict(before)
    wanted["related"] = [*(before.get("related") or []), *entries]
    if after != wanted:
        raise InputError(
            "could not add related reading without changing other front matter",
            path,
            hint="add the suggestions to `related` by hand",
        )


def accept(archive: Archive, issue_folder: Path, state: Path) -> list[Accepted]:
    """Write the issue's recorded suggestions into its articles' front matter."""
    issue = _issue(archive, issue_folder)
    suggestions = recorded(state, issue)
    if not suggestions:
        raise InputError(
            "no suggested reading is recorded for this issue",
            issue_folder,
            hint="build the publication first (masthead build PUB/), with the same --out",
        )
    files: dict[Path, bytes] = {}
    accepted = []
    for file, places in sorted(suggestions.items()):
        path = issue.folder / file
        entries = [title for _, _, title in places]
        if not entries:
            continue
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        files[path] = add_related(text, entries, path).encode("utf-8")
        accepted.append(Accepted(path, tuple(entries)))
    write_all(files)
    return accepted


def _issue(archive: Archive, folder: Path) -> IssueRecord:
    for record in archive.issues:
        if record.folder.resolve() == Path(folder).resolve():
            return record
    raise InputError("is not an issue of a publication's archive", folder)
