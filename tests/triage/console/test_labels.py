"""Small labels staff read (a triage trial): the queue's Claim column, language pickers by name,
and "Why this priority" without lines that add nothing."""

from __future__ import annotations

from flask import Flask

from tests.factories import FakeClock
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime


def test_an_unclaimed_tip_is_free_in_the_claim_column(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    page = admin.client.get("/").get_data(as_text=True)
    assert "<td>free</td>" in page and "<td>new</td>" not in page


def test_language_pickers_show_names_not_codes(rt: Runtime, app: Flask, admin: Browser, clock: FakeClock) -> None:
    login = app.test_client().get("/login").get_data(as_text=True)
    assert '<option value="es">español (Spanish)</option>' in login and ">es</option>" not in login
    give_tips(rt, clock, LABOUR_TIP)
    tip_path = admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"]
    page = admin.client.get(tip_path).get_data(as_text=True)
    assert ">español (Spanish)</option>" in page and ">en</option>" not in page and ">English</option>" in page


def test_why_this_priority_reads_as_sentences(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    tip_path = admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"]
    page = admin.client.get(tip_path).get_data(as_text=True)
    assert "recency not given" not in page and " x1 = " not in page and " x1<" not in page
    assert "C.leave" not in page and "C.docs" not in page
