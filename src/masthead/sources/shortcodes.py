"""Hugo shortcodes (`{{< name args >}}`, `{{% name %}}…{{% /name %}}`) and Zola's
(`{{ name(a=1) }}`, `{% name() %}…{% end %}`) turned into the Markdown they stand for, before
the body is rendered: figures, code, cross references, embedded videos and posts as linked
titles, included snippets. A shortcode nobody knows is removed (the Markdown inside a paired
one is kept), with a warning naming the file and line; none reaches a reader raw."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.model import BuildWarning, RawArticle, Site
from masthead.sources.frontmatter import decode, split_front_matter
from masthead.sources.sites import content_file, page_path

# {{< name args >}} / {{% name args %}} / {{< /name >}} / {{< name />}}; {{</* … */>}} is how a
# page shows a shortcode literally.
_HUGO = re.compile(r"\{\{([<%])(/\*)?\s*(/?)\s*([\w.-]+)(.*?)(\*/)?\s*([>%])\}\}", re.S)
# Zola: {{ name(args) }} inline, {% name(args) %} … {% end %} with a body.
_ZOLA = re.compile(
    r"\{\{(/\*)?\s*(\w+)\((.*?)\)\s*(\*/)?\}\}|\{%(/\*)?\s*(\w+)\((.*?)\)\s*(\*/)?%\}", re.S
)
_ZOLA_END = re.compile(r"\{%\s*end\s*%\}")
_PARAM = re.compile(r'(?:([\w-]+)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|\'[^\']*\'|[^\s"=]+)', re.S)
MAX_INCLUDE_DEPTH = 5


@dataclass
class Expansion:
    """What a pass over one body found: warnings and the files it read (included snippets)."""

    raw: RawArticle
    site: Site | None
    warnings: list[BuildWarning] = field(default_factory=list)
    read: list[Path] = field(default_factory=list)
    depth: int = 0  # Inside how many included snippets.
    include_line: int | None = None  # Where the outermost include is (for what it holds).

    def line(self, offset: int, text: str) -> int | None:
        """The file's line of `offset` in `text` (the include's line for included text)."""
        if self.depth:
            return self.include_line
        return self.raw.body_line + text.count("\n", 0, offset)

    def warn(self, message: str, offset: int, text: str) -> None:
        self.warnings.append(BuildWarning(message, self.raw.path, self.line(offset, text)))


# --- Hugo ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One shortcode as written: its name, arguments, inner text (paired ones) and delimiter."""

    name: str
    positional: tuple[str, ...]
    named: dict[str, str]
    inner: str | None
    markdown: bool  # {{% %}}: its inner text is Markdown.

    def arg(self, key: str, index: int | None = None, default: str = "") -> str:
        if key in self.named:
            return self.named[key]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return default


