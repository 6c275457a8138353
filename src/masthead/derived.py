"""Files derived from inputs (an image's facts, a resized image, a GIF's frame as PNG), kept by
the hash of their source's content and the operation that made them, in the build's state folder
(`dist/.masthead/images/`), so that a rebuild does not decode, resize or encode them again.

New files are held in memory until the build that made them writes its outputs (see
`new_files`): a failed build writes nothing, not even to its cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_key(data: bytes) -> str:
    """The name part that identifies a source by its content."""
    return hashlib.sha256(data).hexdigest()[:32]


class DerivedFiles:
    """Derived bytes by (source content, operation): read from a folder, new ones kept in memory."""

    def __init__(self, folder: Path | None) -> None:
        """`folder` None: nothing is read or kept between builds (a `check`, a library call)."""
        self.folder = folder
        self.new: dict[str, bytes] = {}

    def get(self, source: bytes, operation: str) -> bytes | None:
        """What `operation` made of `source` before, or None."""
        name = f"{content_key(source)}-{operation}"
        if name in self.new:
            return self.new[name]
        if self.folder is None:
            return None
        try:
            return (self.folder / name).read_bytes()
        except OSError:
            return None

    def put(self, source: bytes, operation: str, data: bytes) -> bytes:
        """Keep what `operation` made of `source`; returns `data`."""
        self.new[f"{content_key(source)}-{operation}"] = data
        return data

    def new_files(self) -> dict[Path, bytes]:
        """The files this build made, to write with its outputs (files.write_all)."""
        if self.folder is None:
            return {}
        return {self.folder / name: data for name, data in self.new.items()}
