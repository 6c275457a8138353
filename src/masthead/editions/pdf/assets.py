"""What WeasyPrint is given to lay out with: the issue's images by their EPUB names, offline,
and the fonts, configured once per process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from masthead.model import Asset, Issue
from masthead.render.svgfonts import theme_fonts

ASSET_BASE = "file:///masthead-assets/"
_FONTS: list[Any] = []


def font_config() -> Any:
    """One font configuration per process: loading fonts anew for every chunk is slow."""
    from weasyprint.text.fonts import FontConfiguration

    if not _FONTS:
        _FONTS.append(FontConfiguration())
    return _FONTS[0]


def reset_process() -> None:
    """A worker starts afresh (forked: nothing kept from the parent), its fonts set up."""
    _FONTS.clear()
    font_config()


def asset_fetcher(issue: Issue) -> Any:
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    return fetcher_for(issue.assets)


def fetcher_for(assets: Sequence[Asset]) -> Any:
    """A WeasyPrint URL fetcher serving these images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    by_url = {f"{ASSET_BASE}{a.href}": a for a in assets}

    class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints.
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            asset = by_url.get(url.split("#")[0])
            if asset is not None and asset.print_image is not None:  # An animation's frame.
                return URLFetcherResponse(url, asset.print_image, {"Content-Type": "image/png"})
            if asset is not None and asset.media_type == "image/svg+xml":
                # A chart's generic font families in the theme's faces (render/svgfonts.py).
                svg = theme_fonts(asset.content or Path(asset.source).read_bytes())
                return URLFetcherResponse(url, svg, {"Content-Type": asset.media_type})
            if asset is not None and asset.content is not None:  # A sanitised picture.
                return URLFetcherResponse(url, asset.content, {"Content-Type": asset.media_type})
            if asset is not None:
                url = Path(asset.source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])
