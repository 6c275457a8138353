"""The archive step at scale: a synthetic publication of 500 issues of 30 articles each.

    .venv/bin/python benchmarks/archive_scale.py [--issues 500] [--articles 30]

No EPUB or PDF is built (15,000 articles of layout is not what is measured): the archive's
records are made in memory, as an archive step reads them from its state folder, and each issue
gets three small stand-in files (EPUB, Kobo EPUB, PDF) for the catalogs to link to. Measured, in
one process, each stage after the one before: cross-issue related matching, suggested reading
(BM25 over title, dek, tags and ~400 words of body, every article needing suggestions), the
views, the OPDS 1.2/2.0 and Atom feeds, and (apart) the 15,000+ HTML pages. Peak memory is the
process's maximum resident set (getrusage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from masthead.archive.feeds import render_feeds  # noqa: E402
from masthead.archive.pages import render_pages  # noqa: E402
from masthead.archive.records import Archive, ArticleRecord, IssueRecord, RelatedRecord  # noqa: E402
from masthead.archive.related import find_targets  # noqa: E402
from masthead.archive.suggest import suggest  # noqa: E402
from masthead.archive.views import Sources, make_site  # noqa: E402
from masthead.model import Publication  # noqa: E402
from masthead.render.theme import Theme  # noqa: E402

random.seed(20261201)
# A vocabulary the size of a magazine's (20,000 words), used as language uses words: the n-th
# most common word about 1/n as often as the first (Zipf).
_SYLLABLES = [
    "har",
    "lam",
    "tid",
    "fog",
    "sto",
    "kee",
    "gla",
    "wav",
    "nig",
    "sal",
    "win",
    "rop",
    "bel",
    "cli",
    "qua",
    "riv",
    "mor",
    "den",
    "lis",
    "pan",
    "tor",
    "vel",
    "sun",
    "ash",
]
VOCABULARY = sorted(
    {"".join(random.choices(_SYLLABLES, k=random.randint(1, 4))) for _ in range(40000)}
)[:20000]
random.shuffle(VOCABULARY)
WEIGHTS = [1 / (i + 1) for i in range(len(VOCABULARY))]
AUTHORS = [f"Author {n}" for n in range(120)]
TAGS = [f"topic {n}" for n in range(60)]


def words(count: int) -> str:
    return " ".join(random.choices(VOCABULARY, WEIGHTS, k=count))


def synthetic(issues: int, per_issue: int, folder: Path) -> Archive:
    records: list[IssueRecord] = []
    titles: list[str] = []
    start = dt.date(1985, 1, 1)
    for n in range(1, issues + 1):
        articles = []
        for a in range(per_issue):
            title = f"{words(3).title()} {n}-{a}"
            related = []
            if titles and random.random() < 0.3:  # Some name an earlier article exactly.
                related.append(RelatedRecord(random.choice(titles)))
            if random.random() < 0.1:  # And a few name nothing.
                related.append(RelatedRecord(f"Lost Piece {n}-{a}"))
            articles.append(
                ArticleRecord(
                    id=f"article-{a}",
                    title=title,
                    file=f"article-{a}.md",
                    section="Features",
                    dek=words(12),
                    authors=(random.choice(AUTHORS),),
                    date=start + dt.timedelta(days=30 * n),
                    tags=tuple(random.sample(TAGS, 2)),
                    related=tuple(related),
                    text=words(400),
                    word_count=400,
                )
            )
        titles += [a.title for a in articles]
        stem = f"synthetic-no-{n}"
        for suffix in (".epub", ".kepub.epub", ".pdf"):
            (folder / f"{stem}{suffix}").write_bytes(b"x" * 1000)
        records.append(
            IssueRecord(
                folder=folder / f"no-{n}",
                slug=f"no-{n}",
                stem=stem,
                title=f"Issue {n}",
                full_title=f"Synthetic, No. {n}",
                identifier=f"urn:uuid:00000000-0000-0000-0000-{n:012d}",
                date=start + dt.timedelta(days=30 * n),
                number=n,
                description=words(20),
                sections=("Features",),
                articles=tuple(articles),
                digest=str(n),
            )
        )
    publication = Publication(name="Synthetic", language="en", publisher="Bench Press")
    return Archive(publication, folder, tuple(records))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--articles", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = synthetic(args.issues, args.articles, folder)
        base = peak_mb()
        timings: dict[str, float] = {}
        cpu: dict[str, float] = {}
        clock, cpu_clock = time.perf_counter(), time.process_time()

        def lap(name: str) -> None:
            # Wall time and CPU time: on a shared machine the first waits for the others.
            nonlocal clock, cpu_clock
            now, cpu_now = time.perf_counter(), time.process_time()
            timings[name], cpu[name] = now - clock, cpu_now - cpu_clock
            clock, cpu_clock = now, cpu_now

        targets = find_targets(archive)
        lap("related matching")
        suggestions = suggest(archive, targets)
        lap("suggestions (BM25)")
        sources = Sources(targets, suggestions, {}, folder, {}, set())
        site = make_site(archive, sources)
        theme = Theme((), "en")
        lap("views")
        feeds = render_feeds(site, theme)
        lap("feeds")
        step = sum(timings.values())
        step_cpu = sum(cpu.values())
        step_peak = peak_mb()
        pages = render_pages(site, theme)
        lap("pages")
        count = sum(len(i.articles) for i in archive.issues)
        print(
            f"{args.issues} issues, {count} articles; {len(targets)} related links matched, "
            f"{sum(len(v) for v in suggestions.values())} suggestions for {len(suggestions)} "
            f"articles; {len(feeds)} feed files, {len(pages)} pages"
        )
        print("| stage | wall | CPU | memory |\n| --- | --- | --- | --- |")
        for name, seconds in timings.items():
            print(f"| {name} | {seconds:.1f} s | {cpu[name]:.1f} s | |")
        print(
            f"| **index + similarity + feeds** | {step:.1f} s | {step_cpu:.1f} s | "
            f"peak {step_peak:.0f} MB (records alone {base:.0f} MB) |"
        )
        print(
            f"| with every page too | {step + timings['pages']:.1f} s | "
            f"{step_cpu + cpu['pages']:.1f} s | peak {peak_mb():.0f} MB |"
        )


if __name__ == "__main__":
    main()
