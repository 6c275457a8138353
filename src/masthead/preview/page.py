"""The preview's own pages (HTML, script, style): Jinja2 templates in `templates/preview/`."""

from __future__ import annotations

import functools

import jinja2

from masthead.render.theme import default_theme_dir

STATIC = {"preview.js": "text/javascript", "preview.css": "text/css"}


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(default_theme_dir() / "preview"),
        autoescape=jinja2.select_autoescape(("html",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, /, **context: object) -> str:
    return environment().get_template(name).render(**context)
