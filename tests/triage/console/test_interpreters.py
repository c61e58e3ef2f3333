"""Interpreters (issue 12): only the free text, sealed to the interpreter's key; the translation is a note."""

from __future__ import annotations

import html

from flask import Flask
from sqlalchemy import select

from storage import interpreters, keys
from storage.case_tables import Interpretation
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, table_of
from tests.test_no_plaintext import _database_bytes
from tests.triage.console.casework_support import audit, error_of, member, page_of, post, tip_ids
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime


def _interpreter(rt: Runtime, app: Flask, clock: FakeClock, username: str, *languages: str) -> Browser:
    with rt.db.begin() as conn:
        keys.add_staff(conn, username=username, passphrase=ADMIN_PASSPHRASE, is_admin=False, secrets=rt.secrets,
                       kdf=rt.settings.staff_kdf, now=0.0)
        interpreters.set_languages(conn, staff_id=keys.staff_id_of(conn, username), languages=languages)
    browser = Browser(app.test_client(), clock, username=username)
    browser.enrol()
    return browser


def test_an_interpreter_reads_only_the_free_text_and_the_translation_comes_back_as_a_note(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    lena = _interpreter(rt, app, clock, "lena", "en", "es")
    assert "lena: español (Spanish)" in page_of(admin, tip_id)
    assert post(admin, tip_id, "interpret", interpreter="nobody")[0] == 409
    assert post(admin, tip_id, "interpret", interpreter="lena") == (303, f"/tips/{tip_id}?done=asked")
    assert lena.client.get(f"/tips/{tip_id}").status_code == 404  # no queue: the tip itself stays closed
    listing = lena.client.get("/translations").get_data(as_text=True)
    link = listing.split('href="/translations/')[1].split('"')[0]
    text = lena.client.get(f"/translations/{link}").get_data(as_text=True)
    assert "passports \\x1b[2J" in text and "behind the mill on Route 9" in text
    assert "Is anyone in danger" not in text  # options and questions without free text stay out
    other = member(rt, app, clock, "ngo1", "ngo")
    assert other.client.get(f"/translations/{link}").status_code == 404
    token = lena.token(f"/translations/{link}")
    refused = lena.client.post(f"/translations/{link}", data={"csrf": token, "words": " "})
    assert refused.status_code == 409 and "Write the translation" in error_of(refused.get_data(as_text=True))
    sent = lena.client.post(f"/translations/{link}", data={"csrf": token, "words": "Traducido: MARMOTWORDS"})
    assert sent.status_code == 303
    page = html.unescape(page_of(admin, tip_id))
    assert "Translation from en:\nTraducido: MARMOTWORDS" in page and "(translation)" in page
    assert "MARMOTWORDS" in page_of(other, tip_id)  # sealed to every queue of the tip
    assert lena.client.post(f"/translations/{link}", data={"csrf": token, "words": "again"}).status_code == 404
    t = table_of(Interpretation)
    with rt.db.connect() as conn:
        assert [bytes(r.sealed) for r in conn.execute(select(t.c.sealed))] == [b""]  # her copy is gone
    assert b"MARMOTWORDS" not in _database_bytes(rt)
    steps = [(actor, action) for actor, action, subject in audit(rt) if action.startswith("interpret")]
    # Every reading of the text is audited (the page was shown three times: read, token, refused).
    assert steps == [(ADMIN, "interpret_request")] + [("lena", "interpret_open")] * 3 + [("lena", "interpret_done")]
