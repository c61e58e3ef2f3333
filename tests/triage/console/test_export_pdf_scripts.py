"""A tip exported in a right-to-left or complex script keeps every word across its page breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import load_catalogs
from tests.factories import FakeClock
from tests.triage.console.casework_support import post, tip_ids
from tests.triage.console.support import LABOUR_TIP, Browser, console_app, give_tips
from tests.triage.console.test_export_pdf import _export, _pages, needs_poppler
from tipline.runtime import Runtime

NOTES = 45  # enough for the history list to run over a page break


@needs_poppler
@pytest.mark.parametrize("locale", ["ar", "hi", "th"])
def test_no_word_is_lost_after_a_page_break(rt: Runtime, clock: FakeClock, tmp_path: Path, locale: str) -> None:
    locales = ("en", locale)
    app = console_app(rt, clock, catalogs=load_catalogs(rt.settings.locales_dir, locales), locales=locales)
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    for n in range(NOTES):
        assert post(admin, tip_id, "note", words=f"Visit {n:02d} checked mill gate")[0] in (200, 302, 303)
    admin.client.post("/language", data={"csrf": admin.token(f"/tips/{tip_id}"), "locale": locale, "back": tip_id})
    status, document, _ = _export(admin, tip_id, for_whom="Ana, Safe Harbor", partner="ngo")
    assert status == 200
    pages = _pages(document, tmp_path)
    assert len(pages) >= 3
    whole = " ".join(" ".join(pages).split())
    # The Latin words of each note come from the fallback font, on every page, before and after a break.
    missing = [n for n in range(NOTES) if f"Visit {n:02d} checked mill gate" not in whole]
    assert missing == [], f"{locale}: notes lost after a page break: {missing}"
