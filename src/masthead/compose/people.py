"""Bylines as people: "Jane Doe, Executive Director" and "Jane Doe (Editor)" are a name and a
role, "Ada Lovelace, Charles Babbage" two names, "Doe, Jane" one; a name's sort form ("Doe,
Jane") by nameparser, and organisations ("The Rust Team") never inverted."""

from __future__ import annotations

import re

from nameparser import HumanName


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make the part after a comma a role, not another name.
ROLE_WORDS = _words(
    """
    director editor officer manager president founder cofounder co-founder chair chairman
    chairwoman chairperson professor engineer lead writer reporter correspondent columnist
    contributor designer developer maintainer ceo cto cfo coo cio vp head chief member fellow
    student researcher scientist analyst consultant coordinator assistant associate intern
    photographer illustrator producer host author translator secretary treasurer partner owner
    advisor adviser specialist architect staff volunteer librarian curator critic journalist
    teacher lecturer dean principal minister senator governor mayor counsel attorney lawyer
    doctor nurse executive administrator organizer organiser moderator emeritus contributing
    senior junior deputy acting interim former retired
    """
)
# Words that make a name an organisation's (never inverted for sorting).
ORGANISATION_WORDS = _words(
    """
    team project foundation inc inc. ltd ltd. llc gmbh group committee council association
    society editors staff board press university institute collective community contributors
    maintainers core lab labs company co. corp corp. corporation agency department desk
    newsroom office network alliance consortium club union center centre trust fund bureau
    ministry service services news magazine journal times review working wg org organization
    organisation initiative partners studio studios media bot authors developers admins
    moderators everyone various anonymous guest
    """
)
SUFFIXES = _words(
    """
    jr jr. sr sr. ii iii iv phd ph.d. md m.d. esq esq.
    """
)
_PARENS = re.compile(r"^(.+?)\s*\(([^()]+)\)\s*$")


def people(value: str) -> list[tuple[str, str]]:
    """(name, role) for each person one byline string names."""
    text = " ".join(value.split())
    if not text:
        return []
    match = _PARENS.match(text)
    if match and not match.group(2).startswith("@"):
        return [(match.group(1).strip(" ,"), match.group(2).strip())]
    if "," not in text:
        return [(text, "")]
    before, after = (part.strip() for part in text.split(",", 1))
    after_words = after.replace(",", " ").split()
    if not before:
        return [(after, "")]
    if not after_words or all(w.lower() in SUFFIXES for w in after_words):
        return [(text.rstrip(", "), "")]  # "Martin Luther King, Jr."
    if _role_like(after):
        return [(before, after)]
    names = [part.strip() for part in text.split(",") if part.strip()]
    if len(before.split()) == 1 and len(names) == 2 and _name_like(after) and len(after_words) <= 2:
        return [(f"{after} {before}", "")]  # "Doe, Jane"
    if all(_name_like(n) for n in names):
        return [(n, "") for n in names]  # "Ada Lovelace, Charles Babbage"
    return [(before, after)]


def _role_like(text: str) -> bool:
    words = re.findall(r"[\w.-]+", text.lower())
    return any(w in ROLE_WORDS for w in words) or any(
        w in ("of", "at", "for", "and") for w in words
    )


def _name_like(text: str) -> bool:
    """A person's name as written: one to four words, each starting with a capital letter (or
    a particle like "van", "de")."""
    words = text.split()
    particles = {
        "van",
        "von",
        "de",
        "der",
        "den",
        "da",
        "di",
        "du",
        "la",
        "le",
        "del",
        "bin",
        "ibn",
    }
    return 1 <= len(words) <= 4 and all(w[:1].isupper() or w.lower() in particles for w in words)


def is_organisation(name: str) -> bool:
    """Whether a byline names an organisation or a group rather than a person."""
    words = name.replace(",", " ").split()
    lowered = [w.lower() for w in words]
    return (
        len(words) < 2
        or lowered[0] in {"the", "a", "an"}
        or name.isupper()
        or "&" in name
        or " and " in f" {name.lower()} "
        or any(w in ORGANISATION_WORDS for w in lowered)
        or any(not w[:1].isalpha() for w in words if w not in ("-",))
    )


def sort_name(name: str) -> str:
    """The sort form of a name: "Harriet Vance" → "Vance, Harriet", "Martin Luther King Jr." →
    "King, Martin Luther, Jr."; organisations and single names stay as written."""
    if is_organisation(name):
        return name
    parsed = HumanName(name)
    if not parsed.last or not parsed.first:
        return name
    given = " ".join(p for p in (parsed.first, parsed.middle) if p)
    result = f"{parsed.last}, {given}"
    return f"{result}, {parsed.suffix}" if parsed.suffix else result
