"""The registration form's PDF carries its own font: Noto Sans SC, a subset embedded by reportlab, so that it
prints the same in every viewer (issue 15: the non-embedded STSong-Light printed the date lines as
"年☒☒☒☒月☒☒☒☒日" in viewers without it).

How the printed page is checked: poppler's `pdftoppm` rasterises page 1 at 300 dpi (in grey) and `pdftotext
-bbox` says where each word is. Each hanzi of a known word is cut out of the raster, trimmed to its ink and
scaled to 32×32, and compared (Pearson correlation of the pixels) with the same character drawn by PIL from our
font file, and with the font's .notdef box, the glyph a missing character prints as (a box with a cross, like
the ☒ of the issue). A character that prints as itself matches its own drawing far better than the box; tofu
matches the box. The spaces of the date lines must carry no ink at all.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date
from html import unescape
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader

from ce_service.review.form import FONT_FILE
from tests.builders import national_id, person, record, sign_in, user

YEAR = date.today().year - 1
DPI = 300
NAME = "欧阳𬌗堃"          # 𬌗 (U+2C317) is one of the 通用规范汉字表's hanzi past U+FFFF, used in names
MISSING = "𠮷"           # U+20BB7: in neither GB 2312 nor the 通用规范汉字表, so not in the subset


async def form_pdf(api, db, tmp_path: Path, name: str) -> Path:
    """The registration form of a person called `name` with one registered record, as HR downloads it."""
    pid = await person(db, national_id(7), name=name)
    await record(db, pid, YEAR, "professional", 24)
    await user(db, "hr", "hr_reviewer", region_prefix="5226")
    await sign_in(api, "hr")
    response = await api.get(f"/api/v1/review/forms/{national_id(7)}", params={"year": YEAR})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "form.pdf"
    path.write_bytes(response.content)
    return path


def raster(pdf: Path) -> Image.Image:
    """Page 1 at DPI in grey; poppler must say nothing (it warns about fonts it cannot find or read)."""
    done = subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-f", "1", "-l", "1", "-png", str(pdf),
                           str(pdf.with_suffix(""))], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    [png] = pdf.parent.glob(pdf.stem + "-*1.png")
    return Image.open(png).convert("L")


def words(pdf: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every word on page 1 with its box in points (x0, y0, x1, y1 from the top left)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(unescape(w), (float(a), float(b), float(c), float(d))) for a, b, c, d, w in found]


def shape(image: Image.Image) -> list[int]:
    """The ink of a glyph image, trimmed to its bounding box and scaled to 32×32."""
    box = ImageChops.invert(image).point(lambda v: 255 if v > 96 else 0).getbbox()
    assert box, "no ink where a character should be"
    # Blurred a little: poppler and FreeType place thin strokes a pixel apart at this size.
    return list(image.crop(box).resize((32, 32), Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(1)).tobytes())


def correlation(a: list[int], b: list[int]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va, vb = sum((x - ma) ** 2 for x in a), sum((y - mb) ** 2 for y in b)
    return cov / ((va * vb) ** 0.5 or 1)


def drawn(char: str, size_pt: float) -> list[int]:
    """`char` drawn by PIL (FreeType) from our font file at the raster's scale."""
    font = ImageFont.truetype(str(FONT_FILE), round(size_pt * DPI / 72))
    image = Image.new("L", (font.size * 3, font.size * 3), 255)
    ImageDraw.Draw(image).text((font.size, font.size), char, font=font, fill=0)
    return shape(image)


def printed(page: Image.Image, box: tuple[float, float, float, float], index: int, count: int) -> list[int]:
    """The `index`th of `count` full-width characters of a word, cut out of the page."""
    x0, y0, x1, y1 = (v * DPI / 72 for v in box)
    step, over = (x1 - x0) / count, (y1 - y0) * 0.15   # hanzi reach a little above and below the em box
    return shape(page.crop((round(x0 + index * step) + 1, round(y0 - over), round(x0 + (index + 1) * step) - 1,
                            round(y1 + over))))


