"""Static-site folders built zero-config: Jekyll, Hugo and Zola sites written here (each built
once per module), their layout, paths, links, template tags, embeds and bylines."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from masthead.build import prepare
from masthead.cli import app
from masthead.compose.links import checked_url
from masthead.compose.people import people, sort_name
from masthead.editions.epub.package import file_as
from masthead.errors import InputError
from masthead.model import Issue
from masthead.sources.sites import find_site


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (1, 1), (180, 40, 30, 255)).save(out, "PNG")
    return out.getvalue()


# A 1×1 PNG (made by Pillow: images are decoded, and a broken one is not shipped).
PNG = _png()
runner = CliRunner()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def warned(warnings: list, fragment: str) -> list[str]:  # type: ignore[type-arg]
    return [str(w) for w in warnings if fragment in str(w)]


def body(issue: Issue, title: str) -> str:
    return next(a.body_xhtml for a in issue.articles if a.title == title)


# --- Jekyll ---------------------------------------------------------------------------------------

JEKYLL_CONFIG = """\
url: https://example.org
baseurl: /blog
repository: https://github.com/example/site
collections:
  posts:
    permalink: /news/:year/:month/:day/:title/
"""
JEKYLL_FIRST = """\
---
title: First post
date: 2016-03-24 12:00:00 -0700
author: Jane Doe, Executive Director
---

![A sticker](/img/sticker.png)

See [the repository]({{ site.repository }}) and [the second post]({% post_url 2016-03-25-second %}).
An [older post]({% link _posts/2015-01-01-old.md %}) is not in this folder.

{% raw %}Liquid shows `{{ page.title }}` literally.{% endraw %}

{% highlight ruby %}
puts "{{ not liquid }}"
{% endhighlight %}

