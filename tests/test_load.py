"""Loading: manifests, front matter, zero-config folders, and the model they produce."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from masthead.build import prepare
from masthead.errors import InputError
from masthead.sources.folder import load
from masthead.sources.frontmatter import split_front_matter


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_issue(root: Path, manifest: str, articles: dict[str, str]) -> Path:
    write(root / "issue.toml", manifest)
    for name, text in articles.items():
        write(root / name, text)
    return root


MANIFEST = """
[publication]
name = "The Test Gazette"
language = "en-GB"

[issue]
volume = 2
number = 5
date = 2026-03-01
title = "Spring"
cover_lines = ["One", "Two"]

[[sections]]
title = "News"
articles = ["b.md", "a.md"]

[[sections]]
title = "Views"
articles = ["c.md"]
"""


def test_manifest_gives_sections_in_order_and_issue_identity(tmp_path: Path) -> None:
    make_issue(
        tmp_path,
        MANIFEST,
        {
            "a.md": "---\ntitle: Alpha\n---\nText a.\n",
            "b.md": '+++\ntitle = "Beta"\nauthors = ["Bea"]\n+++\nText b.\n',
            "c.md": "# Gamma\n\nText c.\n",
        },
    )
    issue, warnings = prepare(tmp_path)
    assert [s.title for s in issue.sections] == ["News", "Views"]
    assert [a.title for a in issue.articles] == ["Beta", "Alpha", "Gamma"]
    assert issue.articles[0].authors == ("Bea",)
    assert issue.publication.language == "en-GB"
    assert (issue.info.volume, issue.info.number) == (2, 5)
    assert issue.info.date == dt.date(2026, 3, 1)
    assert issue.output_stem == "the-test-gazette-vol-2-no-5"
    assert "Gamma" not in issue.articles[2].body_html  # The heading became the title.
    assert warnings == []


def test_identifier_is_stable_and_differs_per_issue(tmp_path: Path) -> None:
    arts = {"a.md": "# A\n", "b.md": "# B\n", "c.md": "# C\n"}
    first = prepare(make_issue(tmp_path / "one", MANIFEST, arts))[0].identifier
    again = prepare(make_issue(tmp_path / "two", MANIFEST, arts))[0].identifier
    other = prepare(
        make_issue(tmp_path / "three", MANIFEST.replace("number = 5", "number = 6"), arts)
    )[0].identifier
    assert first == again != other
    assert first.startswith("urn:uuid:")


def test_publication_toml_is_inherited_and_overridden(tmp_path: Path) -> None:
    write(tmp_path / "publication.toml", 'name = "Shared Name"\ntagline = "Inherited"\n')
    make_issue(
        tmp_path / "no-1",
        '[publication]\ntagline = "Own"\n[issue]\nnumber = 1\n'
        '[[sections]]\ntitle = "S"\narticles = ["a.md"]\n',
        {"a.md": "# A\n"},
    )
    issue, _ = prepare(tmp_path / "no-1")
    assert issue.publication.name == "Shared Name"
    assert issue.publication.tagline == "Own"


@pytest.mark.parametrize(
    ("manifest", "key", "line"),
    [
        ('[issue]\nnumbr = 3\n[[sections]]\ntitle="S"\narticles=["a.md"]\n', "numbr", 2),
        (
            '[publication]\nname = "X"\ntagine = "oops"\n'
            '[[sections]]\ntitle="S"\narticles=["a.md"]\n',
            "tagine",
            3,
        ),
        ('[[sections]]\ntitle="S"\narticle=["a.md"]\n', "article", 3),
        ('[isue]\n[[sections]]\ntitle="S"\narticles=["a.md"]\n', "isue", 1),
    ],
)
def test_unknown_keys_are_errors_naming_key_and_line(
    tmp_path: Path, manifest: str, key: str, line: int
) -> None:
    make_issue(tmp_path, manifest, {"a.md": "# A\n"})
    with pytest.raises(InputError) as caught:
        load(tmp_path)
    assert f"`{key}`" in caught.value.message
    assert caught.value.line == line
    assert caught.value.path == tmp_path / "issue.toml"


def test_zero_config_orders_by_date_then_name_and_reads_bundles(tmp_path: Path) -> None:
    write(tmp_path / "zeta.md", "---\ntitle: Zeta\ndate: 2020-01-01\n---\nz\n")
    write(tmp_path / "alpha.md", "---\ntitle: Alpha\ndate: 2021-01-01\n---\na\n")
    write(tmp_path / "beta.markdown", "---\ntitle: Beta\ndate: 2021-01-01\n---\nb\n")
    write(
        tmp_path / "bundle" / "index.md",
        '+++\ntitle = "Bundle"\npath = "2019/05/04/x"\n+++\n![A dot](dot.gif)\n',
    )
    (tmp_path / "bundle" / "dot.gif").write_bytes(
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    write(tmp_path / "README.md", "# Not an article\n")
    issue, _ = prepare(tmp_path, title="Digest")
    assert [a.title for a in issue.articles] == ["Bundle", "Zeta", "Alpha", "Beta"]
    assert issue.info.title == "Digest"
    assert [s.title for s in issue.sections] == ["Digest"]
    bundle = issue.articles[0]
    assert bundle.date == dt.date(2019, 5, 4)
    assert [a.href for a in bundle.assets] == ["images/bundle-dot.gif"]


def test_zero_config_title_defaults_to_folder_name(tmp_path: Path) -> None:
    write(tmp_path / "posts" / "a.md", "# A\n")
    issue, _ = prepare(tmp_path / "posts")
    assert issue.info.title == "posts"


def test_front_matter_keys(tmp_path: Path) -> None:
    write(tmp_path / "pic.png", "")
    from PIL import Image

    Image.new("RGB", (40, 20)).save(tmp_path / "pic.png")
    write(
        tmp_path / "a.md",
        """---
