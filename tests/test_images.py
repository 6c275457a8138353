"""Images a newcomer tried: decompression bombs, truncated and corrupt files, an animated GIF
whose first frame is black, pictures too small to print, scripted SVG. Every bad image is made
here, in tmp_path, from a few bytes."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from masthead import build
from masthead.cli import app
from masthead.compose.svg import sanitise_svg

runner = CliRunner()
MANIFEST = '[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md"]\n'


def bomb_png(width: int = 15000, height: int = 15000) -> bytes:
    """A real, valid 1-bit PNG of width x height pixels, all black: tens of KB on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\0" * (1 + (width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def photo(width: int = 800, height: int = 600, kind: str = "JPEG") -> bytes:
    image = Image.effect_noise((width, height), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = photo()
    return data[: len(data) // 2]


def issue(tmp_path: Path, article: str, manifest: str = MANIFEST, **files: bytes) -> Path:
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "issue.toml").write_text(manifest)
    (folder / "a.md").write_text(article)
    for name, data in files.items():
        (folder / name.replace("_", ".")).write_bytes(data)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def fails(args: list[str], out: Path) -> str:
    """Run the CLI expecting a one-line error and an untouched output folder; the message."""
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("earlier build")
    before = snapshot(out)
    result = runner.invoke(app, [*args, "--out", str(out)] if args[0] == "build" else args)
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error: ") and "Traceback" not in result.output
    assert snapshot(out) == before
    return message


LEAD = "---\ntitle: A\nimage: {name}\nimage_alt: A picture\n---\nText.\n"
BODY = "---\ntitle: A\n---\nText.\n\n![A harbour at night]({name})\n"
BROKEN = {
    "bomb": ("big.png", bomb_png, "is 225 megapixels, more than the 89 an image may have"),
    "truncated": ("cut.jpg", truncated_jpeg, "is damaged or incomplete (image file is truncated"),
    "corrupt": ("noise.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "is "),
    "not an image": ("text.jpg", lambda: b"hello, world\n" * 40, "is not an image file"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_lead_image_is_an_error_naming_the_file_and_line(
    tmp_path: Path, case: str
) -> None:
    name, make, what = BROKEN[case]
    folder = issue(tmp_path, LEAD.format(name=name), **{name.replace(".", "_"): make()})
    for command in (["build", str(folder)], ["check", str(folder)]):
        message = fails(command, tmp_path / "out")
        assert f"{folder / 'a.md'}:3: image {name} {what}" in message, message


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_picture_in_the_body_leaves_its_alt_text_and_a_warning(
    tmp_path: Path, case: str
) -> None:
    name, make, what = BROKEN[case]
    folder = issue(tmp_path, BODY.format(name=name), **{name.replace(".", "_"): make()})
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out), "-f", "epub"])
    assert result.exit_code == 0, result.output
    assert f"warning: {folder / 'a.md'}:6: image {name} {what}" in result.stderr
    assert "its alt text is printed instead" in result.stderr
    with zipfile.ZipFile(out / "issue-no-1.epub") as epub:
        chapter = epub.read("EPUB/a.xhtml").decode()
        assert not [n for n in epub.namelist() if n.startswith("EPUB/images/a-")]
    assert "[Image: A harbour at night]" in chapter and "<img" not in chapter
    strict = runner.invoke(app, ["build", str(folder), "--out", str(out), "--strict"])
    assert strict.exit_code == 1


def test_a_broken_cover_image_names_issue_toml_and_its_line(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("number = 1\n", 'number = 1\ncover_image = "big.png"\n')
    folder = issue(tmp_path, BODY.format(name="big.png"), manifest, big_png=bomb_png())
    message = fails(["build", str(folder)], tmp_path / "out")
    assert f"{folder / 'issue.toml'}:3: `cover_image` big.png is 225 megapixels" in message


def animated_gif_black_first() -> bytes:
    """Three frames: black, a picture (bands of colour), black again."""
    black = Image.new("RGB", (320, 200), "black")
    picture = Image.new("RGB", (320, 200))
    for x in range(320):
        for y in range(200):
            picture.putpixel((x, y), ((x * 3) % 256, (y * 5) % 256, (x + y) % 256))
    out = io.BytesIO()
    black.save(out, "GIF", save_all=True, append_images=[picture, black], duration=100, loop=0)
    return out.getvalue()


def test_an_animated_gif_prints_its_most_telling_frame(tmp_path: Path) -> None:
    folder = issue(tmp_path, BODY.format(name="demo.gif"), demo_gif=animated_gif_black_first())
    result = build(folder, out_dir=tmp_path / "out", formats=("pdf", "epub"), pdf_mode="single")
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    shown = {}
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for xobject in page.get_images().values():
                image = pikepdf.PdfImage(xobject).as_pil_image().convert("L")
                shown[xobject.objgen] = image
    assert len(shown) == 1
    shown = list(shown.values())
    assert shown[0].getextrema()[1] > 100, "the PDF shows the black first frame"
    # The EPUB keeps the animation as it is.
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as zipped:
        assert zipped.read("EPUB/images/a-demo.gif") == (folder / "demo.gif").read_bytes()


def test_a_picture_printed_below_150_ppi_gets_a_warning(tmp_path: Path) -> None:
    # 600 pixels across A4's 150 mm column: 102 ppi. 1200 pixels: 203 ppi.
    article = BODY.format(name="small.jpg") + "\n![A sharp one](big.jpg)\n"
    folder = issue(tmp_path, article, small_jpg=photo(600, 400), big_jpg=photo(1200, 800))
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "ppi" in line]
    assert warnings == [
        f"warning: {folder / 'a.md'}:6: image small.jpg prints at 102 ppi (150 mm wide), below "
        "150: use a version at least 886 pixels wide"
    ]
    # An EPUB alone is not printed: no warning.
    epub_only = build(folder, out_dir=tmp_path / "out", formats=("epub",))
    assert not [w for w in epub_only.warnings if "ppi" in w.message]
    # On a smaller page the same picture is printed smaller, sharp enough.
    a5 = build(folder, out_dir=tmp_path / "out", formats=("pdf",), page_size="a5")
    assert [w.message for w in a5.warnings if "ppi" in w.message] == [
        "image small.jpg prints at 131 ppi (116 mm wide), below 150: use a version at least 686 "
        "pixels wide"
    ]


SCRIPTED_SVG = b"""<?xml version="1.0"?>
<?xml-stylesheet href="https://example.org/x.css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="120" height="80" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <rect width="120" height="80" fill="#369" onclick="steal()"/>
  <a xlink:href="javascript:alert(2)"><text x="10" y="40">Click</text></a>
  <a href="https://example.org/"><text x="10" y="60">Fine link</text></a>
  <image href="https://tracker.example/pixel.png" width="1" height="1"/>
  <use href="#dot"/>
  <circle id="dot" r="3" style="fill: url(https://example.org/g.svg#x)"/>
  <foreignObject width="100" height="50"><iframe xmlns="http://www.w3.org/1999/xhtml"
     src="https://example.org/"></iframe></foreignObject>
  <set attributeName="href" to="javascript:alert(3)"/>
</svg>
"""


def test_svg_is_sanitised_before_it_is_shipped(tmp_path: Path) -> None:
    folder = issue(tmp_path, BODY.format(name="chart.svg"), chart_svg=SCRIPTED_SVG)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "sanitised" in line)
    assert warning.startswith(f"warning: {folder / 'a.md'}:6: SVG image chart.svg sanitised")
    with zipfile.ZipFile(out / "issue-no-1.epub") as epub:
        shipped = epub.read("EPUB/images/a-chart.svg").decode()
    for gone in (
        "<script",
        "onload",
        "onclick",
        "javascript:",
        "<iframe",
        "foreignObject",
        "tracker.example",
        "g.svg",
        "xml-stylesheet",
        "<set",
    ):
        assert gone not in shipped, gone
    for kept in ('<rect width="120"', "Click", 'href="https://example.org/"', 'href="#dot"'):
        assert kept in shipped, kept