{% assign numbers = "1|2" | split: "|" %}
{% for n in numbers %}
- Issue [#{{ n }}]({{ site.repository }}/issues/{{ n }})
{% endfor %}

{% include note.html %}
"""


@pytest.fixture(scope="module")
def jekyll(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Issue, list]:  # type: ignore[type-arg]
    site = tmp_path_factory.mktemp("jekyll") / "site"
    write(site / "_config.yml", JEKYLL_CONFIG)
    write(site / "img" / "sticker.png", PNG)
    write(site / "_posts" / "2016-03-24-first.md", JEKYLL_FIRST)
    write(
        site / "_posts" / "2016-03-25-second.markdown",
        "---\ntitle: Second post\ndate: 2016-03-25\nauthor: Rust Core Team\n---\n\nSecond.\n",
    )
    write(
        site / "_posts" / "2016-03-26-hidden.md",
        "---\ntitle: Hidden\npublished: false\n---\n\nNot yet.\n",
    )
    write(site / "_drafts" / "idea.md", "---\ntitle: Idea\n---\n\nA draft folder.\n")
    write(
        site / "_posts" / "2016-03-27-page.html",
        "---\ntitle: An HTML post\ndate: 2016-03-27\n---\n<p>Written in <em>HTML</em>, "
        "with enough words in it to count as an article's text for the importer.</p>\n"
        "<p>A second paragraph, so that it reads like a post.</p>\n"
        '<iframe src="https://player.vimeo.com/video/76979871" title="The talk"></iframe>\n',
    )
    issue, warnings = prepare(site / "_posts")
    return site, issue, warnings


def test_jekyll_posts_dates_with_time_and_offset_and_html_posts(jekyll) -> None:  # type: ignore[no-untyped-def]
    _, issue, _ = jekyll
    assert [a.title for a in issue.articles] == ["First post", "Second post", "An HTML post"]
    assert issue.articles[0].date == dt.date(2016, 3, 24)
    html_post = issue.articles[2]
    assert "<em>HTML</em>" in html_post.body_xhtml and "second paragraph" in html_post.body_xhtml
    # Its embedded player: a linked title, as in a Markdown post (not dropped as page furniture).
    assert '<a href="https://vimeo.com/76979871"' in html_post.body_xhtml
    assert "Video: The talk (vimeo.com)" in html_post.body_xhtml


def test_drafts_skipped_with_one_line(jekyll) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = jekyll
    assert "Hidden" not in [a.title for a in issue.articles]
    assert "Idea" not in [a.title for a in issue.articles]
    lines = warned(warnings, "draft")
    assert len(lines) == 1 and "2016-03-26-hidden.md (published: false)" in lines[0]


def test_site_absolute_image_from_the_site_root(jekyll) -> None:  # type: ignore[no-untyped-def]
    site, issue, _ = jekyll
    first = issue.articles[0]
    assert [a.source for a in first.assets] == [(site / "img" / "sticker.png").resolve()]
    assert f'src="{first.assets[0].href}"' in first.body_xhtml


def test_liquid_rendered_as_jekyll_does(jekyll) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = jekyll
    text = body(issue, "First post")
    assert 'href="https://github.com/example/site"' in text
    # post_url to a post of the issue: the article; link to one that is not: the site's URL.
    assert 'href="a-2016-03-25-second.xhtml"' in text or 'href="second.xhtml"' in text
    assert 'href="https://example.org/blog/news/2015/01/01/old/"' in text
    assert "<code>{{ page.title }}</code>" in text  # raw: kept literally
    # highlight: code (its lines and tokens in spans, compose/typeset.py)
    assert '<code class="language-ruby">' in text
    assert 'puts "{{ not liquid }}"' in re.sub(r"<[^>]+>", "", text)
    assert 'href="https://github.com/example/site/issues/2"' in text  # the loop ran
    outside_code = re.sub(r"<code.*?</code>", "", text, flags=re.S)
    assert "{%" not in outside_code and "{{" not in outside_code
    line = JEKYLL_FIRST.splitlines().index("{% include note.html %}") + 1
    assert warned(warnings, f"2016-03-24-first.md:{line}: unknown Liquid tag removed: {{% include")


def test_byline_role_and_organisation(jekyll) -> None:  # type: ignore[no-untyped-def]
    _, issue, _ = jekyll
    first, second = issue.articles[:2]
    assert first.authors == ("Jane Doe",) and first.author_roles == ("Executive Director",)
    assert second.authors == ("Rust Core Team",)
    assert file_as("Rust Core Team") == "Rust Core Team"


def test_jekyll_site_root_reads_its_posts(jekyll) -> None:  # type: ignore[no-untyped-def]
    site, issue, _ = jekyll
    from_root, _ = prepare(site)
    assert [a.title for a in from_root.articles] == [a.title for a in issue.articles]


# --- Hugo -----------------------------------------------------------------------------------------

HUGO_FIRST = """\
---
title: First
weight: 1
params:
  version: v1.2
---

{{< figure src="/images/pic.png" alt="A picture" caption="The caption" >}}

{{< highlight go >}}
fmt.Println("hi")
{{< /highlight >}}

Read [the second]({{< ref "second.md" >}}), [about us](/about/)
and [the second again](/posts/second/).

{{< youtube id="dQw4w9WgXcQ" title="A song" >}}
{{< vimeo 12345 >}}
{{< tweet user="gohugoio" id="1315233626070503424" >}}
{{< gist spf13 7896402 >}}

{{% notice %}}
Kept **Markdown** inside.
{{% /notice %}}

{{< chart 42 >}}

> [!NOTE]
> A note for readers.

<iframe src="https://www.youtube.com/embed/abc123" title="Embedded talk"></iframe>

[bad script](javascript:alert(1)) and [bad query](https://example.com/a?b=1##c).

Parameter: {{% param "version" %}}.
"""


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Issue, list]:  # type: ignore[type-arg]
    site = tmp_path_factory.mktemp("hugo") / "site"
    write(site / "hugo.toml", 'baseURL = "https://example.org/"\ntitle = "Example"\n')
    write(site / "static" / "images" / "pic.png", PNG)
    posts = site / "content" / "posts"
    write(
        posts / "_index.md",
        "---\ntitle: The posts\ndescription: Everything we wrote.\n---\n\nAn *introduction*.\n",
    )
    write(posts / "first.md", HUGO_FIRST)
    write(posts / "second.md", "---\ntitle: Second\nweight: 2\nslug: same\n---\n\nTwo.\n")
    write(posts / "third.md", "---\ntitle: Third\nweight: 3\nslug: same\n---\n\nThree.\n")
    write(posts / "draft.md", "---\ntitle: Draft\ndraft: true\n---\n\nNot yet.\n")
    write(
        posts / "bundle" / "index.md", "---\ntitle: Bundle\nweight: 4\n---\n\n![Photo](photo.png)\n"
    )
    write(posts / "bundle" / "photo.png", PNG)
    issue, warnings = prepare(posts)
    return site, issue, warnings


def test_index_is_the_sections_introduction_not_an_article(hugo) -> None:  # type: ignore[no-untyped-def]
    _, issue, _ = hugo
    assert [a.title for a in issue.articles] == ["First", "Second", "Third", "Bundle"]
    assert issue.info.title == "The posts" and issue.publication.name == "Example"
    section = issue.sections[0]
    assert section.description == "Everything we wrote."
    assert "<em>introduction</em>" in section.intro_xhtml


def test_page_bundle_image_beside_it(hugo) -> None:  # type: ignore[no-untyped-def]
    site, issue, _ = hugo
    bundle = next(a for a in issue.articles if a.title == "Bundle")
    assert bundle.assets[0].source == (site / "content/posts/bundle/photo.png").resolve()


def test_duplicate_slugs_made_unique_with_a_warning(hugo) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = hugo
    assert [a.id for a in issue.articles[1:3]] == ["same", "same-2"]
    assert warned(warnings, "third.md:4: duplicate slug 'same'")


def test_hugo_shortcodes(hugo) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = hugo
    text = body(issue, "First")
    assert '<figure class="figure"' in text and "<figcaption>The caption</figcaption>" in text
    assert '<code class="language-go">' in text
    assert "fmt.Println" in re.sub(r"<[^>]+>", "", text)
    assert 'href="same.xhtml">the second</a>' in text  # ref, resolved to the article
    assert 'href="same.xhtml">the second again</a>' in text  # a site path of an article
    assert 'href="https://example.org/about/">about us</a>' in text  # not in the issue
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">Video: A song (youtube.com)' in text
    assert 'href="https://vimeo.com/12345">Video: vimeo.com</a>' in text
    assert 'href="https://x.com/gohugoio/status/1315233626070503424"' in text
    assert 'href="https://gist.github.com/spf13/7896402"' in text
    assert "Kept <strong>Markdown</strong> inside." in text
    assert "Parameter: v1.2." in text
    assert "{{" not in text
    line = HUGO_FIRST.splitlines().index("{{< chart 42 >}}") + 1
    assert warned(warnings, f"first.md:{line}: unknown shortcode `chart` removed")
    assert warned(warnings, "unknown shortcode `notice` removed (the text inside it kept)")


def test_alerts_become_callouts_and_iframes_linked_titles(hugo) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = hugo
    text = body(issue, "First")
    assert re.search(
        r'<div class="callout callout-note" role="note" id="[^"]+"><p class="callout-title"[^>]*>'
        r"Note</p>",
        text,
    ), text
    assert "[!NOTE]" not in text
    assert re.search(
        r'href="https://www.youtube.com/watch\?v=abc123"[^>]*>Video: Embedded talk \(youtube.com\)',
        text,
    )
    assert not warned(warnings, "embedded")  # The link survived: nothing to say.


def test_bad_urls_become_plain_text_with_file_and_line(hugo) -> None:  # type: ignore[no-untyped-def]
    _, issue, warnings = hugo
    text = body(issue, "First")
    line = next(i for i, t in enumerate(HUGO_FIRST.splitlines(), 1) if "bad script" in t)
    assert "bad script and bad query" in re.sub(r"<[^>]+>", "", text)
    assert "javascript" not in text and "##" not in text
    assert warned(warnings, f"first.md:{line}: link to a javascript: address made plain text")
    assert warned(warnings, f"first.md:{line}: invalid address made plain text")


def test_content_tree_sections(hugo) -> None:  # type: ignore[no-untyped-def]
    site, _, _ = hugo
    write(site / "content" / "about.md", "---\ntitle: About\n---\n\nUs.\n")
    issue, _ = prepare(site / "content")
    assert [s.title for s in issue.sections] == ["content", "The posts"]
    assert [a.title for a in issue.sections[1].articles] == ["First", "Second", "Third", "Bundle"]


# --- Zola -----------------------------------------------------------------------------------------


def test_zola_shortcodes_and_internal_links(tmp_path: Path) -> None:
    site = tmp_path / "zola"
    write(site / "zola.toml", 'base_url = "https://zola.example"\ntitle = "Zola site"\n')
    blog = site / "content" / "blog"
    write(blog / "_index.md", '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n')
    write(
        blog / "one.md",
        '+++\ntitle = "One"\ndate = 2024-01-02\n+++\n\n'
        '{{ youtube(id="abc123") }}\n\n'
        '{% note(kind="info") %}\nInside a **note**.\n{% end %}\n\n'
        "[Two](@/blog/two.md) and [elsewhere](@/other/page.md).\n",
    )
    write(blog / "two.md", '+++\ntitle = "Two"\ndate = 2024-01-03\n+++\n\nTwo.\n')
    write(site / "content" / "other" / "page.md", '+++\ntitle = "Page"\n+++\n\nElsewhere.\n')
    issue, warnings = prepare(blog)
    text = body(issue, "One")
    assert 'href="https://www.youtube.com/watch?v=abc123">Video: youtube.com</a>' in text
    assert "Inside a <strong>note</strong>." in text
    assert 'href="two.xhtml">Two</a>' in text
    assert 'href="https://zola.example/other/page/">elsewhere</a>' in text
    assert "{{" not in text and "{%" not in text
    assert warned(warnings, "one.md:8: unknown shortcode `note` removed")


# --- Site root ------------------------------------------------------------------------------------


def test_site_root_is_never_looked_for_above_a_repository(tmp_path: Path) -> None:
    write(tmp_path / "_config.yml", "url: https://outside.example\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "posts" / "a.md", "# A\n\n![x](/img/x.png)\n")
    assert find_site(repo / "posts") is None
    with pytest.raises(InputError, match="image not found"):
        prepare(repo / "posts")


def test_site_absolute_paths_never_leave_the_site(tmp_path: Path) -> None:
    write(tmp_path / "secret.png", PNG)
    site = tmp_path / "site"
    write(site / "_config.yml", "url: https://example.org\n")
    write(site / "_posts" / "2020-01-01-a.md", "---\ntitle: A\n---\n\n![x](/../secret.png)\n")
    with pytest.raises(InputError, match="image not found in the site") as error:
        prepare(site / "_posts")
    assert error.value.line == 5


def test_site_root_option(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "pictures" / "x.png", PNG)
    write(site / "text" / "a.md", "# A\n\n![A dot](/pictures/x.png)\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["build", str(site / "text"), "--site-root", str(site), "-o", str(out), "-f", "epub"]
    )
    assert result.exit_code == 0, result.output
    assert list(out.glob("*.epub"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out2 = tmp_path / "out2"
    result = runner.invoke(
        app, ["build", str(site / "text"), "--site-root", str(elsewhere), "-o", str(out2)]
    )
    assert result.exit_code == 1
    assert "is not inside the site root" in result.stderr and "Traceback" not in result.output
    assert not out2.exists()


def test_shortcode_error_names_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "hugo.toml", 'baseURL = "https://example.org/"\n')
    write(site / "content" / "a.md", '---\ntitle: A\n---\n\n{{< figure src="/none.png" >}}\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(site / "content"), "-o", str(out)])
    assert result.exit_code == 1
    assert "a.md:5: image not found in the site: /none.png" in result.stderr
    assert not out.exists()


def test_headless_section_is_refused_with_its_reason(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "hugo.toml", 'baseURL = "https://example.org/"\n')
    snippets = site / "content" / "_common"
    write(snippets / "_index.md", "---\ncascade:\n  build:\n    render: never\n---\n")
    write(snippets / "note.md", "---\n# Do not remove front matter.\n---\n\nA snippet.\n")
    result = runner.invoke(app, ["check", str(snippets)])
    assert result.exit_code == 1
    assert "_index.md: is a headless section" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_included_snippet_with_comment_only_front_matter(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "hugo.toml", 'baseURL = "https://example.org/"\n')
    write(site / "content" / "_common" / "note.md", "---\n# Keep.\n---\n\nShared *words*.\n")
    write(
        site / "content" / "docs" / "a.md",
        '---\ntitle: A\n---\n\n{{% include "/_common/note.md" %}}\n\n{{% include "/../x.md" %}}\n',
    )
    write(tmp_path / "x.md", "Outside the site.\n")
    issue, warnings = prepare(site / "content" / "docs")
    text = issue.articles[0].body_xhtml
    assert "Shared <em>words</em>." in text and "Outside" not in text
    assert warned(warnings, "a.md:7: `include` of a file not found in the site removed: /../x.md")
    assert (site / "content" / "_common" / "note.md").resolve() in issue.read_files


# --- Units ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Jane Doe, Executive Director", [("Jane Doe", "Executive Director")]),
        ("Jane Doe (Editor)", [("Jane Doe", "Editor")]),
        ("Doe, Jane", [("Jane Doe", "")]),
        ("Ada Lovelace, Charles Babbage", [("Ada Lovelace", ""), ("Charles Babbage", "")]),
        ("Martin Luther King, Jr.", [("Martin Luther King, Jr.", "")]),
        ("The Rust Team", [("The Rust Team", "")]),
    ],
)
def test_bylines(byline: str, expected: list[tuple[str, str]]) -> None:
    assert people(byline) == expected


@pytest.mark.parametrize(
    ("name", "sort"),
    [
        ("Harriet Vance", "Vance, Harriet"),
        ("Martin Luther King Jr.", "King, Martin Luther, Jr."),
        ("The Rust Team", "The Rust Team"),
        ("Rust Core Team", "Rust Core Team"),
        ("Mozilla Foundation", "Mozilla Foundation"),
        ("parkr", "parkr"),
    ],
)
def test_sort_names(name: str, sort: str) -> None:
    assert sort_name(name) == sort


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://example.com/a?b=1", True),
        ("https://example.com/a?b=1##c", False),
        ("https://exa mple.com/", False),
        ("https://example.com/a b", False),
        ("http://", False),
        ("mailto:someone@example.com", True),
        ("https://example.com:99999/", False),
        ("https://de.wikipedia.org/wiki/Straße", True),
    ],
)
def test_urls_validated(url: str, valid: bool) -> None:
    assert (checked_url(url) is not None) == valid
