"""Typographer's punctuation for every piece of text an edition shows: curly quotes and
apostrophes in the issue's language, dashes and ellipses (markdown-it's typographer, the same
rules the article bodies go through)."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from lxml import etree
from markdown_it import MarkdownIt

from masthead.model import Article, Image, Issue, IssueInfo, Publication, RelatedLink, Section

# Quotation marks by language (primary subtag): double open, double close, single open, single
# close, as markdown-it's `quotes` option takes them. Others get English marks.
QUOTES: dict[str, str | list[str]] = {
    "en": "“”‘’",
    "de": "„“‚‘",
    "da": "»«›‹",
    "fr": ["«\u202f", "\u202f»", "‹\u202f", "\u202f›"],
    "es": "«»“”",
    "it": "«»“”",
    "pt": "«»“”",
    "nl": "“”‘’",
    "sv": "””’’",
    "fi": "””’’",
    "no": "«»‘’",
    "nb": "«»‘’",
    "pl": "„”«»",
    "cs": "„“‚‘",
    "ru": "«»„“",
    "uk": "«»„“",
    "ja": "「」『』",
    "zh": "“”‘’",
}
# A word that starts by leaving letters out ("'Tis", "'em", "rock 'n' roll", "the '90s") takes
# an apostrophe, which the quote rules take for an opening quote.
_ELIDED = r"(?:tis|twas|twere|twill|em|n|cause|til|round|bout|\d0s|\d\d)\b"
_ELISION = re.compile(rf"[‘'‚‹](?={_ELIDED})", re.IGNORECASE)
_ROCK_N_ROLL = re.compile(r"(?<=\s)['‘‚‹]\s?n\s?['’‘›](?=\s)")
# Straight marks the quote rules left alone (no partner): an apostrophe, and a double quote
# that opens after a space or at the start and closes elsewhere.
_STRAIGHT_DOUBLE_OPEN = re.compile(r'(^|(?<=[\s(\[—–]))"')
_SKIP = {"code", "pre", "kbd", "samp", "script", "style"}


def primary(language: str) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


@functools.lru_cache(maxsize=16)
def _typographer(language: str) -> MarkdownIt:
    """Only the punctuation rules: no Markdown syntax is read in display text."""
    md = MarkdownIt(
        "zero", {"typographer": True, "quotes": QUOTES.get(primary(language), QUOTES["en"])}
    )
    md.enable(["replacements", "smartquotes"])
    return md


def quotes_for(language: str) -> str | list[str]:
    """The `quotes` option for markdown-it in this language."""
    return QUOTES.get(primary(language), QUOTES["en"])


@functools.lru_cache(maxsize=4096)
def smart(text: str, language: str = "en") -> str:
    """`text` with typographer's quotes, apostrophes, dashes and ellipses."""
    if not text or not any(c in text for c in "'\".-("):
        return text
    tokens = _typographer(language).parseInline(fix_elisions(text))
    out = "".join(
        child.content if child.type == "text" else "\n"
        for token in tokens
        for child in token.children or ()
    )
    return curl_leftovers(out, language)


def fix_elisions(text: str) -> str:
    """Apostrophes where letters are left out; the straight quotes left alone by the quote
    rules (no partner) curled."""
    text = _ROCK_N_ROLL.sub("’n’", text)
    text = _ELISION.sub("’", text)
    return text


def curl_leftovers(text: str, language: str = "en") -> str:
    """Quotes the pairing rules could not pair: ' is an apostrophe, " opens after a space."""
    marks = quotes_for(language)
    text = text.replace("'", "’")
    if '"' in text:
        text = _STRAIGHT_DOUBLE_OPEN.sub(lambda m: m.group(1) + marks[0], text)
        text = text.replace('"', marks[1])
    return text


def fix_elisions_in(tree: etree._Element, language: str = "en") -> None:
    """Apostrophes for elisions, and leftover straight quotes curled, in an article body's text
    (not in code)."""

    def fix(text: str) -> str:
        return curl_leftovers(fix_elisions(text), language)

    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        inside_code = element.tag in _SKIP or any(a.tag in _SKIP for a in element.iterancestors())
        if not inside_code and element.text:
            element.text = fix(element.text)
        parent = element.getparent()
        parent_code = parent is not None and (
            parent.tag in _SKIP or any(a.tag in _SKIP for a in parent.iterancestors())
        )
        if element.tail and not parent_code:
            element.tail = fix(element.tail)


def smart_issue(issue: Issue) -> Issue:
    """Every display text of the issue (titles, deks, cover lines, captions, related reading,
    names) with typographer's punctuation in the publication's language."""
    lang = issue.publication.language

    def s(text: str) -> str:
        return smart(text, lang)

    publication: Publication = replace(
        issue.publication,
        name=s(issue.publication.name),
        tagline=s(issue.publication.tagline),
        description=s(issue.publication.description),
        publisher=s(issue.publication.publisher),
        rights=s(issue.publication.rights),
    )
    info: IssueInfo = replace(
        issue.info,
        title=s(issue.info.title),
        cover_lines=tuple(s(line) for line in issue.info.cover_lines),
        description=s(issue.info.description),
    )
    sections = tuple(
        replace(
            section,
            title=s(section.title),
            articles=tuple(_smart_article(a, lang) for a in section.articles),
        )
        for section in issue.sections
    )
    return replace(issue, publication=publication, info=info, sections=sections)


def _smart_article(article: Article, lang: str) -> Article:
    def s(text: str) -> str:
        return smart(text, lang)

    lead: Image | None = article.lead_image
    if lead is not None:
        lead = replace(lead, caption=s(lead.caption), credit=s(lead.credit), alt=s(lead.alt))
    return replace(
        article,
        title=s(article.title),
        dek=s(article.dek),
        summary=s(article.summary),
        section=s(article.section),
        authors=tuple(s(a) for a in article.authors),
        lead_image=lead,
        related=tuple(_smart_related(r, lang) for r in article.related),
    )


def _smart_related(item: RelatedLink, lang: str) -> RelatedLink:
    """The item's title, and the archive article's it points to, typeset; the rest kept."""
    there = item.elsewhere
    if there is not None:
        there = replace(there, title=smart(there.title, lang))
    return replace(item, title=smart(item.title, lang), elsewhere=there)


__all__ = ["Section", "fix_elisions", "fix_elisions_in", "quotes_for", "smart", "smart_issue"]