def test_a_clean_svg_is_shipped_as_it_is() -> None:
    clean = b'<svg xmlns="http://www.w3.org/2000/svg"><!-- c --><rect width="1"/></svg>'
    assert sanitise_svg(clean) == (None, [])


def test_an_entity_bomb_svg_is_refused(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "ha"}">' for i in range(10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>' + (
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&e9;</text></svg>'
    )
    folder = issue(tmp_path, LEAD.format(name="laughs.svg"), laughs_svg=bomb.encode())
    message = fails(["build", str(folder)], tmp_path / "out")
    assert f"{folder / 'a.md'}:3: image laughs.svg is not well-formed XML" in message


def test_a_rebuild_after_an_edit_resizes_and_decodes_no_image_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from masthead.compose import images
    from masthead.editions.epub import package

    big = io.BytesIO()  # 4.4 megapixels: made smaller for e-readers (Apple: under 4).
    Image.linear_gradient("L").resize((2200, 2000)).save(big, "PNG")
    article = BODY.format(name="big.png")
    folder = issue(tmp_path, article, big_png=big.getvalue())
    out = tmp_path / "out"
    first = build(folder, out_dir=out, formats=("epub",))
    kept = sorted(p.name for p in (out / ".masthead" / "images").iterdir())
    assert len(kept) == 2 and any(n.endswith("-facts-2") for n in kept)
    assert any(n.endswith("-epub-4mp-2") for n in kept)

    def never(*_: object) -> None:
        raise AssertionError("an image was decoded or resized again")

    monkeypatch.setattr(images, "_decode", never)
    monkeypatch.setattr(package, "_fit_for_readers", never)
    (folder / "a.md").write_text(article + "\nA new paragraph.\n")
    again = build(folder, out_dir=out, formats=("epub",))
    assert not again.up_to_date
    with zipfile.ZipFile(first.outputs[0]) as before, zipfile.ZipFile(again.outputs[0]) as after:
        picture = "EPUB/images/a-big.png"
        assert after.read(picture) == before.read(picture)
        assert Image.open(io.BytesIO(after.read(picture))).size == (2097, 1906)


def test_a_failed_build_keeps_no_image_it_processed(tmp_path: Path) -> None:
    article = BODY.format(name="small.jpg") + "\n[A dead link](#nowhere)\n"
    folder = issue(tmp_path, article, small_jpg=photo(600, 400))
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out), "--strict", "-f", "epub"])
    assert result.exit_code == 1
    assert not (out / ".masthead").exists()
