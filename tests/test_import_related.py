"""Related titles matched to the issue's articles: exact after normalising, else a near match.
The threshold is justified here: what it must accept scores above it, what it must refuse below."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from conftest import SEED, need_shared
from masthead.compose.assemble import (
    FUZZY_TITLE_THRESHOLD,
    _fuzzy_key,
    fuzzy_title_match,
    link_related,
)
from masthead.model import Article, RelatedLink

# The same title as an editor or another page might write it.
SAME = [
    (
        "Congress Probes DEA Drug-Money Laundering Scheme",
        "Congress Probes DEA Drug Money Laundering Scheme",
    ),
    (
        "Feds let Mexican cartel hitmen kill in US, senior lawman told Stratfor",
        "Feds Let Mexican Cartel Hit Men Kill in U.S., Senior Lawman Told Stratfor",
    ),
    (
        "Drug Lords Targeted in Fast and Furious Worked for FBI",
        "“Drug Lords” Targeted in Fast & Furious Worked for FBI",
    ),
    ("The Night Ferry", "Night Ferry"),
    ("Colour of the Night", "Color of the Night"),
    ("Lamplighters of the Old Town", "Lamplighters of the Old-Town"),
]
# Different articles whose titles share most of their words or letters.
DIFFERENT = [
    ("Obama Demands More War on Drugs", "Obama Demands More War-making Powers from Congress"),
    ("Night Ferry", "Night Fairy"),
    ("Moths", "Maths"),
    ("Counting the Dark", "Counting the Days"),
    ("The Night Market", "The Night Markets Close"),
]


def score(a: str, b: str) -> float:
    return fuzz.ratio(_fuzzy_key(a), _fuzzy_key(b))


def seed_related() -> list[str]:
    text = need_shared(SEED).read_text(encoding="utf-8")
    return re.findall(r"^\[(.+)\]\(#\)$", text, re.M)[-15:]


def test_threshold_separates_same_from_different() -> None:
    same = min(score(a, b) for a, b in SAME)
    different = max(score(a, b) for a, b in DIFFERENT)
    # Every pair of the seed's own related titles is a pair of different articles too.
    seed_pairs = max(score(a, b) for a, b in itertools.combinations(seed_related(), 2))
    typo = score("Counting the Dark", "Counting the Bark")  # One wrong letter: taken as a typo.
    assert same >= 96 > typo >= FUZZY_TITLE_THRESHOLD
    assert max(different, seed_pairs) < 87 < FUZZY_TITLE_THRESHOLD


def article(title: str, id_: str) -> Article:
    return Article(id=id_, title=title, source=Path(f"{id_}.md"), section="S")


def test_numbers_must_agree_and_ties_link_nothing() -> None:
    parts = [
        article("The Night Market, Part 1", "part-1"),
        article("The Night Market, Part 2", "part-2"),
    ]
    assert score(parts[0].title, parts[1].title) > FUZZY_TITLE_THRESHOLD  # Why numbers matter.
    assert fuzzy_title_match("The Night Market, part 1", parts) == "part-1"
    assert fuzzy_title_match("The Night Market, Part 3", parts) is None
    twins = [article("Night Ferry", "a"), article("Night-Ferry", "b")]
    assert fuzzy_title_match("The Night Ferry!", twins) is None


@pytest.mark.parametrize(
    ("related", "expected"),
    [
        ("COUNTING THE DARK", "dark"),  # Exact after normalising.
        ("Counting the Dark!", "dark"),
        ("Counting The Dark Streets", ""),  # A different title: plain text.
        ("Moths and Lamps", ""),
        ("Colour of the Night", "colour"),  # Near match.
        ("Color of the night", "colour"),
    ],
)
def test_link_related_exact_then_near(related: str, expected: str) -> None:
    articles = [
        article("Counting the Dark", "dark"),
        article("Colour of the Night", "colour"),
        Article(
            id="home",
            title="Home",
            source=Path("home.md"),
            section="S",
            related=(RelatedLink(related),),
        ),
    ]
    linked = {a.id: a for a in link_related(articles)}
    assert linked["home"].related[0].target == expected


def test_an_article_never_links_to_itself() -> None:
    articles = [
        Article(
            id="a",
            title="Night Ferry",
            source=Path("a.md"),
            section="S",
            related=(RelatedLink("The Night Ferry"),),
        )
    ]
    assert link_related(articles)[0].related[0].target == ""
