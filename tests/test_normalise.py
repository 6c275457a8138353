"""Normalise: Markdown to clean (X)HTML, links that lead nowhere made plain, related matched."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from masthead.build import prepare


def build_folder(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return prepare(tmp_path)


def test_dead_links_become_text_and_body_is_well_formed_xhtml(tmp_path: Path) -> None:
    issue, warnings = build_folder(
        tmp_path,
        {
            "a.md": (
                "# A\n\nSee [nothing](#) and [empty]() and [real](https://example.org) and "
                "[missing anchor](#nowhere).\n\n## Part two\n\nBack to [part two](#part-two).\n\n"
                '<script>alert(1)</script><p onclick="x()">raw</p>\n\nText[^1].\n\n[^1]: A note.\n'
            )
        },
    )
    article = issue.articles[0]
    body = article.body_xhtml
    etree.fromstring(f"<div xmlns='http://www.w3.org/1999/xhtml'>{body}</div>")
    assert "nothing" in body and 'href="#"' not in body and "<a>empty" not in body
    assert 'href="https://example.org"' in body
    assert "script" not in body and "onclick" not in body
    assert 'id="a--part-two"' in body and 'href="#a--part-two"' in body
    assert "missing anchor" in body and 'href="#nowhere"' not in body
    assert any("missing anchor" in str(w) for w in warnings)
    assert 'role="doc-noteref"' in body


def test_headings_start_at_h2_and_never_skip(tmp_path: Path) -> None:
    issue, _ = build_folder(
        tmp_path, {"a.md": "---\ntitle: T\n---\n# One\n\n### Three\n\n##### Five\n\n## Two\n"}
    )
    body = issue.articles[0].body_html
    assert [tag for tag in ("<h2", "<h3", "<h4") if tag in body] == ["<h2", "<h3", "<h4"]
    assert "<h5" not in body and "<h1" not in body


def test_related_items_match_issue_articles_by_title_slug_or_url(tmp_path: Path) -> None:
    issue, _ = build_folder(
        tmp_path,
        {
            "one.md": "---\ntitle: The Night Ferry!\nurl: https://example.org/ferry/\n---\nx\n",
            "two.md": (
                "---\ntitle: Two\nrelated:\n  - the night ferry\n  - {title: Other, url: "
                "'https://example.org/ferry'}\n  - {title: By slug, url: ''}\n  - one\n"
                "  - {title: Away, url: 'https://away.example.com/'}\n  - Unknown\n---\ny\n"
            ),
        },
    )
    two = next(a for a in issue.articles if a.title == "Two")
    assert [(r.target, r.url) for r in two.related] == [
        ("one", ""),
        ("one", "https://example.org/ferry"),
        ("", ""),
        ("one", ""),
        ("", "https://away.example.com/"),
        ("", ""),
    ]


def test_links_between_article_files_point_inside_each_output(tmp_path: Path) -> None:
    issue, _ = build_folder(
        tmp_path,
        {
            "one.md": "# One\n\nSee [two](two.md) and [gone](gone.md).\n",
            "two.md": "# Two\n",
        },
    )
    one = next(a for a in issue.articles if a.title == "One")
    assert 'href="two.xhtml"' in one.body_xhtml
    assert 'href="#two"' in one.body_html
    assert "gone.md" not in one.body_html


def test_images_without_alt_text_are_warned_about(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (10, 10)).save(tmp_path / "dot.png")
    body = "# A\n\n![](dot.png)\n\n![A dot](dot.png)\n\n![Far](https://example.org/far.png)\n"
    issue, warnings = build_folder(tmp_path, {"a.md": body})
    assert issue.articles[0].missing_alt == 1
    # Each with the line to fix, as an editor's linter would say it.
    assert [str(w) for w in warnings] == [
        f"{tmp_path / 'a.md'}:3: image has no alt text: dot.png (describe it in ![…](…))",
        f"{tmp_path / 'a.md'}:7: remote image not included: https://example.org/far.png",
    ]


def test_sibling_headings_keep_the_same_level(tmp_path: Path) -> None:
    issue, _ = build_folder(
        tmp_path, {"a.md": "# T\n\n## One\n\ntext\n\n## Two\n\n### Two.a\n\n## Three\n"}
    )
    body = issue.articles[0].body_html
    levels = [int(tag[2]) for tag in __import__("re").findall(r"<h\d", body)]
    assert levels == [2, 2, 3, 2]
