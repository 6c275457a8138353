"""Suggested reading: an article with fewer related items than the publication's
`related_suggestions` gets the most similar articles of earlier issues (archive/similar.py).

Suggestions are made for an issue once and kept (in the output folder's state) for as long as
that issue, the issues before it and its own related links are as they were: a new issue, which
changes the index's word weights a little, does not change what earlier issues were given (and
so does not make them build again). A build from an empty output folder makes them all anew.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from masthead.archive.records import Archive, IssueRecord
from masthead.archive.related import Place, Targets
from masthead.files import write_all

SUGGESTIONS_DIR = "archive/suggestions"  # Inside the output folder's state directory.
Suggestions = dict[tuple[int, str], list[Place]]  # (issue, article file) -> suggested articles.


def _wanted(archive: Archive, targets: Targets) -> dict[tuple[int, str], int]:
    """How many suggestions each article needs (only those that need some)."""
    limit = archive.publication.related_suggestions
    needs: dict[tuple[int, str], int] = {}
    if limit <= 0:
        return needs
    for index, issue in enumerate(archive.issues):
        if index == 0:
            continue  # Nothing earlier to suggest.
        for article in issue.articles:
            missing = limit - len(article.related)
            if missing > 0:
                needs[index, article.file] = missing
    return needs


def _key(archive: Archive, index: int, targets: Targets, wanted: dict[tuple[int, str], int]) -> str:
    """What an issue's suggestions depend on: its records and those of the issues before it."""
    issues = archive.issues
    linked = sorted(
        (f, p, issues[t[0]].folder.name, t[1]) for (i, f, p), t in targets.items() if i == index
    )
    needs = sorted((f, n) for (i, f), n in wanted.items() if i == index)
    digests = [r.digest for r in issues[: index + 1]]
    text = json.dumps([2, digests, linked, needs, archive.publication.related_suggestions])
    return hashlib.sha256(text.encode()).hexdigest()


def _file(state: Path, issue: IssueRecord) -> Path:
    name = hashlib.sha256(str(issue.folder.resolve()).encode()).hexdigest()[:20]
    return state / SUGGESTIONS_DIR / f"{name}.json"


def suggest(archive: Archive, targets: Targets, state: Path | None = None) -> Suggestions:
    """Suggested reading for every article that needs some, kept ones where they still apply."""
    wanted = _wanted(archive, targets)
    issues = archive.issues
    by_folder = {r.folder.name: i for i, r in enumerate(issues)}
    found: Suggestions = {}
    todo: set[int] = set()
    keys: dict[int, str] = {}
    for index in sorted({i for i, _ in wanted}):
        keys[index] = _key(archive, index, targets, wanted)
        kept = _kept(state, issues[index], keys[index]) if state is not None else None
        if kept is None:
            todo.add(index)
            continue
        for file, places in kept.items():
            found[index, file] = [(by_folder[f], a) for f, a, *_ in places if f in by_folder]
    if todo:
        made = rank(archive, {k: n for k, n in wanted.items() if k[0] in todo}, targets)
        found.update(made)
        if state is not None:
            files = {}
            for index in todo:
                # Marked as suggested, with what `masthead related --accept` writes.
                mine = {
                    file: [[issues[i].folder.name, a, _title(issues[i], a)] for i, a in places]
                    for (j, file), places in made.items()
                    if j == index
                }
                data = {"key": keys[index], "suggestions": mine}
                files[_file(state, issues[index])] = json.dumps(data, indent=1).encode()
            write_all(files)
    return found


def _title(issue: IssueRecord, article_id: str) -> str:
    return next((a.title for a in issue.articles if a.id == article_id), article_id)


def recorded(state: Path, issue: IssueRecord) -> dict[str, list[list[str]]]:
    """The suggestions the last build made for an issue's articles: by article file,
    [issue folder name, article id, title] each."""
    try:
        data = json.loads(_file(state, issue).read_text())
    except (OSError, ValueError):
        return {}
    found = data.get("suggestions") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _kept(state: Path, issue: IssueRecord, key: str) -> dict[str, list[list[str]]] | None:
    try:
        data = json.loads(_file(state, issue).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    kept = data.get("suggestions")
    return kept if isinstance(kept, dict) else None


def rank(archive: Archive, wanted: dict[tuple[int, str], int], targets: Targets) -> Suggestions:
    """The most similar articles of earlier issues, as many as each article wants, leaving out
    the articles it already links to."""
    from masthead.archive.similar import Similarity, Text

    places: list[Place] = []
    texts: list[Text] = []
    first_of_issue: list[int] = []
    row: dict[tuple[int, str], int] = {}
    for index, issue in enumerate(archive.issues):
        first_of_issue.append(len(places))
        for article in issue.articles:
            row[index, article.file] = len(places)
            places.append((index, article.id))
            head = " ".join([article.title, article.dek, *article.tags])
            texts.append(Text(head, article.text))
    similarity = Similarity(texts, archive.publication.language)
    row_of_place = {p: i for i, p in enumerate(places)}
    linked: dict[tuple[int, str], set[int]] = {}
    for (index, file, _), place in targets.items():
        linked.setdefault((index, file), set()).add(row_of_place[place])
    found: Suggestions = {}
    by_issue: dict[int, list[tuple[str, int]]] = {}
    for (index, file), count in sorted(wanted.items()):
        by_issue.setdefault(index, []).append((file, count))
    for index, articles in sorted(by_issue.items()):
        masks = []
        for file, _ in articles:
            allowed = np.zeros(len(places), dtype=np.float32)
            allowed[: first_of_issue[index]] = 1  # Earlier issues only.
            for taken in linked.get((index, file), ()):
                allowed[taken] = 0
            masks.append(allowed)
        rows = [row[index, file] for file, _ in articles]
        best = similarity.best_many(rows, masks, [count for _, count in articles])
        for (file, _), chosen in zip(articles, best, strict=True):
            found[index, file] = [places[i] for i in chosen]
    return found
