"""An alert that did not go out shows on the console's /alerts: to whom, when, and a reason class
("provider refused (HTTP 400)"), never the address nor what the provider said."""

from __future__ import annotations

import html

from storage import oncall
from tests.factories import FakeClock
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.oncall.support import STAFF, add_people, alert_loop, urgent_tip
from tests.test_no_plaintext import _database_bytes
from tests.triage.console.support import Browser, console_app
from tipline.runtime import Runtime

CHAT = 424242
REFUSAL = {"code": 21211, "message": f"The 'To' number {STAFF[0]} is not a valid phone number.", "status": 400}


def _admin(rt: Runtime, clock: FakeClock) -> Browser:
    admin = Browser(console_app(rt, clock).test_client(), clock)
    admin.enrol()
    return admin


def _alerts_page(admin: Browser) -> str:
    return html.unescape(admin.client.get("/alerts").get_data(as_text=True))


def test_a_refused_sms_alert_shows_on_the_alerts_page(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    add_people(rt, ("Day desk", "sms", STAFF[0]), ("Night desk", "sms", STAFF[1]))
    fake_twilio.fail("create", status=400, body=REFUSAL)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        assert loop.run_once() == 0, "the provider refused the first person"
        assert loop.run_once() == 1, "the next person is alerted at once"
    finally:
        loop.close()
    clock.advance(120)
    page = _alerts_page(_admin(rt, clock))
    assert "SMS to Day desk failed 2 min ago: provider refused (HTTP 400)" in page
    assert STAFF[0] not in page and "not a valid" not in page
    stored = _database_bytes(rt)
    assert b"not a valid" not in stored and STAFF[0].encode() not in stored


def test_telegram_failures_and_an_unenrolled_person_show_their_reason(
    rt: Runtime, fake_telegram: FakeTelegram
) -> None:
    clock = FakeClock()
    blocked, unenrolled = add_people(rt, ("Ana", "telegram", None), ("Ben", "telegram", None))
    with rt.db.begin() as conn:
        key = oncall.rota_key(conn)
        assert key is not None
        oncall.set_address(conn, member_id=blocked,
                           sealed=oncall.seal_address(key, member_id=blocked, address=str(CHAT)))
    fake_telegram.fail("sendMessage", status=403, body={
        "ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    loop = alert_loop(rt, telegram=fake_telegram, clock=clock)
    admin = _admin(rt, clock)
    try:
        urgent_tip(rt, clock)
        loop.run_once()
        assert "Telegram to Ana failed 0 min ago: provider refused (HTTP 403)" in _alerts_page(admin)
        loop.run_once()
        assert "Telegram to Ben failed 0 min ago: no Telegram chat enrolled" in _alerts_page(admin)
    finally:
        loop.close()
    assert fake_telegram.texts(CHAT) == []
    with rt.db.begin() as conn:
        oncall.remove_member(conn, unenrolled)
    assert "Telegram to a person since removed from the rota failed" in _alerts_page(admin)


def test_an_alert_that_went_out_shows_no_failure(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    add_people(rt, ("Day desk", "sms", STAFF[0]))
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        assert loop.run_once() == 1
    finally:
        loop.close()
    page = _alerts_page(_admin(rt, clock))
    assert "Last failure" in page and "failed" not in page
