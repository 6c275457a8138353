"""The issue's images served to WeasyPrint by their EPUB names, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from masthead.model import Issue
from masthead.render.svgfonts import theme_fonts

ASSET_BASE = "file:///masthead-assets/"


def asset_fetcher(issue: Issue) -> Any:
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    sources = {f"{ASSET_BASE}{a.href}": a.source for a in issue.assets}

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> Any:
            source = sources.get(url.split("#")[0])
            if source is not None and source.suffix.lower() == ".svg":
                # A chart's generic families in the theme's faces (render/svgfonts.py).
                data = theme_fonts(Path(source).read_bytes())
                return URLFetcherResponse(url, data, {"Content-Type": "image/svg+xml"})
            if source is not None:
                url = Path(source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])
