"""Static sites (Jekyll, Hugo, Zola, Eleventy, Astro): finding the site a zero-config folder
belongs to, reading its config (base URL, `{{ site.x }}` values), resolving site-absolute paths
("/img/x.png") inside it, and the address each page has on the published site."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from masthead.errors import InputError
from masthead.model import Site

# Config files that mark a site's root, with the generator each one names. `config.toml` is
# Hugo's or Zola's: its keys tell (Zola has `base_url`, Hugo `baseURL`).
CONFIG_FILES = (
    ("hugo.toml", "hugo"),
    ("hugo.yaml", "hugo"),
    ("hugo.yml", "hugo"),
    ("hugo.json", "hugo"),
    ("zola.toml", "zola"),
    ("_config.yml", "jekyll"),
    ("_config.yaml", "jekyll"),
    ("config.toml", ""),
    ("config.yaml", "hugo"),
    ("eleventy.config.js", "eleventy"),
    ("eleventy.config.mjs", "eleventy"),
    (".eleventy.js", "eleventy"),
    ("astro.config.mjs", "astro"),
    ("astro.config.ts", "astro"),
)
# Folders a site serves as-is from its root, by generator (where "/img/x.png" lives).
STATIC_DIRS = ("static", "assets", "public")
# A folder with only asset folders (no config) is a site's root only when the folder being built
# is inside one of these: without a config, that is what says "this is a site".
CONTENT_DIRS = ("content", "_posts", "posts", "src", "docs", "pages")
# How far up a site's root is looked for: never above the folder holding `.git` (a repository
# holds at most one site), the home folder, or this many levels.
MAX_LEVELS = 5


def find_site(folder: Path, explicit: Path | None = None) -> Site | None:
    """The site `folder` belongs to: `explicit` (--site-root), else the nearest folder above it
    holding a site config, or asset folders; None when it belongs to none."""
    folder = folder.resolve()
    if explicit is not None:
        root = Path(explicit).resolve()
        if not root.is_dir():
            raise InputError("site root is not a folder", root, hint="give the site's top folder")
        if not folder.is_relative_to(root):
            raise InputError(
                f"is not inside the site root {root}",
                folder,
                hint="give a --site-root that holds the folder being built",
            )
        return read_site(root)
    home = Path.home().resolve()
    candidate: Path | None = folder
    for _ in range(MAX_LEVELS):
        if candidate is None:
            break
        if any((candidate / name).is_file() for name, _ in CONFIG_FILES):
            return read_site(candidate)
        if any((candidate / name).is_dir() for name in STATIC_DIRS) and any(
            folder.is_relative_to(candidate / name) for name in CONTENT_DIRS
        ):
            return read_site(candidate)
        if (candidate / ".git").exists() or candidate in (home, candidate.parent):
            break
        candidate = candidate.parent
    return None


def read_site(root: Path) -> Site:
    """A site's settings from its config file (the first of CONFIG_FILES it holds)."""
    config: dict[str, Any] = {}
    generator = ""
    config_file = None
    for name, kind in CONFIG_FILES:
        if (root / name).is_file():
            config_file = root / name
            generator = kind
            config = _read_config(config_file)
            break
    if generator == "" and config_file is not None:
        generator = "zola" if "base_url" in config else "hugo"
    if generator == "" and (root / "_posts").is_dir():
        generator = "jekyll"
    keys = {k.lower(): v for k, v in config.items() if isinstance(k, str)}
    base_url, base_path = "", ""
    if generator == "jekyll":
        base_url = _text(keys.get("url"))
        base_path = "/" + _text(keys.get("baseurl")).strip("/") if keys.get("baseurl") else ""
    elif generator == "astro" and config_file is not None:
        found = re.search(r"\bsite\s*:\s*['\"]([^'\"]+)", _read_text(config_file))
        base_url = found.group(1) if found else ""
    else:
        base_url = _text(keys.get("baseurl") or keys.get("base_url"))
    if not re.match(r"https?://[^/\s]+", base_url):
        base_url = ""  # A relative or placeholder base says nothing about where pages live.
    base_url = base_url.rstrip("/")
    if generator == "hugo" and not base_path:
        # Hugo's baseURL may carry a path ("https://example.org/docs/"): pages live under it.
        match = re.match(r"https?://[^/]+(/.*)", base_url)
        if match and match.group(1).strip("/"):
            base_path = "/" + match.group(1).strip("/")
            base_url = base_url[: -len(match.group(1))]
    static = [root / name for name in STATIC_DIRS if (root / name).is_dir()]
    static.append(root)  # Jekyll and Eleventy serve the root itself ("/img/x.png" → img/x.png).
    return Site(
        root=root,
        generator=generator,
        base_url=base_url,
        base_path=base_path,
        static_dirs=tuple(static),
        content_dir=_content_dir(root, generator, config),
        config_file=config_file,
        config=config,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the site's config ({exc})", path) from exc


def _read_config(path: Path) -> dict[str, Any]:
    """The config's keys; scripts (.js/.mjs/.ts) are not run, so give nothing."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yml", ".yaml", ".json"):
        return {}
    text = _read_text(path)
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        raise InputError(
            f"the site's config is not valid TOML: {re.sub(r' [(]at line.*', '', str(exc))}",
            path,
            int(match.group(1)) if match else None,
            "fix it, or give --site-root another folder",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"the site's config is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            path,
            mark.line + 1 if mark is not None else None,
            "fix it, or give --site-root another folder",
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InputError(f"the site's config cannot be read: {exc}", path) from exc
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _content_dir(root: Path, generator: str, config: dict[str, Any]) -> Path | None:
    """Hugo's and Zola's `content/` (Hugo: as `contentDir` or a module mount says)."""
    if generator not in ("hugo", "zola", ""):
        return None
    source = "content"
    if generator == "hugo":
        source = _text(config.get("contentDir")) or source
        mounts = (config.get("module") or {}).get("mounts") or []
        for mount in mounts if isinstance(mounts, list) else []:
            if isinstance(mount, dict) and mount.get("target") == "content" and mount.get("source"):
                source = str(mount["source"])
                break
    found = (root / source).resolve()
    return found if found.is_dir() and found.is_relative_to(root) else None


def inside(site: Site, path: Path) -> bool:
    """Whether `path` (resolved, so through symlinks) lies inside the site's root."""
    return path.resolve().is_relative_to(site.root)


def static_file(site: Site, url_path: str) -> Path | None:
    """The file a site-absolute path ("/img/x.png") names, inside the site; None if none."""
    relative = url_path.lstrip("/")
    if site.base_path and ("/" + relative).startswith(site.base_path + "/"):
        relative = relative[len(site.base_path) :].lstrip("/")
    if not relative or "\x00" in relative:
        return None
    for folder in site.static_dirs:
        candidate = (folder / relative).resolve()
        if candidate.is_file() and candidate.is_relative_to(site.root):
            return candidate
    return None


def content_file(site: Site, reference: str) -> Path | None:
    """The page a Hugo `ref`/Zola `@/` reference names ("/blog/post.md", "blog/post"), in the
    content folder; None when there is none."""
    base = site.content_dir or site.root
    relative = reference.strip().strip("/")
    if not relative:
        return None
    candidates = [relative]
    if not relative.endswith((".md", ".markdown", ".html")):
        candidates += [f"{relative}.md", f"{relative}/index.md", f"{relative}/_index.md"]
    for name in candidates:
        path = (base / name).resolve()
        if path.is_file() and path.is_relative_to(site.root):
            return path
    return None


def page_path(site: Site, path: Path, meta: dict[str, Any]) -> str:
    """The path a page has on the published site, like "/host-and-deploy/host-on-netlify/"."""
    meta_url = meta.get("url") if site.generator == "hugo" else meta.get("path")
    if isinstance(meta.get("permalink"), str):
        meta_url = meta["permalink"]
    if isinstance(meta_url, str) and meta_url.startswith("/"):
        return site.base_path + _slashed(meta_url)
    path = path.resolve()
    if site.generator == "jekyll":
        return site.base_path + _jekyll_path(site, path, meta)
    base = site.content_dir or site.root
    try:
        parts = list(path.relative_to(base).parts)
    except ValueError:
        parts = [path.name]
    name = Path(parts.pop()).stem
    if name not in ("index", "_index"):
        parts.append(name)
    slug = meta.get("slug")
    if isinstance(slug, str) and slug.strip() and parts and name != "_index":
        parts[-1] = slug.strip()
    return site.base_path + _slashed("/".join(parts))


def _slashed(path: str) -> str:
    path = "/" + path.strip("/")
    if path == "/" or re.search(r"\.\w+$", path):
        return path
    return path + "/"


# Jekyll's built-in permalink styles.
_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")


def _jekyll_path(site: Site, path: Path, meta: dict[str, Any]) -> str:
    """A Jekyll document's permalink, from its collection's pattern (or the site's)."""
    try:
        relative = path.relative_to(site.root)
    except ValueError:
        relative = Path(path.name)
    first = relative.parts[0] if len(relative.parts) > 1 else ""
    collection = first[1:] if first.startswith("_") else ""
    collections = site.config.get("collections")
    pattern = site.config.get("permalink") if isinstance(site.config.get("permalink"), str) else ""
    if isinstance(collections, dict) and isinstance(collections.get(collection), dict):
        pattern = collections[collection].get("permalink") or pattern
    if not collection:
        # A page outside collections keeps its own path.
        return _slashed(str(relative.with_suffix(".html")).removesuffix("index.html"))
    if not pattern:
        pattern = "date" if collection == "posts" else "/:collection/:path:output_ext"
    pattern = _JEKYLL_STYLES.get(str(pattern), str(pattern))
    stem = path.stem
    match = _POST_NAME.match(stem)
    year = month = day = ""
    if match:
        year, month, day = match.group(1), f"{int(match.group(2)):02}", f"{int(match.group(3)):02}"
        stem = match.group(4)
    date = str(meta.get("date") or "")
    found = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", date)
    if found:
        year, month, day = found.group(1), f"{int(found.group(2)):02}", f"{int(found.group(3)):02}"
    categories = meta.get("categories") or meta.get("category") or []
    if isinstance(categories, str):
        categories = categories.split()
    title = str(meta.get("slug") or stem)
    values = {
        "collection": collection,
        "path": str(Path(*relative.parts[1:]).with_suffix("")),
        "name": stem,
        "title": title,
        "slug": title,
        "year": year,
        "month": month,
        "i_month": month.lstrip("0"),
        "day": day,
        "i_day": day.lstrip("0"),
        "categories": "/".join(str(c).lower() for c in categories),
        "output_ext": ".html",
    }
    result = re.sub(
        r":(\w+)",
        lambda m: values.get(m.group(1), m.group(0)),
        pattern.replace(":output_ext", ".html"),
    )
    return _slashed(re.sub(r"/+", "/", result))


def site_url(site: Site, path: str) -> str:
    """The published address of a site path ("/docs/x/" → "https://example.org/docs/x/"); ""
    when the site names no base URL."""
    return f"{site.base_url}{path}" if site.base_url else ""
