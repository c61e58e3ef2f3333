"""The one PDF stack of the line: fpdf2 with HarfBuzz shaping, fonts from ``triage.fonts``.

Both the campaign poster and a tip exported for a partner are made here: text in any enabled
language is written in its script's font, shaped (Arabic joined and right to left, Devanagari
and Ethiopic clusters, Thai marks) by fpdf2's HarfBuzz engine and its bidi algorithm.  A PNG is
the PDF rendered by PDFium, so the line needs no system library at run time besides fonts.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Iterator

import pypdfium2
from fpdf import FPDF

from triage import fonts

PAGE_SIZES = {"a4": "A4", "letter": "Letter"}


def new_document(size: str = "a4", *, shaping: bool = True, document: type[FPDF] = FPDF) -> FPDF:
    """A blank portrait document; ``shaping=False`` only to show what unshaped text looks like.

    ``document`` may be a subclass drawing a header on every page (a tip's export marking).
    """
    pdf = document(orientation="portrait", unit="mm", format=PAGE_SIZES[size])
    pdf.set_auto_page_break(document is not FPDF, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.set_creator("tipline")
    pdf.set_text_shaping(shaping)
    return pdf


def use_font(pdf: FPDF, locale: str, size: float, *, bold: bool = False,
             also: tuple[str, ...] = ()) -> fonts.FoundFont:
    """Select the font of ``locale``'s script (registered on first use); raises FontMissing.

    ``also`` names more scripts the text may hold (``fonts.scripts_in``): their fonts fill in
    the characters the main font lacks.
    """
    found = fonts.font_for(locale, bold=bold)
    family = _register(pdf, found, bold)
    # Some script fonts (Ethiopic) have no digits or Latin punctuation: "911" and "?" come
    # from the Latin font.
    extra = tuple(dict.fromkeys(s for s in (fonts.LATIN, *also) if s != found.script))
    pdf.set_fallback_fonts([_register(pdf, fonts.find(s, bold=bold), bold) for s in extra], exact_match=False)
    pdf.set_font(family, "B" if bold else "", size)
    return found


def _register(pdf: FPDF, found: fonts.FoundFont, bold: bool) -> str:
    family, style = f"tl-{found.script}", "B" if bold else ""
    if f"{family.lower()}{style}" not in pdf.fonts:
        pdf.add_font(family, style, str(found.path), collection_font_number=found.index)
    return family


@contextmanager
def keeping_fallbacks(pdf: FPDF) -> Iterator[None]:
    """Run a page's header or footer without losing the body's fallback fonts.

    fpdf2 restores the body's main font after a header or footer but not its fallback list, so
    a body in Arabic, Devanagari or Thai would go on without its Latin fallback and silently drop
    every character its own font lacks (digits, Latin words) after a page break.
    """
    saved = (list(pdf._fallback_font_ids), pdf._fallback_font_exact_match)  # fpdf2 has no public getter
    try:
        yield
    finally:
        pdf._fallback_font_ids, pdf._fallback_font_exact_match = saved


def to_png(document: bytes, *, dpi: int = 150) -> bytes:
    """The first page of a PDF as a PNG, rendered by PDFium."""
    pdf = pypdfium2.PdfDocument(document)
    try:
        image = pdf[0].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