def assert_prints_as_itself(page: Image.Image, word: str, box, size_pt: float = 9) -> None:
    box_glyph = drawn(MISSING, size_pt)     # the font has no 𠮷: FreeType draws its .notdef box
    for i, char in enumerate(word):
        ink = printed(page, box, i, len(word))
        own, tofu = correlation(ink, drawn(char, size_pt)), correlation(ink, box_glyph)
        assert own > 0.8 and own > tofu + 0.4, f"{char} (U+{ord(char):04X}) printed unlike itself: {own:.2f}, box {tofu:.2f}"


async def test_the_form_embeds_its_font_and_nothing_else(api, db, tmp_path):
    pdf = await form_pdf(api, db, tmp_path, NAME)
    fonts = [f.get_object() for page in PdfReader(pdf).pages for f in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert font["/Subtype"] != "/Type0" or "/CIDFontType0" != descendant["/Subtype"], font["/BaseFont"]
        descriptor = descendant.get("/FontDescriptor")
        assert descriptor is not None and "/FontFile2" in descriptor.get_object(), f"{font['/BaseFont']} is not embedded"
        assert "NotoSansSC" in font["/BaseFont"]
    # Copying text out of the PDF gives what it shows, the hanzi past U+FFFF included.
    assert NAME in PdfReader(pdf).pages[0].extract_text()


async def test_names_and_date_lines_print_as_hanzi_not_boxes(api, db, tmp_path):
    pdf = await form_pdf(api, db, tmp_path, NAME)
    page, placed = raster(pdf), words(pdf)
    named = [b for w, b in placed if w == NAME]
    assert len(named) == 1, f"{NAME} is not read back from the page: {[w for w, _ in placed][:12]}"
    name_box = named[0]
    assert_prints_as_itself(page, NAME, name_box)
    # The two date lines of the signature boxes: 年, 月 and 日 with blank space between, not ☒☒☒☒.
    dates = [(w, b) for w, b in placed if w in ("年", "月", "日") and b[1] > 300]
    assert [w for w, _ in dates] == ["年", "月", "日"] * 2, dates
    for (word, box), (_, following) in zip(dates, dates[1:]):
        assert_prints_as_itself(page, word, box)
        if word != "日":
            gap = page.crop((round(box[2] * DPI / 72) + 2, round(box[1] * DPI / 72),
                             round(following[0] * DPI / 72) - 2, round(box[3] * DPI / 72)))
            assert gap.getextrema()[0] > 200, f"ink between {word} and the next: {gap.getextrema()}"


async def test_a_character_outside_the_font_prints_as_a_box_and_the_form_is_still_made(api, db, tmp_path):
    """reportlab maps a character the font lacks to glyph 0, the font's .notdef box: visible on paper (a blank
    would hide that a character is missing), and copied out of the PDF as U+FFFD."""
    pdf = await form_pdf(api, db, tmp_path, "王" + MISSING)
    page = raster(pdf)
    [(_, box)] = [(w, b) for w, b in words(pdf) if w.startswith("王")]
    assert_prints_as_itself(page, "王", (box[0], box[1], box[0] + (box[2] - box[0]) / 2, box[3]))
    ink = printed(page, box, 1, 2)
    assert correlation(ink, drawn(MISSING, 9)) > 0.9
    assert "王\ufffd" in PdfReader(pdf).pages[0].extract_text()


def test_the_font_file_is_the_documented_subset():
    """The subset carries GB 2312 and the 通用规范汉字表 (deploy/font/subset_noto_sans_sc.py) and stays small."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    size = FONT_FILE.stat().st_size
    assert size < 5_000_000
    covered = TTFontFile(str(FONT_FILE)).charToGlyph
    listed = (Path(__file__).parent.parent / "deploy/font/tongyong-guifan-hanzi-8105.txt").read_text("utf-8").split()
    assert len(listed) == 8105 and not [c for c in listed if ord(c) not in covered]
    gb2312 = [bytes([a, b]).decode("gb2312") for a in range(0xB0, 0xF8) for b in range(0xA1, 0xFF)
              if not (a == 0xD7 and b > 0xF9)]
    assert len(gb2312) == 6763 and not [c for c in gb2312 if ord(c) not in covered]
    assert all(ord(c) in covered for c in "，。、；：？！“”‘’（）《》【】—…·０１２ＡＢ　") and ord(MISSING) not in covered
    assert (FONT_FILE.parent / "OFL.txt").read_text("utf-8").startswith("Copyright 2014-2021 Adobe")
