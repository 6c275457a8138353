"""The issue's images served to WeasyPrint by their EPUB names, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from masthead.model import Issue

ASSET_BASE = "file:///masthead-assets/"


def asset_fetcher(issue: Issue) -> Any:
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher

    sources = {f"{ASSET_BASE}{a.href}": a.source for a in issue.assets}

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> Any:
            source = sources.get(url.split("#")[0])
            if source is not None:
                url = Path(source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])