def parse_params(text: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """Hugo's shortcode arguments: `"quoted"`, `raw`, `key="value"`, `key=value`."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for match in _PARAM.finditer(text.strip().rstrip("/")):
        key, value = match.group(1), match.group(2)
        if value[:1] in "\"'`" and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
            if match.group(2)[:1] == '"':
                value = re.sub(r"\\(.)", r"\1", value)
        if key:
            named[key] = value
        else:
            positional.append(value)
    return tuple(positional), named


def expand_hugo(text: str, state: Expansion) -> str:
    """Every Hugo shortcode in `text` replaced by its Markdown."""
    out: list[str] = []
    position = 0
    while True:
        match = _HUGO.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position : match.start()])
        opening, escaped, closing, name = match.group(1, 2, 3, 4)
        args = match.group(5)
        if escaped:  # {{</* x */>}} shows the shortcode itself.
            out.append(
                "{{" + opening + " " + (closing + name + args).strip() + " " + match.group(7) + "}}"
            )
            position = match.end()
            continue
        if closing:
            state.warn(
                f"closing shortcode without an opening one removed: {{{{< /{name} >}}}}",
                match.start(),
                text,
            )
            position = match.end()
            continue
        self_closing = args.rstrip().endswith("/")
        end = None if self_closing else _closing(text, name, match.end())
        inner = text[match.end() : end[0]] if end else None
        positional, named = parse_params(args)
        call = Call(name, positional, named, inner, opening == "%")
        out.append(_hugo_call(call, state, match.start(), text))
        position = end[1] if end else match.end()


def _closing(text: str, name: str, start: int) -> tuple[int, int] | None:
    """Where the matching `{{< /name >}}` starts and ends (nested same-name pairs counted)."""
    depth = 0
    for match in _HUGO.finditer(text, start):
        if match.group(4) != name or match.group(2):
            continue
        if match.group(3):
            if depth == 0:
                return match.start(), match.end()
            depth -= 1
        elif not match.group(5).rstrip().endswith("/"):
            depth += 1
    return None


def _hugo_call(call: Call, state: Expansion, offset: int, text: str) -> str:
    handler = HUGO_SHORTCODES.get(call.name)
    if handler is not None:
        return handler(call, state, offset, text)
    if call.inner is not None:
        state.warn(
            f"unknown shortcode `{call.name}` removed (the text inside it kept)", offset, text
        )
        inner = expand_hugo(call.inner, state)
        return inner if call.markdown or _prose(inner) else fenced(inner, "")
    state.warn(f"unknown shortcode `{call.name}` removed", offset, text)
    return ""


def _prose(text: str) -> bool:
    """Whether a paired shortcode's inner text reads as Markdown prose rather than code/data."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return True
    code_like = sum(
        bool(re.match(r"^\s*([\w.\"'\[\]-]+\s*[=:]|[\[{}\]<]|- \w+:)", ln)) for ln in lines
    )
    return code_like * 2 < len(lines)


def fenced(code: str, language: str) -> str:
    """A fenced code block, its fence longer than any run of backticks inside."""
    runs = [len(r) for r in re.findall(r"`+", code)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    code = code.strip("\n")
    return f"\n\n{fence}{language}\n{code}\n{fence}\n\n"


def linked_title(kind: str, title: str, url: str) -> str:
    """An embed as words a reader can follow: "Video: Title (youtube.com)", linked."""
    host = re.sub(r"^www\.", "", re.sub(r"^https?://([^/]+).*$", r"\1", url))
    label = f"{_escape_md(title.strip())} ({host})" if title.strip() else host
    return f"[{kind}: {label}]({url})"


def _escape_md(text: str) -> str:
    return re.sub(r"([\[\]\\*_`<>])", r"\\\1", text)


def _figure(call: Call, state: Expansion, offset: int, text: str) -> str:
    src = call.arg("src", 0)
    if not src:
        state.warn(f"`{call.name}` without `src` removed", offset, text)
        return ""
    alt = call.arg("alt") or call.arg("title")
    caption = call.arg("caption") or call.arg("title")
    caption = re.sub(r"<[^>]+>", "", caption)
    title = ' "' + caption.replace('"', '\\"') + '"' if caption and call.name == "figure" else ""
    image = f"![{_escape_md(alt)}](<{src}>{title})"
    if call.arg("link"):
        image = f"[{image}](<{call.arg('link')}>)"
    return f"\n\n{image}\n\n" if call.name == "figure" else image


def _highlight(call: Call, state: Expansion, offset: int, text: str) -> str:
    if call.inner is None:
        state.warn("`highlight` without its closing shortcode removed", offset, text)
        return ""
    return fenced(call.inner, call.arg("lang", 0))


def _code_toggle(call: Call, state: Expansion, offset: int, text: str) -> str:
    """A configuration shown in TOML/YAML/JSON tabs: the TOML as written, named by its file."""
    if call.inner is None:
        return ""
    file = call.arg("file")
    label = (
        f"\n\n`{file}.toml`:\n"
        if file and "." not in file
        else (f"\n\n`{file}`:\n" if file else "")
    )
    return label + fenced(call.inner, call.arg("config") or "toml")


def _ref(call: Call, state: Expansion, offset: int, text: str) -> str:
    """The address of the page a `ref`/`relref` names (resolved to the article later)."""
    target = call.arg("path", 0)
    path, _, fragment = target.partition("#")
    site = state.site
    found = None
    if site is not None and path:
        found = content_file(site, path) if path.startswith("/") else None
        if found is None:
            local = (state.raw.path.parent / path).resolve()
            found = local if local.is_file() and local.is_relative_to(site.root) else None
        if found is None:
            found = content_file(site, path)
    elif not path and fragment:
        return "#" + fragment
    if site is None or found is None:
        state.warn(f"`{call.name}` to a page that is not found: {target}", offset, text)
        return ""
    address = page_path(site, found, _front_matter(found))
    return address + ("#" + fragment if fragment else "")


def _front_matter(path: Path) -> dict[str, Any]:
    try:
        return split_front_matter(decode(path.read_bytes(), path), path)[0]
    except (OSError, ValueError):
        return {}
    except Exception:  # noqa: BLE001 - another page's broken front matter is its own problem.
        return {}


def _video(kind: str, url_of: Callable[[Call], str]) -> Callable[[Call, Expansion, int, str], str]:
    def handler(call: Call, state: Expansion, offset: int, text: str) -> str:
        url = url_of(call)
        if not url:
            state.warn(f"`{call.name}` without an id removed", offset, text)
            return ""
        return linked_title(kind, call.arg("title"), url)

    return handler


def _youtube(call: Call) -> str:
    video = call.arg("id", 0)
    return f"https://www.youtube.com/watch?v={video}" if re.fullmatch(r"[\w-]+", video) else ""


def _vimeo(call: Call) -> str:
    video = call.arg("id", 0)
    return f"https://vimeo.com/{video}" if re.fullmatch(r"[\w-]+", video) else ""


def _post(call: Call) -> str:
    user, post = call.arg("user", 0), call.arg("id", 1)
    if not re.fullmatch(r"\w+", user) or not re.fullmatch(r"\d+", post):
        return ""
    return f"https://x.com/{user}/status/{post}"


def _gist(call: Call, state: Expansion, offset: int, text: str) -> str:
    user, gist, file = call.arg("user", 0), call.arg("id", 1), call.arg("file", 2)
    if not re.fullmatch(r"[\w-]+", user) or not re.fullmatch(r"[\w]+", gist):
        state.warn("`gist` without a user and id removed", offset, text)
        return ""
    name = f"{user}/{gist}" + (f" ({file})" if file else "")
    return linked_title("Gist", name, f"https://gist.github.com/{user}/{gist}")


def _tweet(call: Call, state: Expansion, offset: int, text: str) -> str:
    url = _post(call)
    if not url:
        state.warn(f"`{call.name}` without a user and id removed", offset, text)
        return ""
    return linked_title("Post", f"by @{call.arg('user', 0)}", url)


def _instagram(call: Call, state: Expansion, offset: int, text: str) -> str:
    post = call.arg("id", 0)
    if not re.fullmatch(r"[\w-]+", post):
        state.warn("`instagram` without an id removed", offset, text)
        return ""
    return linked_title("Instagram post", "", f"https://www.instagram.com/p/{post}/")


def _param(call: Call, state: Expansion, offset: int, text: str) -> str:
    """A page parameter (front matter, its `params`), else a site parameter (config `params`)."""
    key = call.arg("name", 0)
    meta = state.raw.meta
    params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
    site_params = (state.site.config.get("params") if state.site else None) or {}
    for table in (params, meta, site_params if isinstance(site_params, dict) else {}):
        value: Any = table
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return _escape_md(str(value))
    state.warn(f"`param` names no parameter: {key}", offset, text)
    return ""


def _details(call: Call, state: Expansion, offset: int, text: str) -> str:
    """Folded text, unfolded: print has no clicks. A titled box (see compose/callouts.py)."""
    summary = call.arg("summary") or "Details"
    inner = expand_hugo(call.inner or "", state)
    title = f'<p class="callout-title">{_escape_html(summary)}</p>'
    return f'\n\n<div class="callout callout-details">\n{title}\n\n{inner.strip()}\n\n</div>\n\n'


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _include(call: Call, state: Expansion, offset: int, text: str) -> str:
    """A snippet of the site's content (`include`, `readfile`), read only inside the site."""
    name = call.arg("path", 0) or call.arg("file")
    site = state.site
    found = None
    if site is not None and name:
        base = site.content_dir or site.root
        for candidate in ((base / name.lstrip("/")), (site.root / name.lstrip("/"))):
            candidate = candidate.resolve()
            if candidate.is_file() and candidate.is_relative_to(site.root):
                found = candidate
                break
    if found is None or state.depth >= MAX_INCLUDE_DEPTH:
        state.warn(f"`{call.name}` of a file not found in the site removed: {name}", offset, text)
        return ""
    try:
        body = split_front_matter(decode(found.read_bytes(), found), found)[1]
    except (OSError, ValueError):
        state.warn(f"`{call.name}` of an unreadable file removed: {name}", offset, text)
        return ""
    state.read.append(found)
    if state.depth == 0:
        state.include_line = state.line(offset, text)
    state.depth += 1
    try:
        expanded = expand_hugo(body, state)
    finally:
        state.depth -= 1
    return f"\n\n{expanded.strip()}\n\n"


def _comment(call: Call, state: Expansion, offset: int, text: str) -> str:
    return ""


HUGO_SHORTCODES: dict[str, Callable[[Call, Expansion, int, str], str]] = {
    "figure": _figure,
    "img": _figure,
    "highlight": _highlight,
    "code-toggle": _code_toggle,
    "ref": _ref,
    "relref": _ref,
    "youtube": _video("Video", _youtube),
    "vimeo": _video("Video", _vimeo),
    "tweet": _tweet,
    "x": _tweet,
    "twitter": _tweet,
    "gist": _gist,
    "instagram": _instagram,
    "param": _param,
    "details": _details,
    "include": _include,
    "readfile": _include,
    "comment": _comment,
}


# --- Zola ----------------------------------------------------------------------------------------


def expand_zola(text: str, state: Expansion) -> str:
    """Zola's shortcodes replaced by their Markdown (the same built-ins as Hugo's)."""
    out: list[str] = []
    position = 0
    while True:
        match = _ZOLA.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position : match.start()])
        body_form = match.group(6) is not None
        escaped = match.group(5) if body_form else match.group(1)
        name = match.group(6) if body_form else match.group(2)
        args = match.group(7) if body_form else match.group(3)
        position = match.end()
        if escaped:
            out.append(
                ("{%" if body_form else "{{") + f" {name}({args}) " + ("%}" if body_form else "}}")
            )
            continue
        inner = None
        if body_form:
            end = _ZOLA_END.search(text, match.end())
            if end is None:
                state.warn(f"shortcode `{name}` without `{{% end %}}` removed", match.start(), text)
                continue
            inner = text[match.end() : end.start()]
            position = end.end()
        named = {k: v for k, v in _zola_args(args).items()}
        call = Call(name, (), named, inner, True)
        if name == "gist" and "url" in named:
            out.append(linked_title("Gist", "", named["url"]))
        elif name == "streamable" and "id" in named:
            out.append(linked_title("Video", "", f"https://streamable.com/{named['id']}"))
        else:
            out.append(_hugo_call(call, state, match.start(), text))


def _zola_args(text: str) -> dict[str, str]:
    """`id="x", autoplay=true` → {"id": "x", "autoplay": "true"}."""
    found: dict[str, str] = {}
    for match in re.finditer(r'(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|`[^`]*`|[^,\s]+)', text):
        value = match.group(2)
        if value[:1] in "\"'`":
            value = value[1:-1]
        found[match.group(1)] = value
    return found
