"""Re-create ce_service/fonts/NotoSansSC-Regular-subset.ttf, the font the registration form's PDF embeds.

Run from the repository root, with fontTools in any Python (it is a build tool, not a dependency of the service):

    pip install 'fonttools==4.68.0'
    npm pack @expo-google-fonts/noto-sans-sc@0.4.3          # Noto Sans SC v40 (2.004) as TrueType, SIL OFL 1.1
    python deploy/font/subset_noto_sans_sc.py expo-google-fonts-noto-sans-sc-0.4.3.tgz

The character set: ASCII and Latin-1, Latin Extended-A (pinyin), general punctuation, every character of
GB 2312 (its 6,763 hanzi and its symbols, kana, Greek, Cyrillic, box drawing), the 8,105 hanzi of the
通用规范汉字表 (2013; the list in tongyong-guifan-hanzi-8105.txt beside this script), CJK symbols and
punctuation, and the half- and full-width forms.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "ce_service" / "fonts" / "NotoSansSC-Regular-subset.ttf"
MEMBER = "package/400Regular/NotoSansSC_400Regular.ttf"
SOURCE_SHA256 = "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16"
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x17F), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF)]
EXTRA = "・□■○●△▲◇◆☆★※"  # used as marks and bullets in forms that people type or paste


def characters() -> set[str]:
    """Every character the subset should carry."""
    chars = {chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)} | set(EXTRA)
    for a in range(0xA1, 0xF8):
        for b in range(0xA1, 0xFF):
            try:
                chars.add(bytes([a, b]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    listed = [line.strip() for line in (HERE / "tongyong-guifan-hanzi-8105.txt").read_text("utf-8").splitlines()]
    listed = [c for c in listed if c]
    assert len(listed) == 8105 and all(len(c) == 1 for c in listed), "the 通用规范汉字表 list is damaged"
    return chars | set(listed)


def main(tarball: str) -> None:
    with tarfile.open(tarball) as tar:
        data = tar.extractfile(MEMBER).read()
    if hashlib.sha256(data).hexdigest() != SOURCE_SHA256:
        sys.exit(f"{MEMBER} in {tarball} is not the Noto Sans SC Regular this subset was made from")
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)  # the same bytes on every run
    cmap = font.getBestCmap()
    wanted = characters()
    options = subset.Options()
    options.layout_features = []        # reportlab draws glyph by glyph, no shaping: GSUB/GPOS would be dead weight
    options.hinting = False             # PDF viewers rasterise outlines themselves; hints would add about a third
    options.notdef_outline = True       # a character missing from the subset prints as the visible .notdef box
    options.name_IDs = ["*"]            # keep the copyright, licence and version records
    options.name_languages = ["*"]
    options.drop_tables += ["BASE", "STAT", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in wanted))
    subsetter.subset(font)
    font.save(OUT)
    covered = sum(1 for c in wanted if ord(c) in cmap)
    print(f"{OUT}: {OUT.stat().st_size} bytes, {covered} characters ({len(wanted) - covered} asked for are not in the font)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
