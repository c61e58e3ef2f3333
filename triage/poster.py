"""A campaign poster: what the line is, the number to text, the Telegram link and its QR code.

The Telegram link carries a ``/start`` payload naming the language and the campaign area
("es-south"): the engine (``bot.engine``) starts in that language and keeps the area as a
routing hint, never asked about and never stored with an address.  The poster's words are
catalog strings (``poster.*``), kept bland enough to hang on any wall.  Tear-off strips at the
bottom carry the number and the link, so a passer-by can take them without being seen reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from bot.render import Renderer
from triage import pdfdoc
from triage.fonts import LATIN

TITLE = "poster.title"
BODY = "poster.body"
EMERGENCY = "poster.emergency"
MSGIDS = (TITLE, BODY, EMERGENCY)
STRIPS = 8
QR_SIDE = 80.0
STRIP_HEIGHT = 62.0  # mm: long enough for a rotated "t.me/<bot>?start=<lang>-<area>"


class PosterError(ValueError):
    """A poster that cannot be made as asked (an unknown area or language, a missing setting)."""


@dataclass(frozen=True)
class Poster:
    langs: tuple[str, ...]
    area: str
    sms_number: str
    bot_username: str
    emergency: str
    size: str = "a4"


def payload(lang: str, area: str) -> str:
    """The ``/start`` payload the engine reads (``bot.engine``: language and area, split at "-")."""
    return f"{lang}-{area}"


def deep_link(bot_username: str, lang: str, area: str) -> str:
    return f"https://t.me/{bot_username}?start={payload(lang, area)}"


def check(langs: tuple[str, ...], area: str, *, areas: tuple[str, ...], locales: tuple[str, ...]) -> None:
    if not langs:
        raise PosterError("name at least one language (--lang)")
    unknown = [lang for lang in langs if lang not in locales]
    if unknown:
        raise PosterError(f"no complete catalog for {', '.join(unknown)}; languages: {', '.join(locales)}")
    if area not in areas:
        raise PosterError(f"unknown area {area!r}; this region's areas: {', '.join(areas)}")


def render_pdf(poster: Poster, words: Renderer, *, shaping: bool = True) -> bytes:
    """The poster as PDF bytes; raises FontMissing when a language's font is not installed."""
    pdf = pdfdoc.new_document(poster.size, shaping=shaping)
    pdf.add_page()
    link = deep_link(poster.bot_username, poster.langs[0], poster.area)
    for lang in poster.langs:
        _language_block(pdf, words, lang, poster.emergency)
    _contact_block(pdf, poster, link)
    _strips(pdf, poster.sms_number, link.removeprefix("https://"))
    return bytes(pdf.output())


def _language_block(pdf: FPDF, words: Renderer, lang: str, emergency: str) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    found = pdfdoc.use_font(pdf, lang, 22, bold=True)
    align = "R" if found.rtl else "L"
    pdf.multi_cell(width, 10, words.text(lang, TITLE), align=align, new_x="LMARGIN", new_y="NEXT")
    pdfdoc.use_font(pdf, lang, 14)
    pdf.multi_cell(width, 7.5, words.text(lang, BODY), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(width, 7.5, words.text(lang, EMERGENCY, emergency=emergency), align=align,
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _contact_block(pdf: FPDF, poster: Poster, link: str) -> None:
    """The QR code of the link on the left; the number and the link beside it, large."""
    side = QR_SIDE
    top = pdf.h - pdf.b_margin - STRIP_HEIGHT - side - 8
    if pdf.get_y() > top:
        raise PosterError(f"the words of {len(poster.langs)} languages do not fit above the QR code: "
                          "make one poster per language or two")
    _qr(pdf, link, pdf.l_margin, top, side)
    x = pdf.l_margin + side + 8
    width = pdf.w - x - pdf.r_margin
    lines = (("SMS", 14, False, 8.0), (poster.sms_number, 28, True, 18.0), ("Telegram", 14, False, 8.0),
             (link.removeprefix("https://"), 13, True, 7.0))
    y = top + 8
    for text, size, bold, height in lines:
        pdfdoc.use_font(pdf, LATIN, size, bold=bold)
        pdf.set_xy(x, y)
        pdf.multi_cell(width, height * 0.8, text)
        y = pdf.get_y() + height * 0.4


def _qr(pdf: FPDF, data: str, x: float, y: float, side: float) -> None:
    """A QR code drawn as filled squares (vector: sharp at any print size), quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = side / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                pdf.rect(x + col * cell, y + row * cell, cell, cell, style="F")


def _strips(pdf: FPDF, number: str, link: str) -> None:
    """Tear-off strips along the bottom edge: dashed cut lines, number and link turned upright."""
    top = pdf.h - pdf.b_margin - STRIP_HEIGHT
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / STRIPS
    pdf.set_draw_color(120, 120, 120)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(pdf.l_margin, top, pdf.w - pdf.r_margin, top)
    for i in range(STRIPS + 1):
        x = pdf.l_margin + i * width
        pdf.line(x, top, x, pdf.h - pdf.b_margin)
    pdf.set_dash_pattern()
    # Fonts are chosen outside the rotations: one font per pass over the strips.
    for size, bold, text, baseline in ((11, True, number, 0.5), (6.5, False, link, 4.5)):
        pdfdoc.use_font(pdf, LATIN, size, bold=bold)
        half = pdf.get_string_width(text) / 2
        for i in range(STRIPS):
            cx, cy = pdf.l_margin + (i + 0.5) * width, top + STRIP_HEIGHT / 2
            # text() at absolute coordinates: set_x would read a negative x as "from the right".
            with pdf.rotation(90, cx, cy):
                pdf.text(cx - half, cy + baseline, text)

def render_png(poster: Poster, words: Renderer, *, dpi: int = 150, shaping: bool = True) -> bytes:
    return pdfdoc.to_png(render_pdf(poster, words, shaping=shaping), dpi=dpi)
