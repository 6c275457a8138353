"""Languages: tags checked with their line, per-article language and direction, labels from the
catalogues (and a publication's own), transliterated names, outputs that would collide, and
missing glyphs folded into one warning per font and script."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from masthead.batch import build_many
from masthead.build import build, prepare
from masthead.cli import app
from masthead.errors import InputError
from masthead.language import check_tag, direction, dominant_language
from masthead.model import IssueInfo, Publication, output_stem
from masthead.render.documents import render_epub, render_pdf
from masthead.render.i18n import Labels, locale_dir
from masthead.render.scripts import isolate_latin
from masthead.settings import LABELS
from masthead.text import count_words, slugify

runner = CliRunner()
REQUIRED = ["fr", "de", "es", "pt", "it", "nl", "ar", "fa", "he", "ja", "zh_Hans", "zh_Hant"]
REQUIRED += ["ko", "ru", "uk", "tr"]
ARABIC_ARTICLE = (
    "---\ntitle: القمة التعاونية\nlanguage: ar\nauthors: [سارة]\ndate: 2026-03-01\n---\n\n"
    "يتبع مشروع Node.js نموذجًا لاتخاذ القرارات، راجع README.md في المستودع.\n\n"
    "```\nnpm install\n```\n"
)
ENGLISH_ARTICLE = "---\ntitle: Night Ferry\nauthors: [Ada Vance]\n---\n\nThe ferry left at nine.\n"


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (
            folder / name.replace("__", "/").replace("_md", ".md").replace("_toml", ".toml")
        ).write_text(text, encoding="utf-8")
    return folder


# ── Tags ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("tag", ["en", "en-GB", "pt-br", "zh-Hant-TW", "ar", "fa-IR", "sr-Latn"])
def test_valid_tags_pass(tag: str) -> None:
    assert check_tag(f" {tag} ") == tag


@pytest.mark.parametrize("tag", ["english", "en_US", "xx", "fr-", "123", "", "root"])
def test_invalid_tags_fail(tag: str) -> None:
    with pytest.raises(ValueError):
        check_tag(tag)


def test_direction_of_tags() -> None:
    assert [direction(t) for t in ("ar", "fa", "he", "ur", "ar-EG")] == ["rtl"] * 5
    assert [direction(t) for t in ("en", "ja", "zh-TW", "ta", "uk")] == ["ltr"] * 5


def test_invalid_publication_language_names_key_and_line(tmp_path: Path) -> None:
    pub = write(tmp_path / "pub", publication_toml='name = "Gazette"\n\nlanguage = "english"\n')
    issue = write(
        pub / "no-1",
        issue_toml='[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md"]\n',
        a_md=ENGLISH_ARTICLE,
    )
    result = runner.invoke(app, ["check", str(issue)])
    assert result.exit_code == 1
    assert "publication.toml:3" in result.output
    assert "`language`" in result.output and "BCP 47" in result.output
    assert "Traceback" not in result.output


def test_invalid_issue_language_points_at_the_issue_table(tmp_path: Path) -> None:
    manifest = (
        '[publication]\nname = "Gazette"\nlanguage = "en"\n\n[issue]\nnumber = 1\n'
        'language = "en_US"\n\n[[sections]]\ntitle = "S"\narticles = ["a.md"]\n'
    )
    issue = write(tmp_path / "no-1", issue_toml=manifest, a_md=ENGLISH_ARTICLE)
    with pytest.raises(InputError) as caught:
        prepare(issue)
    assert caught.value.line == 7
    assert "`language`" in caught.value.message and "'-'" in caught.value.message


def test_invalid_article_language_names_file_and_line(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "posts", a_md="---\ntitle: A\ndate: 2026-01-01\nlang: klingon\n---\nx\n"
    )
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 1
    assert "a.md:4" in result.output and "`lang`" in result.output


def test_invalid_language_option_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "posts", a_md=ENGLISH_ARTICLE)
    result = runner.invoke(app, ["build", str(folder), "--language", "en_GB", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "--language" in result.output
    assert not list(tmp_path.glob("*.epub"))


# ── Choosing the language ─────────────────────────────────────────────────────────────────────


def test_dominant_script_picks_a_language() -> None:
    assert dominant_language(["これは日本語の文章です。Node.js を使います。"]) == (
        "ja",
        "Japanese (kana and kanji)",
    )
    assert dominant_language(["این یک متن فارسی است که کاربران می‌خوانند"])[0] == "fa"  # type: ignore[index]
    assert dominant_language(["هذا نص عربي يقرؤه الكثير من الناس في كل مكان"])[0] == "ar"  # type: ignore[index]
    assert dominant_language(["這是一個關於時間的說明"])[0] == "zh-Hant"  # type: ignore[index]
    assert dominant_language(["这是一个关于时间的说明"])[0] == "zh-Hans"  # type: ignore[index]
    # Latin script: which language cannot be told, and links and code do not count.
    assert dominant_language(["An English text with [a link](https://例え.jp/日本語)."]) is None


def test_language_option_wins_and_no_note(tmp_path: Path) -> None:
    folder = write(tmp_path / "posts", a_md=ARABIC_ARTICLE.replace("language: ar\n", ""))
    issue, warnings = prepare(folder, language="fa")
    assert issue.language == "fa"
    assert not [w for w in warnings if "language" in w.message]


def test_guessed_language_is_reported_once(tmp_path: Path) -> None:
    folder = write(tmp_path / "posts", a_md=ARABIC_ARTICLE.replace("language: ar\n", ""))
    issue, warnings = prepare(folder)
    assert issue.language == "ar"
    notes = [w for w in warnings if "language not set" in w.message]
    assert len(notes) == 1 and "'ar' chosen" in notes[0].message


def test_a_language_in_the_settings_is_never_second_guessed(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "posts",
        a_md=ARABIC_ARTICLE.replace("language: ar\n", ""),
        publication_toml='name = "Gazette"\nlanguage = "en"\n',
    )
    issue, warnings = prepare(folder)
    assert issue.language == "en"
    assert not [w for w in warnings if "language not set" in w.message]


# ── One article in its own language and direction ─────────────────────────────────────────────


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = write(
        tmp_path_factory.mktemp("mixed") / "issue",
        publication_toml='name = "Gazette"\nlanguage = "en"\n',
        a_md=ENGLISH_ARTICLE,
        b_md=ARABIC_ARTICLE,
    )
    issue, _ = prepare(folder)
    return issue, render_epub(issue), render_pdf(issue, "A4")


def test_epub_article_in_its_own_language_and_direction(mixed) -> None:  # type: ignore[no-untyped-def]
    _, epub, _ = mixed
    docs = {d.file_name: d.content for d in epub.documents}
    arabic, english = docs["b.xhtml"], docs["a.xhtml"]
    assert 'lang="ar" xml:lang="ar" dir="rtl"' in arabic
    assert '<body dir="rtl">' in arabic
    assert 'lang="en" xml:lang="en">' in english
    # The issue's own words keep the issue's language inside the Arabic article.
    assert '<span lang="en" dir="ltr">By</span>' in arabic
    # Latin names isolated, code left to right.
    assert "<bdi>Node.js</bdi>" in arabic and "<bdi>README.md</bdi>" in arabic
    # The code's lines are spans of their own (compose/typeset.py), inside the ltr code.
    assert '<pre dir="ltr"' in arabic
    assert re.search(r'<code dir="ltr">(<span[^>]*>)*npm install', arabic)
    assert "<bdi>" not in english
    assert epub.direction == "ltr"  # The issue turns its pages left to right.


def test_pdf_article_in_its_own_language_and_direction(mixed) -> None:  # type: ignore[no-untyped-def]
    _, _, pdf = mixed
    articles = dict(re.findall(r'<article class="[^"]*" id="(\w+)"([^>]*)>', pdf.html))
    assert articles["a"] == ""
    assert 'lang="ar" dir="rtl"' in articles["b"]
    assert '<html lang="en">' in pdf.html
    # The contents entry of the Arabic article reads right to left too.
    assert re.search(r'<li class="contents-entry" lang="ar" dir="rtl">', pdf.html)
    # No drop cap for Arabic script: a first letter alone loses its joined form.
    body = pdf.html.split('id="b"', 1)[1]
    assert "data-drop-cap" not in body.split("</article>", 1)[0]


def test_isolate_latin_leaves_markup_code_and_entities_alone() -> None:
    html = (
        '<p>مشروع Node.js و <a href="https://x.org/a-b">Consensus Seeking</a> AT&amp;T '
        "<code>nodejs/node</code>.</p>"
    )
    out = isolate_latin(html)
    assert '<a href="https://x.org/a-b"><bdi>Consensus Seeking</bdi></a>' in out
    assert "<bdi>Node.js</bdi> و" in out
    assert '<code dir="ltr">nodejs/node</code>' in out
    assert "&amp;" in out and "<bdi>amp</bdi>" not in out


# ── Labels ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", REQUIRED)
def test_every_label_is_translated(name: str) -> None:
    po_file = locale_dir() / name / "LC_MESSAGES" / "masthead.po"
    with po_file.open("rb") as file:
        catalog = read_po(file)
    for key, msgid in LABELS.items():
        message = catalog.get(msgid)
        assert message is not None and message.string and not message.fuzzy, (name, key)
        wanted = sorted(re.findall(r"%\((\w+)\)s", msgid))
        assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == wanted, (name, key)


def test_catalogues_follow_the_tag() -> None:
    assert Labels("pt-BR").label("contents") == "Nesta edição"
    assert Labels("zh-TW").label("contents_head") == "目錄"
    assert Labels("zh-CN").label("contents_head") == "目录"
    assert Labels("fa").label("min_read", minutes="۳") == "زمان مطالعه: ۳ دقیقه"
    assert Labels("x-klingon").label("contents") == "In this issue"


def test_publication_labels_override_the_catalogue(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "posts",
        a_md=ENGLISH_ARTICLE,
        publication_toml='name = "Gazette"\nlanguage = "fr"\n[labels]\ncontents = "Au sommaire"\n',
    )
    issue, _ = prepare(folder)
    contents = {d.file_name: d.content for d in render_epub(issue).documents}["contents.xhtml"]
    assert ">Au sommaire</h1>" in contents
    assert "Par Ada Vance" in contents  # The others still from the French catalogue.


def test_label_override_must_keep_its_placeholders(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "posts",
        a_md=ENGLISH_ARTICLE,
        publication_toml='name = "Gazette"\n[labels]\n\nmin_read = "short read"\n',
    )
    with pytest.raises(InputError) as caught:
        prepare(folder)
    assert caught.value.line == 4 and "%(minutes)s" in caught.value.message


# ── Names ─────────────────────────────────────────────────────────────────────────────────────


def test_non_latin_names_are_transliterated() -> None:
    assert slugify("Новости") == "novosti"
    assert slugify("Café crème") == "cafe-creme"
    assert slugify("東京") == "dongjing"
    stem = output_stem(Publication(name="Новости"), IssueInfo(title="Новости", slug="no-1"))
    assert stem == "novosti-no-1"


def test_cjk_reading_time_counts_characters() -> None:
    assert count_words("これは日本語の文章です") == 6  # 11 characters, about 6 words.
    assert count_words("three English words") == 3


def _gazette(root: Path, name: str, number: int = 1) -> Path:
    pub = write(root, publication_toml=f'name = "{name}"\nlanguage = "ru"\n')
    return write(
        pub / f"no-{number}",
        issue_toml=f'[issue]\nnumber = {number}\n[[sections]]\ntitle = "S"\narticles = ["a.md"]\n',
        a_md="---\ntitle: Статья\n---\n\nТекст.\n",
    )


def test_two_issues_writing_one_file_fail_before_anything_is_written(tmp_path: Path) -> None:
    one = _gazette(tmp_path / "a", "Новости")
    two = _gazette(tmp_path / "b", "Новости")
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        build_many([one, two], out_dir=out, formats=("epub",))
    assert "novosti-no-1" in caught.value.message and caught.value.path == two
    assert not out.exists()
    result = runner.invoke(app, ["build", str(one), str(two), "-o", str(out), "-f", "epub"])
    assert result.exit_code == 1 and "would write the same files" in result.output
    assert not out.exists()


def test_different_non_latin_names_do_not_collide(tmp_path: Path) -> None:
    one = _gazette(tmp_path / "a", "Новости")
    two = _gazette(tmp_path / "b", "Вести")
    results = build_many([one, two], out_dir=tmp_path / "out", formats=("epub",), jobs=1)
    names = sorted(p.name for r in results for p in r.outputs)  # type: ignore[union-attr]
    assert names == ["novosti-no-1.epub", "vesti-no-1.epub"]
    with zipfile.ZipFile(tmp_path / "out" / "vesti-no-1.epub") as epub:
        assert "В этом номере" in epub.read("EPUB/contents.xhtml").decode()


# ── Missing glyphs ────────────────────────────────────────────────────────────────────────────


def test_missing_glyphs_give_one_warning_per_font_and_script(tmp_path: Path) -> None:
    # Toto and Khitan Small Script: no font for them in Debian's Noto packages.
    folder = write(
        tmp_path / "scripts",
        a_md="---\ntitle: Rare scripts\n---\n\nEnglish first.\n\n"
        "Toto: \U0001e290\U0001e291\U0001e292 and \U0001e290\U0001e290.\n\n"
        "Khitan: \U00018b00\U00018b01.\n",
    )
    result = build(folder, out_dir=tmp_path / "out", formats=("pdf",), pdf_mode="single")
    glyphs = [w for w in result.warnings if "printed as boxes" in w.message]
    assert len(glyphs) == 2, [str(w) for w in result.warnings]
    toto = next(w for w in glyphs if "Toto" in w.message)
    assert toto.message.startswith("PDF: 5 Toto characters (3 different")
    assert '"EB Garamond"' in toto.message
    assert toto.path == folder / "a.md" and toto.line == 7
    assert not [w for w in result.warnings if ".notdef" in w.message]


def test_a_static_sites_language_is_the_issues(tmp_path: Path) -> None:
    site = write(
        tmp_path / "site", hugo_toml='baseURL = "https://example.org/"\nlanguageCode = "fr-fr"\n'
    )
    posts = write(site / "content" / "posts", a_md=ARABIC_ARTICLE.replace("language: ar\n", ""))
    issue, warnings = prepare(posts)
    assert issue.language == "fr-fr"
    assert not [w for w in warnings if "language not set" in w.message]
