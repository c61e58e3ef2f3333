"""A PDF exported in the training sandbox cannot pass for a real tip: every page and its name say so."""

from __future__ import annotations

from pathlib import Path

import pypdfium2

from tests.factories import FakeClock
from tests.triage.console.casework_support import post, tip_ids
from tests.triage.console.support import LABOUR_TIP, Browser, console_app, give_tips
from tests.triage.console.test_export_pdf import _export, _pages, needs_poppler
from tipline.runtime import Runtime

MARK = "TRAINING SANDBOX - FICTIONAL TIP - NOT A REAL REPORT"


@needs_poppler
def test_a_sandbox_export_is_marked_training_on_every_page_and_in_its_name(
    rt: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    secret = None
    for live in (False, True):  # the same database, served as a sandbox console, then as a live one
        trainee = Browser(console_app(rt, clock, training=not live).test_client(), clock, secret=secret)
        if secret is None:
            trainee.enrol()
            secret = trainee.secret
        else:
            clock.advance(30)
            assert trainee.login()[0] in (302, 303)
        for n in range(0 if live else 30):  # long enough for several pages
            post(trainee, tip_id, "note", words=f"Practice note {n}")
        status, document, headers = _export(trainee, tip_id, for_whom="Jane Doe, County CPS", partner="ngo")
        assert status == 200
        pages = _pages(document, tmp_path)
        assert len(pages) >= 2
        name = headers["Content-Disposition"]
        if live:
            assert name == f'attachment; filename="tip-{tip_id[:8]}.pdf"'
            assert all("TRAINING" not in page.upper() for page in pages)
            continue
        assert name == f'attachment; filename="training-tip-{tip_id[:8]}.pdf"'
        for page in pages:
            flat = " ".join(page.split())
            assert f"{MARK}. A training exercise: CONFIDENTIAL" in flat  # the header line
            assert "Training exercise, fictional tip - Page" in flat  # and the footer
        # pdftotext skips rotated text; PDFium reads the watermark across each page as well.
        assert _mark_counts(document) == [2] * len(pages)


def _mark_counts(document: bytes) -> list[int]:
    pdf = pypdfium2.PdfDocument(document)
    try:
        return [page.get_textpage().get_text_range().count(MARK) for page in pdf]
    finally:
        pdf.close()
