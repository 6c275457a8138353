"""The order of a publication's builds: what each issue is told of the others (cross-issue
related reading, suggestions) and which issues must be built first (those whose PDF page
numbers it prints), then the archive site."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from masthead.archive.records import load_archive
from masthead.archive.related import LinkPlan, find_targets, plan_links, read_pages
from masthead.archive.suggest import suggest
from masthead.model import ArchiveLinks
from masthead.options import BuildOptions

STATE_DIR = ".masthead"  # As build.STATE_DIR.
Wave = list[tuple[Path, ArchiveLinks | None]]


class Planner:
    """A publication's archive, read once, and the builds it asks for."""

    def __init__(
        self, folder: Path, issues: list[Path], options: BuildOptions, base_url: str = ""
    ) -> None:
        self.folder = Path(folder)
        self.options = options
        self.base_url = base_url
        self.state = options.out_dir / STATE_DIR
        started = time.perf_counter()
        self.archive = load_archive(self.folder, issues, self.state)
        # One issue is not an archive: it builds as it always has.
        self.linked = len(self.archive.issues) >= 2
        self.targets = find_targets(self.archive) if self.linked else {}
        self.suggestions = suggest(self.archive, self.targets, self.state) if self.linked else {}
        self.built: dict[int, ArchiveLinks | None] = {}
        self.plan_seconds = time.perf_counter() - started  # Reading the archive, ranking.

    def plan(self) -> LinkPlan:
        """Each issue's links with the page numbers its targets' PDFs have now."""
        pages = read_pages(self.state) if "pdf" in self.options.formats else None
        return plan_links(self.archive, self.targets, self.suggestions, pages, self.base_url)

    def _links(self, plan: LinkPlan, index: int) -> ArchiveLinks | None:
        return plan.links[index] if self.linked else None

    def links_for(self, issue: Path) -> ArchiveLinks | None:
        plan = self.plan()
        for index, record in enumerate(self.archive.issues):
            if record.folder.resolve() == Path(issue).resolve():
                return self._links(plan, index)
        return None

    def waves(self) -> Iterator[Wave]:
        """Issues to build, a wave at a time: an issue waits for the earlier issues whose page
        numbers its PDF prints (and, with no PDF, for nothing). The caller builds each wave
        before asking for the next."""
        failed = [(folder, None) for folder, _ in self.archive.failed]
        plan = self.plan()
        count = len(self.archive.issues)
        waits = {
            i: {j for j in plan.points_to[i] if j < i} if "pdf" in self.options.formats else set()
            for i in range(count)
        }
        remaining = set(range(count))
        first = True
        while remaining or first:
            ready = sorted(i for i in remaining if not waits[i] & remaining)
            plan = self.plan()
            wave: Wave = [(self.archive.issues[i].folder, self._links(plan, i)) for i in ready]
            for i in ready:
                self.built[i] = self._links(plan, i)
            if first:
                wave = failed + wave
                first = False
            yield wave
            remaining -= set(ready)

    def again(self) -> Wave:
        """Issues whose links changed since their build (they point to a later issue whose
        page numbers came after): built once more."""
        plan = self.plan()
        return [
            (self.archive.issues[i].folder, self._links(plan, i))
            for i, links in self.built.items()
            if self._links(plan, i) != links
        ]
