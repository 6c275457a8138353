"""End to end: an issue that lists the raw seed file, plus two articles titled like two of its
related items, built into an EPUB (EPUBCheck-clean) and a PDF (text and internal links)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import SEED, epubcheck, findings, link_targets, need_shared, outline
from masthead import build
from masthead.build import prepare

# Titled like two of the seed's related items: one differs in case only (an exact match after
# normalising), one in punctuation that changes the words ("Drug-Money" for "Drug Money"), which
# only the near match finds.
WAR_POWERS = "Obama demands more war-making powers from congress"
MONEY = "Congress Probes DEA Drug-Money Laundering Scheme"


def write_issue(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # A build reads only files inside the publication: the seed is copied in.
    shutil.copyfile(SEED, root / SEED.name)
    (root / "issue.toml").write_text(
        '[publication]\nname = "The Test Wire"\nlanguage = "en-US"\n\n'
        '[issue]\nnumber = 12\ndate = 2012-11-01\ntitle = "Borders"\n\n'
        f'[[sections]]\ntitle = "Reports"\narticles = ["{SEED.name}", "war-powers.md"]\n\n'
        '[[sections]]\ntitle = "Briefs"\narticles = ["money.md"]\n',
        encoding="utf-8",
    )
    (root / "war-powers.md").write_text(
        f"---\ntitle: {WAR_POWERS}\nauthors: [Test Writer]\ndate: 2012-10-02\n---\n\n"
        "A short report of our own, written for this test.\n\nIt has two paragraphs.\n",
        encoding="utf-8",
    )
    (root / "money.md").write_text(
        f"---\ntitle: {MONEY}\nauthors: [Test Writer]\ndate: 2012-10-03\n---\n\n"
        "Another short report of our own. It links back to nothing.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    need_shared(SEED)
    root = write_issue(tmp_path_factory.mktemp("import-build") / "issue")
    result = build(root, out_dir=root / "dist")
    issue, _ = prepare(root)
    seed = next(a for a in issue.articles if a.source.name == SEED.name)
    return result, issue, seed


def test_seed_imported_on_the_way_in(built) -> None:  # type: ignore[no-untyped-def]
    result, issue, seed = built
    assert seed.title == "U.S. Troops Working with Mexico on Drug War"
    assert seed.authors == ("Alex Newman",)
    assert str(seed.date) == "2012-11-01"
    # The photo was not saved: its caption and credit stay with the article, unprinted (printed
    # alone they read as part of the byline), and the build says so.
    assert seed.lead_image is None
    assert seed.extra["image_credit"] == "AP Images"
    assert len(seed.related) == 15
    # The 13 related titles that link nowhere are named (the two in the issue are not).
    caption, related = (str(w) for w in result.warnings)
    assert caption == f"{seed.source}: `image_caption` without an `image`: not printed"
    assert related.startswith(f"{seed.source}: related reading that leads nowhere")
    assert related.count("', '") == 12 and "War-making Powers" not in related


def test_two_related_items_link_inside_the_issue(built) -> None:  # type: ignore[no-untyped-def]
    _, issue, seed = built
    ids = {a.title: a.id for a in issue.articles}
    targets = {r.title: r.target for r in seed.related if r.target}
    assert targets == {
        "Obama Demands More War-making Powers from Congress": ids[WAR_POWERS],
        "Congress Probes DEA Drug Money Laundering Scheme": ids[MONEY],
    }


def test_epubcheck_reports_nothing(built) -> None:  # type: ignore[no-untyped-def]
    result, _, _ = built
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    assert findings(epubcheck(epub)) == []


def test_epub_related_reading_links_to_the_articles(built) -> None:  # type: ignore[no-untyped-def]
    result, issue, seed = built
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as zf:
        name = next(n for n in zf.namelist() if n.endswith(f"/{seed.id}.xhtml"))
        page = zf.read(name).decode("utf-8")
    aside = page[page.index('class="related"') :]
    aside = aside[: aside.index("</aside>")]
    ids = {a.title: a.id for a in issue.articles}
    hrefs = re.findall(r'<a href="([^"]+)"', aside)
    assert hrefs == [f"{ids[WAR_POWERS]}.xhtml", f"{ids[MONEY]}.xhtml"]
    assert aside.count("<li>") == 15
    # The caption of a photo that was not saved is not printed (see the first test).
    assert "Xtomoc" not in page and "AP Images" not in page
    assert "Written by" not in page


def test_pdf_text_and_related_links(built) -> None:  # type: ignore[no-untyped-def]
    result, issue, seed = built
    reader = PdfReader(next(p for p in result.outputs if p.suffix == ".pdf"))
    starts = {t: page for lvl, t, page in outline(reader) if lvl == 2}
    first = starts[seed.title]
    following = sorted(p for p in starts.values() if p > first)
    last = (following[0] if following else len(reader.pages)) - 1
    pages = range(first, last + 1)
    text = " ".join(" ".join(reader.pages[p].extract_text().split()) for p in pages)
    assert seed.title in text
    assert "ALEX NEWMAN" in text.upper()
    assert "Xtomoc" not in text and "AP Images".upper() not in text.upper()
    assert "Related reading".upper() in text.upper()
    assert "Written by" not in text and "Subscribe" not in text
    targets = {t for p in pages for t in link_targets(reader, p)}
    assert starts[WAR_POWERS] in targets and starts[MONEY] in targets
