"""Static site generators' template tags in an article's text, turned into the Markdown they
stand for before the body is rendered: Liquid for Jekyll sites, shortcodes for Hugo and Zola."""

from __future__ import annotations

from pathlib import Path

from masthead.model import BuildWarning, RawArticle, Site
from masthead.sources.shortcodes import Expansion, expand_hugo, expand_zola


def expand_templates(
    raw: RawArticle, site: Site | None
) -> tuple[str, list[BuildWarning], list[Path]]:
    """The body with its generator's tags expanded; warnings name the file and line; the files
    read (included snippets) are listed for the build's record.

    A folder outside any site gets Hugo's shortcodes expanded where it has them (`{{<`, `{{%`
    are nothing else); Liquid and Zola's syntax are only read inside those sites, since `{{`
    and `{%` are common in code (Rust's format strings, Jinja2)."""
    state = Expansion(raw, site)
    text = raw.body
    generator = site.generator if site is not None else ""
    if generator == "jekyll":
        # Imported here: python-liquid takes 0.08 s to import, and most folders are no Jekyll site.
        from masthead.sources.liquid import expand_liquid

        text = expand_liquid(text, state)
    elif generator == "zola":
        text = expand_zola(text, state)
    elif generator == "hugo" or "{{<" in text or "{{%" in text:
        text = expand_hugo(text, state)
    return text, state.warnings, state.read