title: The Title
subtitle: A dek
author: Solo Writer
date: 2024-02-29
tags: [one, two]
description: A summary
image: pic.png
image_alt: A black rectangle
image_caption: Caption words
image_credit: Photo Desk
related:
  - Another Title
  - {title: "Elsewhere", url: "https://example.org/x"}
  - {title: "Dead", url: "#"}
url: https://example.org/the-title
slug: custom-slug
colour: blue
---
Body.
""",
    )
    issue, warnings = prepare(tmp_path)
    article = issue.articles[0]
    assert article.id == "custom-slug"
    assert article.dek == "A dek"
    assert article.authors == ("Solo Writer",)
    assert article.date == dt.date(2024, 2, 29)
    assert article.tags == ("one", "two")
    assert article.summary == "A summary"
    assert article.lead_image is not None
    assert (article.lead_image.alt, article.lead_image.caption, article.lead_image.credit) == (
        "A black rectangle",
        "Caption words",
        "Photo Desk",
    )
    assert article.lead_image.asset.width == 40
    assert [(r.title, r.url) for r in article.related] == [
        ("Another Title", ""),
        ("Elsewhere", "https://example.org/x"),
        ("Dead", ""),
    ]
    assert article.extra == {"colour": "blue"}
    # The two related items that lead nowhere (no article, no usable address) are named.
    assert [str(w) for w in warnings] == [
        f"{tmp_path / 'a.md'}:12: related reading that leads nowhere (no article of this issue, "
        "no web address), printed as plain text: 'Another Title', 'Dead'"
    ]


def test_split_front_matter_reports_body_line() -> None:
    meta, body, line = split_front_matter("---\ntitle: x\n---\nHello\n", Path("x.md"))
    assert meta == {"title": "x"}
    assert body == "Hello\n"
    assert line == 4


def test_page_bundle_date_comes_from_its_folder_name(tmp_path: Path) -> None:
    write(tmp_path / "2026-03-05-bundle" / "index.md", "# Bundle\n")
    write(tmp_path / "2026-03-01-early.md", "# Early\n")
    write(tmp_path / "2026-03-10-late.md", "# Late\n")
    issue, _ = prepare(tmp_path)
    assert [a.title for a in issue.articles] == ["Early", "Bundle", "Late"]
    assert issue.date == dt.date(2026, 3, 10)
