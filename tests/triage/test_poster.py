"""Campaign posters (issue 14): shaped text in every script, a QR code that scans to the deep link.

Each script's words are compared with a reference image a person checked by eye
(``tests/triage/posters/<lang>.png``: the poster's text band, greyscale, a quarter of 150 dpi).
The comparison is tolerant (mean difference of the downscaled greyscale), yet text drawn
without shaping (Arabic letters unjoined, Devanagari vowel signs misplaced) fails it.  To draw
the references again after a deliberate change: ``TIPLINE_REDRAW_POSTER_REFERENCES=1``, then
look at every image before committing it.  Each run also draws ``docs/posters/``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageStat

from bot import build_engine, load_region
from bot.catalog import load_catalogs
from bot.render import Renderer
from bot.types import InboundMessage
from tests.bot.helpers import make_context
from triage import fonts, poster

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = Path(__file__).resolve().parent / "posters"
DOCS = ROOT / "docs" / "posters"
SCRIPTS = {"ar": "arabic", "zh": "han", "ti": "ethiopic", "hi": "devanagari", "th": "thai", "ko": "hangul",
           "es": "latin"}
TOLERANCE = 4.0  # mean grey difference (0-255); unshaped Arabic or Devanagari differs by 10 or more
BOT = "tipline_demo_bot"

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="pdftoppm (Debian poppler-utils, make setup-system) is missing")


def _fonts_present() -> bool:
    try:
        for script in SCRIPTS.values():
            fonts.find(script)
    except fonts.FontMissing:
        return False
    return True


pytestmark = pytest.mark.skipif(not _fonts_present(), reason="Noto fonts missing: make setup-system "
                                "(fonts-noto-core, fonts-noto-cjk)")


@pytest.fixture(scope="module")
def words() -> Renderer:
    return Renderer(catalogs=load_catalogs(ROOT / "locales", tuple(SCRIPTS)), default_locale="en")


def _poster(lang: str, size: str = "a4") -> poster.Poster:
    return poster.Poster(langs=(lang,), area="south", sms_number="+1 555 010 0199", bot_username=BOT,
                         emergency="911", size=size)


def _text_band(png: bytes) -> Image.Image:
    """The poster's words (the band under the top margin), greyscale, downscaled by four."""
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    band = image.crop((0, int(height * 0.03), width, int(height * 0.16)))
    return band.resize((band.width // 4, band.height // 4), Image.Resampling.BILINEAR)


def _difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def _dark_share(image: Image.Image) -> float:
    """Share of pixels darker than mid-grey."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / max(1, sum(histogram))


@needs_poppler
@pytest.mark.parametrize("lang", ["ar", "zh", "ti", "hi"])
def test_the_qr_code_scans_to_the_deep_link_and_the_pdf_prints_text(
    lang: str, words: Renderer, tmp_path: Path
) -> None:
    made = _poster(lang)
    document = poster.render_pdf(made, words)
    png = poster.render_png(made, words)
    scanned = [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert scanned == [f"https://t.me/{BOT}?start={lang}-south"]
    # pdftoppm (poppler), not the PDFium that drew the PNG: the PDF itself holds the text.
    (tmp_path / "poster.pdf").write_bytes(document)
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-png", "-singlefile", str(tmp_path / "poster.pdf"),
                    str(tmp_path / "page")], check=True, capture_output=True)
    page = Image.open(tmp_path / "page.png")
    width, height = page.size
    title = page.crop((0, int(height * 0.03), width, int(height * 0.07)))
    body = page.crop((0, int(height * 0.07), width, int(height * 0.16)))
    strips = page.crop((0, int(height * 0.78), width, height))
    blank = page.crop((0, int(height * 0.20), width, int(height * 0.30)))  # between the words and the QR code
    assert _dark_share(title) > 0.02 and _dark_share(body) > 0.01 and _dark_share(strips) > 0.005
    assert _dark_share(blank) == 0.0
    text = subprocess.run(["pdftotext", str(tmp_path / "poster.pdf"), "-"], capture_output=True, check=True).stdout
    assert b"+1 555 010 0199" in text and f"t.me/{BOT}?start={lang}-south".encode() in text


@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_each_scripts_words_match_the_reference_checked_by_eye(lang: str, words: Renderer) -> None:
    png = poster.render_png(_poster(lang), words)
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / f"poster-{SCRIPTS[lang]}-{lang}.png").write_bytes(png)
    band = _text_band(png)
    reference = REFERENCES / f"{lang}.png"
    if os.environ.get("TIPLINE_REDRAW_POSTER_REFERENCES") == "1":
        REFERENCES.mkdir(exist_ok=True)
        band.save(reference)
    assert _difference(band, Image.open(reference).convert("L")) < TOLERANCE


@pytest.mark.parametrize("lang", ["ar", "hi"])
def test_unshaped_text_fails_the_reference(lang: str, words: Renderer) -> None:
    unshaped = _text_band(poster.render_png(_poster(lang), words, shaping=False))
    reference = Image.open(REFERENCES / f"{lang}.png").convert("L")
    assert _difference(unshaped, reference) > 2 * TOLERANCE


def test_letter_size_keeps_everything_on_the_page(words: Renderer) -> None:
    png = poster.render_png(_poster("hi", size="letter"), words)
    image = Image.open(io.BytesIO(png))
    assert image.width == 1275 and abs(image.height - 1650) <= 1  # 8.5 x 11 in at 150 dpi
    assert [f.text for f in zxingcpp.read_barcodes(image)] == [f"https://t.me/{BOT}?start=hi-south"]


def test_a_missing_font_names_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 words: Renderer) -> None:
    # fontconfig with a configuration that knows no font folder: as on a machine without Noto.
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><fontconfig><cachedir>' + str(tmp_path / "cache") +
                     "</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    fonts.find.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="install the Debian package fonts-noto-cjk"):
            poster.render_pdf(_poster("zh"), words)
        with pytest.raises(fonts.FontMissing, match="fonts-noto-core"):
            poster.render_pdf(_poster("ti"), words)
    finally:
        monkeypatch.delenv("FONTCONFIG_FILE")
        fonts.find.cache_clear()


@pytest.mark.parametrize("lang", ["ar", "zh", "ti", "hi", "es"])
def test_the_deep_link_starts_the_conversation_in_its_language_with_its_area(lang: str) -> None:
    region = load_region("US")
    engine = build_engine(locales_dir=ROOT / "locales", locales=("en", lang), default_locale="en", region=region)
    link = poster.deep_link(BOT, lang, "south")
    start = link.partition("?start=")[2]  # what Telegram hands the bot after /start
    out = engine.handle(None, InboundMessage(channel="telegram", address="1", text="", start_payload=start),
                        make_context(region))
    assert out.state.locale == lang and out.state.answers.get("campaign") == "south"
    assert not out.events  # a routing hint, not a tip


def test_an_unknown_area_or_language_is_refused() -> None:
    areas, locales = ("south", "west"), ("en", "es")
    with pytest.raises(poster.PosterError, match="unknown area 'mars'"):
        poster.check(("en",), "mars", areas=areas, locales=locales)
    with pytest.raises(poster.PosterError, match="no complete catalog for xx"):
        poster.check(("en", "xx"), "south", areas=areas, locales=locales)
