"""One tip as a PDF for a partner without console access: the tip page, on paper.

The document is built in memory and handed to the browser; it is never written on the server.
Every page carries who exported it, when, and for whom, so a copy found later says where it
came from; a PDF made in the training sandbox says on every page, across it and in its file name
that it is a training exercise with a fictional tip, so the paper cannot pass for a real one.
Questions and options are in the member's language (the tip view); the reporter's
words are as written, any script, with control and bidi characters shown as escapes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from fpdf import FPDF

from triage import fonts, pdfdoc
from triage.console.case_panel import CasePanel
from triage.console.text import visible
from triage.console.tipview import TipView


@dataclass(frozen=True)
class Marking:
    by: str  # the member's username
    at: float
    for_whom: str  # as the member typed it
    partner: str  # the partner's queue
    training: bool = False  # made in the training sandbox: the tip is fictional

    def line(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.at))
        line = (f"CONFIDENTIAL - exported by {self.by} on {when} for {self.for_whom} ({self.partner}). "
                "Do not copy or pass on.")
        return f"{TRAINING_MARK}. A training exercise: {line}" if self.training else line

    def file_name(self, tip_id: str) -> str:
        return f"{'training-' if self.training else ''}tip-{tip_id[:8]}.pdf"


TRAINING_MARK = "TRAINING SANDBOX - FICTIONAL TIP - NOT A REAL REPORT"


class _Marked(FPDF):
    """A document whose every page starts with the export marking."""

    marking: Marking | None = None
    scripts: tuple[str, ...] = ()

    def header(self) -> None:
        if self.marking is None:
            return
        with pdfdoc.keeping_fallbacks(self):
            if self.marking.training:
                self._watermark()
            pdfdoc.use_font(self, "en", 8.5, bold=True, also=self.scripts)
            self.set_text_color(160, 0, 0)
            self.multi_cell(0, 4.5, visible(self.marking.line()), border="B", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(3)

    def _watermark(self) -> None:
        """Across the page, under the text (drawn first), light enough to read the tip through."""
        pdfdoc.use_font(self, "en", 24, bold=True)
        self.set_text_color(235, 160, 160)
        width = self.get_string_width(TRAINING_MARK)
        with self.rotation(angle=55, x=self.w / 2, y=self.h / 2):
            self.text(self.w / 2 - width / 2, self.h / 2, TRAINING_MARK)

    def footer(self) -> None:
        with pdfdoc.keeping_fallbacks(self):
            self.set_y(-12)
            pdfdoc.use_font(self, "en", 8)
            training = "Training exercise, fictional tip - " if self.marking and self.marking.training else ""
            self.cell(0, 5, f"{training}Page {self.page_no()}/{{nb}}", align="C")


def _texts(view: TipView, panel: CasePanel | None, marking: Marking) -> Iterable[str]:
    yield marking.for_whom
    for a in view.answers:
        yield a.question
        yield a.words or ""
        yield from a.choices
    for _, texts in view.additions:
        yield from texts
    yield from view.reasons
    yield from view.routing
    if panel is not None:
        yield from (e.text or "" for e in panel.history)


def render(view: TipView, panel: CasePanel | None, marking: Marking, *, locale: str) -> bytes:
    """The tip as PDF bytes; raises FontMissing when a script in it has no font installed."""
    scripts = fonts.scripts_in("\n".join(_texts(view, panel, marking)))
    pdf = pdfdoc.new_document(document=_Marked)
    assert isinstance(pdf, _Marked)
    pdf.marking, pdf.scripts = marking, scripts
    pdf.alias_nb_pages()
    pdf.add_page()
    write = _Writer(pdf, locale, scripts)
    write.heading(f"Tip {view.meta.id[:8]} - priority {view.meta.priority}", size=16)
    latest = f" (latest version {view.meta.version})" if view.meta.version != view.version else ""
    write.pairs([("Categories", ", ".join(view.meta.categories) or "-"),
                 ("Interview", f"{view.meta.status} ({view.meta.reason}), answers of version {view.version}{latest}"),
                 ("Received", _clock(view.meta.created_at)), ("Updated", _clock(view.meta.updated_at)),
                 ("Reporter wrote in", view.reporter_language)])
    write.heading("Answers")
    for a in view.answers:
        shown = "(skipped)" if a.skipped else a.words if a.words is not None else ", ".join(a.choices)
        write.answer(a.question, shown, quoted=a.words is not None)
    for version, texts in view.additions:
        write.heading(f"Added later (version {version})")
        for text in texts:
            write.answer("", text, quoted=True)
    write.heading("Why this priority")
    write.bullets(view.reasons)
    write.heading("Routing")
    write.bullets(view.routing)
    if panel is not None:
        _case(write, panel)
    return bytes(pdf.output())


def _case(write: _Writer, panel: CasePanel) -> None:
    write.heading("Case")
    write.pairs([("Case status", panel.label + (f": {panel.close_reason}" if panel.close_reason else "")),
                 ("Legal hold", "on" if panel.case.legal_hold else "off")])
    write.heading("History")
    write.bullets([f"{_clock(e.at)} {e.who} {e.what}" + (f": \"{e.text}\"" if e.text is not None else "")
                   for e in panel.history])


def _clock(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


class _Writer:
    """Paragraphs in the member's language and script, fallbacks for the reporter's."""

    def __init__(self, pdf: FPDF, locale: str, scripts: tuple[str, ...]) -> None:
        self.pdf, self.locale, self.scripts = pdf, locale, scripts
        self.align = "R" if fonts.font_for(locale).rtl else "L"

    def _font(self, size: float, bold: bool = False) -> None:
        pdfdoc.use_font(self.pdf, self.locale, size, bold=bold, also=self.scripts)

    def heading(self, text: str, size: float = 13) -> None:
        self.pdf.ln(2)
        self._font(size, bold=True)
        self.pdf.multi_cell(0, size * 0.5, visible(text), align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.answer(label, value, quoted=False)

    def answer(self, question: str, shown: str, *, quoted: bool) -> None:
        if question:
            self._font(10, bold=True)
            self.pdf.multi_cell(0, 5, visible(question), align=self.align, new_x="LMARGIN", new_y="NEXT")
        self._font(10)
        # The reporter's words sit in their own indented block, as on the page.
        indent = 8 if quoted else 0
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(self.pdf.epw - indent, 5, visible(shown), align=self.align, new_x="LMARGIN",
                            new_y="NEXT")
        self.pdf.ln(1.5)

    def bullets(self, items: Iterable[str]) -> None:
        for item in items:
            self._font(10)  # again for each item: a page break may fall between two
            self.pdf.multi_cell(0, 5, "- " + visible(item), align=self.align, new_x="LMARGIN", new_y="NEXT")
