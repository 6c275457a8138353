"""Property: any issue laid out the fast way is the issue laid out in one pass.

Random issues of 1-6 articles whose text mixes Latin (with ligatures), CJK, Arabic,
Devanagari, emoji, combining marks and very long words, with footnotes, links, tables,
images and page references: built in pieces and in one pass, every page has the same
pixels and text, and every font reads.

CI runs the "ci" profile (25 examples, derandomized: the same ones every run); a longer
random search: HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -p no:xdist <this file>.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import font_problems, page_differences
from masthead.build import prepare
from masthead.editions.pdf import fast as fastpdf
from masthead.editions.pdf.single import package_pdf, page_size_css
from masthead.render.documents import render_pdf

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None, print_blob=True)
# The long search: 500 random examples (HYPOTHESIS_LONG_EXAMPLES to budget another number).
LONG = int(os.environ.get("HYPOTHESIS_LONG_EXAMPLES", "500"))
settings.register_profile("long", max_examples=LONG, deadline=None, print_blob=True)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

WORDS = {
    "latin": ["office", "efficient", "baffling", "fjord", "waffle", "affluent", "final", "the"],
    "cjk": ["中文", "日本語の文章", "漢字かな交じり", "한국어"],
    "arabic": ["مرحبا", "بالعالم", "الكتابة"],
    "devanagari": ["नमस्ते", "दुनिया", "हिन्दी"],
    "emoji": ["🦀", "🌙", "👩‍🔬"],
    "combining": ["e\u0301te\u0301", "na\u0308ive", "a\u0323\u0302"],
    "long": ["Donaudampfschifffahrtsgesellschaftskapitänsmütze", "x" * 70],
}
TITLES = ["Night", "Tides", "Moths", "Ferries", "Lamps", "Stars"]

words = st.sampled_from(sorted(WORDS)).flatmap(lambda script: st.sampled_from(WORDS[script]))
sentences = st.lists(words, min_size=3, max_size=14).map(lambda w: " ".join(w) + ".")


@st.composite
def paragraphs(draw: st.DrawFn, number: int, count: int) -> str:
    """A block: plain text, or with a footnote, a link, a table or an image."""
    text = " ".join(draw(st.lists(sentences, min_size=1, max_size=4)))
    kind = draw(st.sampled_from(["plain", "footnote", "link", "table", "image"]))
    if kind == "footnote":
        return f"{text}[^n{number}]\n\n[^n{number}]: {draw(sentences)}"
    if kind == "link":
        return f"{text} [{draw(words)}](https://example.org/{number})"
    if kind == "table":
        count = draw(st.integers(1, 4))
        rows = "\n".join(f"| {draw(words)} | {draw(words)} |" for _ in range(count))
        return f"{text}\n\n| A | B |\n| --- | --- |\n{rows}"
    if kind == "image":
        return f"{text}\n\n![A grey square](square.png)"
    return text


Articles = list[tuple[str, list[str], str]]


@st.composite
def issues(draw: st.DrawFn) -> Articles:
    """(title, related titles, body) of 1 to 6 articles."""
    count = draw(st.integers(1, 6))
    found = []
    for number in range(count):
        related = draw(st.lists(st.sampled_from(TITLES[:count]), max_size=2, unique=True))
        blocks = draw(st.lists(paragraphs(number, count), min_size=1, max_size=3))
        found.append((TITLES[number], related, "\n\n".join(blocks)))
    return found


def _write(folder: Path, articles: Articles) -> None:
    from PIL import Image

    Image.new("RGB", (40, 40), (128, 128, 128)).save(folder / "square.png")
    for number, (title, related, body) in enumerate(articles):
        listed = ", ".join(f"'{r}'" for r in related if r != title)
        (folder / f"{number}-{title.lower()}.md").write_text(
            f"+++\ntitle = '{title}'\ndate = 2026-11-0{number + 1}\nrelated = [{listed}]\n+++\n\n"
            f"{body}\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def workers() -> Iterator[fastpdf.Workers]:
    """Two worker processes for every example (starting them is not what is tested)."""
    with fastpdf.Workers(2) as started:
        yield started


@settings(PROFILE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(articles=issues())
def test_fast_is_one_pass(workers: fastpdf.Workers, articles: Articles) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _write(Path(folder), articles)
        issue, _ = prepare(Path(folder), title="Random")
        rendered = render_pdf(issue, page_size_css(issue.publication.page_size))
        single = package_pdf(issue, rendered)
        try:
            fast = fastpdf.build_fast(issue, rendered.html, variant="pdf/ua-1", workers=workers)
        except fastpdf.Untrusted:
            raise  # A check failed: the pieces were joined wrong, or the check is wrong.
        except fastpdf.NotApplicable as exc:
            # Only text no font has (.notdef boxes) is left to one pass.
            assert "no font" in str(exc)
            event("one pass: characters without a font")
            return
        event(f"fast: {len(articles)} article(s), {fast.pages} pages")
        assert font_problems(fast.data) == []
        assert page_differences(single.data, fast.data) == []
