"""The issue's images served to WeasyPrint by their EPUB names, offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from masthead.model import Asset, Issue

ASSET_BASE = "file:///masthead-assets/"


def asset_fetcher(issue: Issue) -> Any:
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    return fetcher_for(issue.assets)


def fetcher_for(assets: Sequence[Asset]) -> Any:
    """A WeasyPrint URL fetcher serving these images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher

    sources = {f"{ASSET_BASE}{a.href}": a.source for a in assets}

    class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints.
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            source = sources.get(url.split("#")[0])
            if source is not None:
                url = Path(source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])
