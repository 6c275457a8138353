"""A small publication of several issues for the archive tests, written with our own text:
three issues of The Beacon, whose later articles name earlier ones in `related`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

PUBLICATION = """name = "The Beacon"
tagline = "Harbours, lights and the people who keep them"
language = "en"
publisher = "Beacon Press"
url = "https://beacon.example.org"
description = "A quarterly about lighthouses, harbours and coastal towns."
"""

# (folder, number, date, title, articles); an article is (file, title, tags, related, words).
ISSUES = [
    (
        "no-1",
        1,
        dt.date(2026, 3, 1),
        "First Light",
        [
            ("keepers.md", "The Last Keepers", ["lighthouses", "work"], [], "keeper lamp tower"),
            ("fog.md", "Sounding the Fog", ["weather", "sound"], [], "fog horn signal"),
            ("tides.md", "Reading the Tides", ["sea", "tides"], [], "tide moon harbour"),
        ],
    ),
    (
        "no-2",
        2,
        dt.date(2026, 6, 1),
        "Harbour Lights",
        [
            ("lenses.md", "Glass That Bends the Night", ["lighthouses", "glass"], [], "lens lamp"),
            (
                "ferries.md",
                "Night Ferries of the North",
                ["sea", "travel"],
                ["The Last Keepers", "Reading The Tides"],
                "ferry harbour crossing",
            ),
        ],
    ),
    (
        "no-3",
        3,
        dt.date(2026, 9, 1),
        "Storm Season",
        [
            (
                "storms.md",
                "When the Storm Comes In",
                ["weather", "sea"],
                [
                    "Sounding The Fog",
                    {"slug": "lenses"},
                    "A Lighthouse That Never Was",
                    {"title": "Storm warnings", "url": "https://example.org/storms"},
                ],
                "storm wave harbour",
            ),
            (
                "keepers-wives.md",
                "The Keepers' Families",
                ["lighthouses", "work"],
                [],
                "keeper family tower lamp",
            ),
        ],
    ),
]

FILLER = (
    "The {0} was the first thing the town noticed each evening, and the last thing it forgot. "
    "People who had lived beside it all their lives spoke of the {0} as of a neighbour. "
)


def article_text(title: str, tags: list[str], related: list, words: str, day: dt.date) -> str:
    lines = ["---", f'title: "{title}"', f'dek: "A story about {words.split()[0]}s."']
    lines += ["authors:", f"  - {'Ada Quill' if len(title) % 2 else 'Bram Holt'}"]
    lines += [f"date: {day.isoformat()}", "tags:"] + [f"  - {t}" for t in tags]
    if related:
        lines.append("related:")
        for item in related:
            if isinstance(item, str):
                lines.append(f'  - "{item}"')
            else:
                lines.append("  - {" + ", ".join(f'{k}: "{v}"' for k, v in item.items()) + "}")
    lines += ["---", ""]
    body = "".join(FILLER.format(w) for w in words.split()) * 3
    return "\n".join(lines) + f"\n{body}\n\nA second paragraph about the {words}.\n"


def write_issue(pub: Path, spec: tuple) -> Path:  # type: ignore[type-arg]
    folder_name, number, day, title, articles = spec
    folder = pub / folder_name
    folder.mkdir(parents=True)
    for file, article_title, tags, related, words in articles:
        (folder / file).write_text(article_text(article_title, tags, related, words, day))
    files = ", ".join(f'"{a[0]}"' for a in articles)
    (folder / "issue.toml").write_text(
        f'[issue]\nnumber = {number}\ndate = {day.isoformat()}\ntitle = "{title}"\n'
        f'description = "The {title.lower()} issue."\n\n'
        f'[[sections]]\ntitle = "Features"\narticles = [{files}]\n'
    )
    return folder


def write_publication(pub: Path, issues: list | None = None) -> Path:  # type: ignore[type-arg]
    pub.mkdir(parents=True, exist_ok=True)
    (pub / "publication.toml").write_text(PUBLICATION)
    for spec in issues if issues is not None else ISSUES:
        write_issue(pub, spec)
    return pub
