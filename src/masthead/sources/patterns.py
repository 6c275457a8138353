"""The text importer's patterns and its blocks: paragraphs, lists and headings of crawled text,
with the line numbers they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- Patterns -----------------------------------------------------------------------------------

# Promotions and page furniture that sites put around an article. They are only ever removed at
# the article's edges (see _edge_boilerplate), and only from blocks short enough to be furniture.
DEFAULT_BOILERPLATE = tuple(
    re.compile(p, re.I | re.M)
    for p in (
        r"^\W*subscribe\b",
        r"\bsubscri(?:ber|ption)s?[ -](?:only|content|access|edition|offer|plan|benefits?)\b",
        r"\b(?:subscribe|subscribing) (?:now|today|for|to (?:our|the|this))\b",
        r"\b(?:sign up|subscribe|join|get)\b.{0,60}\bnewsletters?\b",
        r"\bnewsletters?\b.{0,60}\b(?:sign up|subscribe|inbox)\b",
        r"^\W*(?:sign up|sign in|log in|register)\b",
        r"\b(?:get|enjoy|unlock) (?:exclusive|unlimited|full) (?:digital )?access\b",
        r"\bmoney[- ]back guarantee\b",
        r"\bcancel any ?time\b",
        r"^\W*share (?:this|on|via)\b",
        r"^\W*(?:share|tweet|print|email|comments?|advertisement|sponsored(?: content)?)\W*$",
        r"\b(?:we|this (?:web)?site) uses? cookies\b",
        r"\b(?:accept|reject|manage) (?:all )?cookies\b",
        r"\bcookie (?:policy|settings|preferences|consent|notice)\b",
        r"^\W*follow us\b",
        r"\ball rights reserved\b",
        r"^\W*(?:©|copyright\b)",
        r"\bsupport (?:our|independent) journalism\b",
        r"^\W*donate\b",
        r"^\W*(?:click|tap) here\b",
        r"\b(?:turn off|disable) (?:your )?ad ?blocker\b",
        r"\bleave a (?:comment|reply)\b",
        r"^\W*(?:continue reading|read more|read the full (?:story|article))\W*$",
        r"^\W*tags?:",
    )
)
# A default pattern only marks a block this short: a long paragraph is never furniture.
BOILERPLATE_MAX_WORDS = 60
# At an edge, up to this many unmatched blocks of page furniture in a row ("What's included?",
# a bullet list of short items, a `[Subscribe](#)` button) may sit between matched ones and go
# with them. A paragraph of prose never does: it ends the run (see _edge_run).
BOILERPLATE_BRIDGE = 4
# Furniture is short: a heading, a list item or a button of at most this many words, and not a
# sentence of more than FURNITURE_SENTENCE_WORDS words ("Cancel anytime." is furniture).
FURNITURE_MAX_WORDS = 12
FURNITURE_SENTENCE_WORDS = 4

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?)?"
_DATE_FORMS = (
    _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
    _WEEKDAY
    + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTH
    + r",?\s+(?P<year>\d{4})"
    + _TIME,
    r"(?P<year>\d{4})[-/](?P<mnum>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?" + _TIME,
)
DATE_ONLY = [re.compile(rf"^{form}$", re.I) for form in _DATE_FORMS]
# A date at the end of a byline, after "on", a comma, a bar, a dot or a dash.
DATE_TAIL = [
    re.compile(rf"(?:\s+on\s+|\s*[,|·•—–]\s*|\s+-\s+|\s+)(?:published\s+|updated\s+)?{form}$", re.I)
    for form in _DATE_FORMS
]
BY = re.compile(
    r"^(?:(?:written|posted|published|reported|words|story|text|article)\s+)?by\s*:?\s+(?P<rest>.+)$"
    r"|^(?:author|authors|byline)\s*:\s*(?P<rest2>.+)$",
    re.I,
)
SEPARATED = re.compile(r"^(?P<a>.+?)\s*(?:[|·•—–]|\s-\s)\s*(?P<b>.+)$")
NAME_PARTICLES = {
    "de",
    "da",
    "del",
    "della",
    "der",
    "den",
    "di",
    "du",
    "la",
    "le",
    "van",
    "von",
    "bin",
    "ibn",
    "al",
    "el",
    "y",
    "st",
    "st.",
    "ter",
    "ten",
}
NOT_NAMES = {
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "our",
    "your",
    "my",
    "his",
    "her",
    "their",
    "its",
    "it",
    "we",
    "i",
    "you",
    "staff",
    "numbers",
    "way",
    "day",
    "night",
    "far",
    "now",
}
NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")

LINK = re.compile(
    r"!?\[(?P<text>[^\[\]]*)\]\(\s*(?P<url>[^()\s]*(?:\([^()\s]*\))?[^()\s]*)"
    r"(?:\s+\"[^\"]*\")?\s*\)"
)
EMPTY_LINK = re.compile(r"!?\[(?P<text>[^\[\]]*)\]\(\s*#?\s*\)")
LINK_ONLY = re.compile(r"^(?:\*\*|__|\*|_)?(?P<link>\[[^\[\]]+\]\([^)]*\))(?:\*\*|__|\*|_)?$")
LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
RELATED_HEADING = re.compile(
    r"^(?:related(?: (?:articles?|stories|posts|reading|content|links|coverage|news|pieces))?"
    r"|read (?:more|next|also)|more (?:reading|stories|news|articles)|further reading"
    r"|see also|also read|you (?:may|might) also (?:like|enjoy)"
    r"|recommended(?: (?:reading|for you|articles|stories))?"
    r"|more (?:from|on|about|in|by) [^.!?:]{1,60})$",
    re.I,
)
INLINE_RELATED = re.compile(
    r"^(?:\*\*|__)?(?P<head>[^:\[\]]{3,70}?)(?:\*\*|__)?\s*:\s*(?P<rest>.+)$"
)
CAPTION = re.compile(
    r"^(?P<label>photo(?:graph)?(?: credit)?|image(?: credit)?|picture|pictured|caption"
    r"|illustration|top (?:photo|image)|main (?:photo|image)|photo caption|credit)\s*:\s*"
    r"(?P<rest>.*)$",
    re.I | re.S,
)
CREDIT_TAIL = re.compile(
    r"^(?P<caption>.*?)\s*(?::|\||—|–|\s-\s)\s*(?P<credit>[^:|—–]{2,60})$", re.S
)
CREDIT_PAREN = re.compile(
    r"^(?P<caption>.*?)\s*\((?:photo|image|credit)?:?\s*"
    r"(?P<credit>[^()]{2,60})\)$",
    re.I | re.S,
)
CREDIT_BY = re.compile(
    r"^(?P<caption>.*?)\s*\b(?:photo(?:graph)?\s+by|photo credit:?|credit:|"
    r"courtesy of)\s+(?P<credit>[^.]{2,60})\.?$",
    re.I | re.S,
)
PAGE_MARKER = re.compile(
    r"^\W*(?:page \d+(?: of \d+)?|(?:next|previous) page|continued on (?:the )?next page"
    r"|continued on page \d+|continued|\d+\s*/\s*\d+)\W*$",
    re.I,
)
SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]*_]*$")
ABBREVIATION_END = re.compile(r"(?:\b[A-Z]\.){2,}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# --- Blocks -------------------------------------------------------------------------------------


@dataclass
class Block:
    """A paragraph-sized piece of the input: the lines between blank lines."""

    text: str
    start: int  # 1-based line numbers in the input.
    end: int
    kind: str = "para"  # "para", "heading", "list", "quote", "code", "table".
    state: str = "body"  # "body" or a Removal kind.
    page_break_before: bool = False

    @property
    def plain(self) -> str:
        return plain(self.text)

    @property
    def words(self) -> int:
        return len(self.text.split())


def plain(text: str) -> str:
    """Text without link targets, emphasis markers and heading marks, spaces collapsed."""
    text = LINK.sub(lambda m: m["text"], text)
    text = EMPTY_LINK.sub(lambda m: m["text"], text)
    heading = HEADING.match(text)
    if heading:
        text = heading["text"]
    text = re.sub(r"(?<!\w)(\*\*|__|\*|_)|(\*\*|__|\*|_)(?!\w)", "", text)
    return " ".join(text.split())


def reduce_empty_links(text: str) -> str:
    """`[text](#)` and `[text]()` — links the crawler emptied — become their text."""
    return EMPTY_LINK.sub(lambda m: m["text"], text)


def split_blocks(text: str, first_line: int) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []
    start = first_line
    fenced = False
    for number, line in enumerate(text.split("\n"), start=first_line):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append(Block("\n".join(current), start, number - 1))
                current = []
            continue
        if not current:
            start = number
        current.append(line.rstrip())
    if current:
        blocks.append(Block("\n".join(current), start, start + len(current) - 1))
    for block in blocks:
        block.kind = block_kind(block.text)
    return blocks


def block_kind(text: str) -> str:
    lines = text.split("\n")
    first = lines[0]
    if first.lstrip().startswith(("```", "~~~")) or all(
        line.startswith(("    ", "\t")) for line in lines
    ):
        return "code"
    if HEADING.match(first) and len(lines) == 1:
        return "heading"
    if LIST_ITEM.match(first):
        return "list"
    if first.lstrip().startswith(">"):
        return "quote"
    if first.lstrip().startswith("|") and len(lines) > 1:
        return "table"
    return "para"
