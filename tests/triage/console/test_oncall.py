"""The console's on-call pages: admins edit the rota (addresses sealed, never shown), members
acknowledge the P1 alerts of their own queues, each action audited."""

from __future__ import annotations

import re

from flask import Flask

from storage import audit, keys, oncall, tips
from storage.db import read_only
from tests.factories import FakeClock
from tests.oncall.support import rota
from tests.triage.console.support import DANGER_TIP, Browser, add_member, console_app, give_tips
from tipline.runtime import Runtime

PHONE = "+15557771234"


def _actions(rt: Runtime) -> list[str]:
    from sqlalchemy import text

    with read_only(rt.db) as conn:
        return [r.action for r in conn.execute(text("SELECT action FROM auditentry ORDER BY seq"))]


def test_admin_adds_people_and_the_page_never_shows_an_address(rt: Runtime, admin: Browser) -> None:
    token = admin.token("/oncall")
    added = admin.client.post("/oncall/people", data={"csrf": token, "name": "Day desk", "channel": "sms",
                                                      "address": "+1 555 777 1234", "locale": "es"})
    assert added.status_code == 303
    admin.client.post("/oncall/people", data={"csrf": token, "name": "Night", "channel": "telegram",
                                              "address": "", "locale": "en"})
    html = admin.client.get("/oncall").get_data(as_text=True)
    assert "Day desk" in html and "Night" in html and "Telegram not enrolled yet" in html
    assert "5557771234" not in html
    first, second = rota(rt)
    assert (first.name, first.channel, first.locale, first.enrolled) == ("Day desk", "sms", "es", True)
    assert (second.channel, second.enrolled) == ("telegram", False)
    assert _actions(rt).count("oncall_add") == 2


def test_bad_input_gets_an_answer_that_says_what_to_fix(admin: Browser) -> None:
    token = admin.token("/oncall")
    answer = admin.client.post("/oncall/people", data={"csrf": token, "name": "Desk", "channel": "sms",
                                                       "address": "555-1234", "locale": "en"})
    assert answer.status_code == 400
    assert "international form" in answer.get_data(as_text=True)
    answer = admin.client.post("/oncall/people", data={"csrf": token, "name": "Desk", "channel": "sms",
                                                       "address": PHONE, "locale": "xx"})
    assert answer.status_code == 400 and "language must be one of" in answer.get_data(as_text=True)


def test_a_telegram_link_is_shown_once_and_the_order_can_change(rt: Runtime, app: Flask, admin: Browser) -> None:
    token = admin.token("/oncall")
    for name in ("A", "B"):
        admin.client.post("/oncall/people", data={"csrf": token, "name": name, "channel": "telegram", "locale": "en"})
    a, b = rota(rt)
    shown = admin.client.post(f"/oncall/people/{a.id}", data={"csrf": token, "action": "link"})
    found = re.search(r'id="enrol-link">([^<]+)<', shown.get_data(as_text=True))
    assert found and found.group(1).startswith(("https://t.me/", "/start oc_"))
    assert oncall.ENROL_PREFIX in found.group(1)
    moved = admin.client.post(f"/oncall/people/{b.id}", data={"csrf": token, "action": "up"})
    assert moved.status_code == 303
    assert [e.name for e in rota(rt)] == ["B", "A"]
    admin.client.post(f"/oncall/people/{a.id}", data={"csrf": token, "action": "remove"})
    assert [e.name for e in rota(rt)] == ["B"]
    assert {"oncall_link", "oncall_move", "oncall_remove"} <= set(_actions(rt))


def test_the_rota_is_for_admins_only(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    add_member(rt, "worker", "police")
    member = Browser(app.test_client(), clock, username="worker")
    member.enrol()
    assert member.client.get("/oncall").status_code == 403  # as /admin/members answers, not the tip 404
    assert member.client.get("/admin/members").status_code == 403
    answer = member.client.post("/oncall/people", data={"csrf": member.token(), "name": "x", "channel": "sms",
                                                         "address": PHONE, "locale": "en"})
    assert answer.status_code == 403 and not rota(rt)


def test_acknowledge_from_the_alerts_page(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP)
    with read_only(rt.db) as conn:
        (alert,) = tips.open_alert_list(conn)
    page = admin.client.get("/alerts").get_data(as_text=True)
    assert alert.tip_id[:8] in page and "Acknowledge" in page
    answer = admin.client.post(f"/alerts/{alert.tip_id}/ack", data={"csrf": admin.token("/alerts")})
    assert answer.status_code == 303
    with read_only(rt.db) as conn:
        assert not tips.open_alert_list(conn)
        assert audit.verify(conn, secrets=rt.secrets).ok
    assert "alert_ack" in _actions(rt)
    assert "No open alerts" in admin.client.get("/alerts").get_data(as_text=True)


def test_a_member_of_another_partner_cannot_see_or_acknowledge(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP)
    with read_only(rt.db) as conn:
        (alert,) = tips.open_alert_list(conn)
        queues = set(tips.get_tip(conn, alert.tip_id).queues)  # type: ignore[union-attr]
    with read_only(rt.db) as conn:
        other = next(q for q in keys.list_queues(conn) if q not in queues)
    add_member(rt, "outsider", other)
    member = Browser(app.test_client(), clock, username="outsider")
    member.enrol()
    assert alert.tip_id[:8] not in member.client.get("/alerts").get_data(as_text=True)
    answer = member.client.post(f"/alerts/{alert.tip_id}/ack", data={"csrf": member.token("/alerts")})
    assert answer.status_code == 404
    with read_only(rt.db) as conn:
        assert len(tips.open_alert_list(conn)) == 1


def test_the_rota_page_says_unreachable_when_the_channel_cannot_send(rt: Runtime, clock: FakeClock) -> None:
    app = console_app(rt, clock, oncall_unreachable={"sms": "SMS provider not configured"})
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    admin.client.post("/oncall/people", data={"csrf": admin.token("/oncall"), "name": "Day desk", "channel": "sms",
                                              "address": PHONE, "locale": "en"})
    page = admin.client.get("/oncall").get_data(as_text=True)
    assert "unreachable: SMS provider not configured" in page and ">yes<" not in page
