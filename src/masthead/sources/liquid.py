"""Jekyll's Liquid in a post's text, rendered as Jekyll would before the Markdown (python-liquid,
with Jekyll's tags and filters): `{% raw %}` kept literally, `{% highlight %}` as fenced code,
`{% link %}` and `{% post_url %}` as the page's address (resolved to the article later),
`{{ site.x }}` from `_config.yml`, loops and assignments run. A tag or value it cannot give is
removed with a warning naming the file and line; none reaches a reader raw."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from liquid import Environment, Undefined
from liquid.exceptions import LiquidError

from masthead.model import Site
from masthead.sources.frontmatter import decode, split_front_matter
from masthead.sources.shortcodes import Expansion, fenced
from masthead.sources.sites import page_path
from masthead.text import slugify

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_HIGHLIGHT = re.compile(
    r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*?-?%\}(.*?)\{%-?\s*endhighlight\s*-?%\}", re.S
)
_LIQUID_ANY = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
# Tags this pass replaces itself before Liquid runs.
_OWN_TAGS = {"link", "post_url", "highlight", "endhighlight", "raw", "endraw"}
# Liquid tags that load other files: a post's text does not get them.
_FILE_TAGS = {"include", "render", "include_relative"}


class _Undefined(Undefined):
    """An unknown value renders as nothing, and says so."""

    found: list[tuple[str, int]] = []  # (expression, offset in the source), per render.

    def __str__(self) -> str:
        token = self.token
        if token is not None:
            end = token.source.find("}}", token.start_index)
            expression = token.source[token.start_index : end if end >= 0 else None].strip()
            _Undefined.found.append((expression or self.name, token.start_index))
        return ""


def _environment() -> Environment:
    env = Environment(undefined=_Undefined)
    for name in _FILE_TAGS:
        env.tags.pop(name, None)
    env.filters.update(
        {
            "slugify": lambda value, *_: slugify(str(value), ""),
            "xml_escape": lambda v: str(v).replace("&", "&amp;").replace("<", "&lt;"),
            "cgi_escape": lambda v: quote_plus(str(v)),
            "uri_escape": lambda v: quote(str(v), safe="/:?#[]@!$&'()*+,;=-._~%"),
            "jsonify": lambda v: json.dumps(v, default=str),
            "markdownify": lambda v: v,
            "smartify": lambda v: v,
            "normalize_whitespace": lambda v: " ".join(str(v).split()),
            "number_of_words": lambda v, *_: len(str(v).split()),
            "array_to_sentence_string": _sentence,
            "date_to_string": lambda v, *_: _date(v, "%d %b %Y"),
            "date_to_long_string": lambda v, *_: _date(v, "%d %B %Y"),
            "date_to_xmlschema": lambda v: _date(v, "%Y-%m-%dT%H:%M:%S"),
            "date_to_rfc822": lambda v: _date(v, "%a, %d %b %Y %H:%M:%S"),
        }
    )
    return env


def _sentence(items: Any, connector: str = "and") -> str:
    words = [str(i) for i in items] if isinstance(items, list) else [str(items)]
    if len(words) < 3:
        return f" {connector} ".join(words)
    return ", ".join(words[:-1]) + f", {connector} {words[-1]}"


def _date(value: Any, pattern: str) -> str:
    if isinstance(value, dt.date):
        return value.strftime(pattern)
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime(pattern)
    except ValueError:
        return str(value)


_ENV = _environment()


def expand_liquid(text: str, state: Expansion) -> str:
    """A Jekyll post's body with its Liquid rendered (see the module's doc)."""
    site = state.site
    if "{%" not in text and "{{" not in text:
        return text
    text = _own_tags(text, state)
    base = site.base_path if site else ""
    env = _ENV
    filters = {
        "relative_url": lambda v: base + str(v) if str(v).startswith("/") else str(v),
        "absolute_url": lambda v: (
            (site.base_url if site else "")
            + (base + str(v) if str(v).startswith("/") else "/" + str(v))
        ),
    }
    values = {
        "site": _site_values(site),
        "page": {
            **state.raw.meta,
            "url": page_path(site, state.raw.path, state.raw.meta) if site else "",
        },
    }
    _Undefined.found = []
    try:
        env.filters.update(filters)
        rendered = env.from_string(text).render(**values)
    except LiquidError as exc:
        token = getattr(exc, "token", None)
        offset = token.start_index if token is not None else 0
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        state.warn(f"Liquid that cannot be rendered removed ({first})", offset, text)
        return _strip_liquid(text)
    for expression, offset in _Undefined.found:
        state.warn(f"unknown Liquid value removed: {{{{ {expression} }}}}", offset, text)
    return rendered


def _site_values(site: Site | None) -> dict[str, Any]:
    if site is None:
        return {}
    values = dict(site.config)
    values.update({"url": site.base_url, "baseurl": site.base_path, "posts": [], "pages": []})
    return values


def _outside_raw_blocks(text: str, change: Any) -> str:
    """`text` with `change(segment, offset)` applied to what is outside `{% raw %}` blocks."""
    out: list[str] = []
    position = 0
    for raw in [*_RAW.finditer(text), None]:
        end = raw.start() if raw is not None else len(text)
        out.append(change(text[position:end], position))
        if raw is not None:
            out.append(raw.group(0))
            position = raw.end()
    return "".join(out)


def _highlight(match: re.Match[str]) -> str:
    # Kept raw, as Jekyll 4 does; the line count is kept, so later warnings name the right lines.
    block = fenced(match.group(2), match.group(1)).strip("\n")
    return "{% raw %}" + block + "{% endraw %}"


def _own_tags(text: str, state: Expansion) -> str:
    """Outside `{% raw %}`: highlight → fenced code; link and post_url → the page's address;
    tags this pass does not know → removed, with a warning."""
    text = _outside_raw_blocks(text, lambda segment, _: _HIGHLIGHT.sub(_highlight, segment))
    return _outside_raw_blocks(text, lambda segment, start: _tags(segment, start, text, state))


def _tags(segment: str, start: int, text: str, state: Expansion) -> str:
    def tag(match: re.Match[str]) -> str:
        name, args = match.group(1), match.group(2).strip()
        offset = start + match.start()
        if name in ("link", "post_url"):
            return _link(name, args, state, offset, text)
        if name in _known_tags():
            return match.group(0)
        if name in ("highlight", "endhighlight"):
            state.warn(f"unpaired `{{% {name} %}}` removed", offset, text)
            return ""
        state.warn(f"unknown Liquid tag removed: {{% {name} %}}", offset, text)
        return ""

    return _TAG.sub(tag, segment)


def _known_tags() -> set[str]:
    """Tags python-liquid renders: its tags, their end tags and inner tags (else, when…)."""
    names = {name for name in _ENV.tags if name not in _FILE_TAGS}
    return names | {f"end{name}" for name in names} | {"else", "elsif", "when", "empty"}


def _link(name: str, args: str, state: Expansion, offset: int, text: str) -> str:
    """The site address of the page `{% link path %}` or `{% post_url name %}` names (a page
    the folder does not hold still has its address on the published site)."""
    site = state.site
    target: Path | None = None
    argument = args.split()[0].strip("\"'") if args.split() else ""
    if site is not None and argument:
        if name == "link":
            candidate = (site.root / argument).resolve()
            target = (
                candidate if candidate.is_file() and candidate.is_relative_to(site.root) else None
            )
        else:
            target = _post_file(site.root, argument)
        if target is None and site.base_url:
            file = site.root / (argument if name == "link" else f"_posts/{argument}.md")
            return page_path(site, file, {})
    if site is None or target is None:
        state.warn(f"`{{% {name} {argument} %}}` names no page of the site; removed", offset, text)
        return ""
    return page_path(site, target, _front_matter(target))


def _post_file(root: Path, name: str) -> Path | None:
    """`{% post_url 2010-07-21-name %}` (or `folder/2010-07-21-name`): the post's file."""
    folder, _, stem = name.rpartition("/")
    posts = root / folder / "_posts" if folder else root / "_posts"
    for base in (posts, root / "_posts" / folder):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob(f"{stem}.*")):
            resolved = path.resolve()
            if resolved.is_file() and resolved.is_relative_to(root):
                return resolved
    return None


def _front_matter(path: Path) -> dict[str, Any]:
    try:
        return split_front_matter(decode(path.read_bytes(), path), path)[0]
    except Exception:  # noqa: BLE001 - another post's broken front matter is its own problem.
        return {}


def _strip_liquid(text: str) -> str:
    """The last resort: every tag and value outside raw blocks removed, raw blocks unwrapped."""
    out: list[str] = []
    position = 0
    for raw in [*_RAW.finditer(text), None]:
        end = raw.start() if raw is not None else len(text)
        out.append(_LIQUID_ANY.sub("", text[position:end]))
        if raw is not None:
            inner = re.sub(r"^\{%-?\s*raw\s*-?%\}|\{%-?\s*endraw\s*-?%\}$", "", raw.group(0))
            out.append(inner)
            position = raw.end()
    return "".join(out)
