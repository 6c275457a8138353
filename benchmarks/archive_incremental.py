"""The archive step when one issue is added to a 20-issue archive in which nothing else changed.

    .venv/bin/python benchmarks/archive_incremental.py

Builds a 20-issue publication (EPUB only, 6 articles an issue: the archive step does not depend
on the formats), adds a 21st issue and builds the publication again. Reports which issues were
built again, and the archive step's time: reading the archive's records and ranking the new
issue's suggestions ("plan"), then the site's pages, feeds and covers ("site").
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from archive_fixtures import write_issue, write_publication  # noqa: E402

from masthead.batch import build_all  # noqa: E402
from masthead.model import BuildResult  # noqa: E402

TOPICS = [
    "keeper lamp tower",
    "fog horn signal",
    "tide moon harbour",
    "lens glass light",
    "ferry crossing night",
    "storm wave wind",
]


def spec(n: int) -> tuple:  # type: ignore[type-arg]
    day = dt.date(2020, 1, 1) + dt.timedelta(days=30 * n)
    articles = [
        (
            f"a{k}.md",
            f"Story {k} of Issue {n}",
            [TOPICS[k].split()[0]],
            [f"Story {k} of Issue {n - 1}"] if n > 1 and k == 0 else [],
            TOPICS[k],
        )
        for k in range(6)
    ]
    return (f"no-{n:02d}", n, day, f"Issue {n}", articles)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pub = write_publication(Path(tmp) / "pub", [spec(n) for n in range(1, 21)])
        out = Path(tmp) / "dist"
        started = time.perf_counter()
        build_all([pub], out_dir=out, formats=("epub",), jobs=2)
        print(f"20 issues built in {time.perf_counter() - started:.0f} s")
        write_issue(pub, spec(21))
        started = time.perf_counter()
        batch = build_all([pub], out_dir=out, formats=("epub",), jobs=2)
        total = time.perf_counter() - started
        rebuilt = [
            r.outputs[0].name
            for r in batch.results
            if isinstance(r, BuildResult) and set(r.timings) != {"cache"}
        ]
        site = batch.archives[0]
        print(f"issue 21 added: rebuilt {rebuilt}; whole command {total:.1f} s")
        print(
            f"| archive step | {site.timings['archive']:.2f} s | plan {site.timings['plan']:.2f} s"
            f" | site {site.timings['site']:.2f} s | {len(site.written)} files written |"
        )


if __name__ == "__main__":
    main()
