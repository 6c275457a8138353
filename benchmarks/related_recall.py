"""Suggested reading, measured: recall@3 of the links between posts of a real blog.

    .venv/bin/python benchmarks/related_recall.py

Ground truth: a post that links in its text to an earlier post of the same corpus (by its web
address or Jekyll's `post_url`) names a related post. Each post is an issue of its own, in date
order, and gets suggestions from the posts before it, as the archive does
(masthead.archive.similar). recall@3 = linked earlier posts found among the top 3 suggestions,
divided by min(3, number of linked earlier posts), averaged over the posts that link; the plain
recall (divided by the number of linked posts) is printed too.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CORPORA = ROOT.parent / "shared" / "corpora"

from markdown_it import MarkdownIt  # noqa: E402

from masthead.archive.records import plain_text  # noqa: E402
from masthead.archive.similar import Similarity, Text  # noqa: E402
from masthead.sources.frontmatter import split_front_matter  # noqa: E402


class Post:
    """A post read as the archive reads an article: title, tags, body as plain text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = path.read_text(encoding="utf-8")
        self.meta, body, _ = split_front_matter(self.raw, path)
        self.title = str(self.meta.get("title", path.stem))
        self.date = str(self.meta.get("date", path.name[:10]))[:10]
        tags = self.meta.get("tags") or self.meta.get("category") or []
        self.tags = [str(t) for t in (tags if isinstance(tags, list) else [tags])]
        body = re.sub(r"{%.*?%}", " ", body)
        self.text = plain_text(MarkdownIt().render(body))


def _rust_keys(post: Post) -> set[str]:
    meta_path = str(post.meta.get("path", "")).strip("/")
    keys = {meta_path, meta_path + ".html"}
    keys.update(str(a).strip("/") for a in post.meta.get("aliases", []))
    if not post.meta.get("path"):  # Older posts: the date and name of the file.
        keys.add(f"{post.date.replace('-', '/')}/{post.path.stem}.html")
    return {k for k in keys if k}


def _rust_links(text: str) -> set[str]:
    return {m.strip("/") for m in re.findall(r"blog\.rust-lang\.org/([^)\s\"'#]+)", text)}


def _jekyll_keys(post: Post) -> set[str]:
    path = post.path
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.+)\.(markdown|md)$", path.name)
    if not match:
        return set()
    y, m, d, slug, _ = match.groups()
    return {f"news/{y}/{m}/{d}/{slug}", f"post_url:{y}-{m}-{d}-{slug}"}


def _jekyll_links(text: str) -> set[str]:
    found = {m.strip("/") for m in re.findall(r"(?:jekyllrb\.com)?/(news/\d{4}/[^)\s\"'#]+)", text)}
    found |= {f"post_url:{m}" for m in re.findall(r"{%\s*post_url\s+(\S+)\s*%}", text)}
    return found


def measure(name: str, folder: Path, keys, links) -> dict[str, float]:  # type: ignore[no-untyped-def]
    files = [p for p in folder.iterdir() if p.suffix in (".md", ".markdown")]
    files += [p / "index.md" for p in folder.iterdir() if (p / "index.md").is_file()]
    articles = sorted((Post(p) for p in files), key=lambda a: (a.date, a.path.name))
    by_key = {}
    for i, article in enumerate(articles):
        for key in keys(article):
            by_key[key] = i
    started = time.perf_counter()
    texts = [Text(" ".join([a.title, *a.tags]), a.text) for a in articles]
    similarity = Similarity(texts)
    scores, plain, cases = [], [], 0
    for i, article in enumerate(articles):
        linked = {by_key[k] for k in links(article.raw) if k in by_key and by_key[k] < i}
        if not linked:
            continue
        cases += 1
        allowed = np.zeros(len(articles))
        allowed[:i] = 1
        top = similarity.best(i, allowed, 3)
        hits = len(linked & set(top))
        if VERBOSE:
            print(
                article.title,
                "->",
                [articles[j].title for j in linked],
                "got",
                [articles[j].title for j in top],
            )
        scores.append(hits / min(3, len(linked)))
        plain.append(hits / len(linked))
    elapsed = time.perf_counter() - started
    return {
        "posts": len(articles),
        "linking": cases,
        "recall@3": float(np.mean(scores)),
        "plain": float(np.mean(plain)),
        "seconds": elapsed,
    }


VERBOSE = "-v" in sys.argv


def main() -> None:
    rows = [
        measure("rust-blog-2018", CORPORA / "rust-blog-2018", _rust_keys, _rust_links),
        measure("jekyll-news", CORPORA / "jekyll-news" / "_posts", _jekyll_keys, _jekyll_links),
    ]
    print("| corpus | posts | posts that link to earlier ones | recall@3 | plain recall | time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, row in zip(("rust-blog-2018", "jekyll-news"), rows, strict=True):
        print(
            f"| {name} | {row['posts']} | {row['linking']} | {row['recall@3']:.2f} | "
            f"{row['plain']:.2f} | {row['seconds']:.2f} s |"
        )
    cases = sum(r["linking"] for r in rows)
    pooled = sum(r["recall@3"] * r["linking"] for r in rows) / cases
    print(f"| both, pooled | | {cases} | **{pooled:.2f}** | | |")


if __name__ == "__main__":
    main()
