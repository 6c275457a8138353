"""The issue's images served to WeasyPrint by their EPUB names, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from masthead.model import Issue

ASSET_BASE = "file:///masthead-assets/"


def asset_fetcher(issue: Issue) -> Any:
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets = {f"{ASSET_BASE}{a.href}": a for a in issue.assets}

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> Any:
            asset = assets.get(url.split("#")[0])
            if asset is not None and asset.print_image is not None:  # An animation's frame.
                return URLFetcherResponse(url, asset.print_image, {"Content-Type": "image/png"})
            if asset is not None and asset.content is not None:  # A sanitised SVG.
                return URLFetcherResponse(url, asset.content, {"Content-Type": asset.media_type})
            if asset is not None:
                url = Path(asset.source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])
