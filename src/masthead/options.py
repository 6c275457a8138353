"""The options of a build: one frozen object from the CLI (or a caller) into every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("epub", "pdf")  # Built by default.
ALL_FORMATS = ("epub", "pdf", "kepub")
PDF_MODES = ("auto", "fast", "single")


def cores() -> int:
    """Cores this process may run on (the default for jobs)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Not on Linux.
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BuildOptions:
    """What a build is asked to make; every field has the default a plain `masthead build` uses."""

    out_dir: Path = Path("dist")
    formats: tuple[str, ...] = FORMATS  # Any of ALL_FORMATS.
    title: str | None = None  # A zero-config folder's issue title.
    language: str | None = None  # BCP 47, checked; the whatever its settings say.
    page_size: str | None = None  # Like "letter"; None: the publication's.
    pdf_variant: str | None = None  # Like "pdf/a-3b"; None: tagged PDF/UA-1.
    strict: bool = False  # Any warning, EPUBCheck or Ace finding fails the build.
    use_cache: bool = True  # False: build again even when nothing changed.
    pdf_mode: str = "auto"  # One of PDF_MODES.
    pdf_jobs: int | None = None  # Processes laying out PDF pieces; None: cores().
    site_root: Path | None = None  # A zero-config folder's static site; None: found above it.

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        object.__setattr__(self, "formats", tuple(self.formats))

    @property
    def jobs(self) -> int:
        return self.pdf_jobs or cores()

    def recorded(self) -> dict[str, Any]:
        """The options that change what a build writes (kept in the build record)."""
        return {
            "formats": sorted(self.formats),
            "title": self.title,
            "language": self.language,
            "page_size": self.page_size,
            "pdf_variant": self.pdf_variant,
            "strict": self.strict,
            "pdf_mode": self.pdf_mode,
            "site_root": str(self.site_root) if self.site_root else None,
        }
