"""Pulling a tip acknowledges its open alert (README "On-call alerts"): the console's "Pull the
next tip", opening a tip one holds, ``POST /api/v1/next``; closing a case releases it and
acknowledges its alert.  Each acknowledgement is audited."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from storage import claims, tips
from storage.db import read_only
from tests.factories import FakeClock
from tests.triage.console.api_support import call, fresh, token_of
from tests.triage.console.support import DANGER_TIP, Browser, give_tips
from tipline.runtime import Runtime


def _acks(rt: Runtime) -> list[str]:
    with read_only(rt.db) as conn:
        return [r.subject for r in conn.execute(text("SELECT subject FROM auditentry WHERE action = 'alert_ack'"))]


def _open(rt: Runtime) -> list[str]:
    with read_only(rt.db) as conn:
        return [a.tip_id for a in tips.open_alert_list(conn)]


def test_pulling_the_next_tip_acknowledges_its_alert(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _open(rt)
    where = admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"]
    assert where.endswith(f"/tips/{tip_id}")
    assert _open(rt) == [] and _acks(rt) == [tip_id]
    assert tip_id[:8] not in admin.client.get("/alerts").get_data(as_text=True)


def test_the_api_next_acknowledges_its_alert(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _open(rt)
    status, body = call(fresh(admin), "POST", "/api/v1/next", token_of(admin))
    assert status == 200 and body["claim"]["tip_id"] == tip_id
    assert _open(rt) == [] and _acks(rt) == [tip_id]


def test_opening_a_tip_one_holds_acknowledges_an_alert_raised_since(
    rt: Runtime, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _open(rt)
    admin.client.post("/next", data={"csrf": admin.token()})
    with rt.db.begin() as conn:  # danger comes back while the member holds the tip
        tips.raise_alert(conn, tip_id=tip_id, priority="P1", reason="danger", now=clock())
    assert _open(rt) == [tip_id]
    assert admin.client.get(f"/tips/{tip_id}").status_code == 200
    assert _open(rt) == [] and _acks(rt) == [tip_id, tip_id]


def test_opening_a_tip_held_by_nobody_leaves_its_alert_open(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _open(rt)
    assert admin.client.get(f"/tips/{tip_id}").status_code == 200
    assert _open(rt) == [tip_id] and _acks(rt) == []


def test_closing_a_case_releases_it_and_acknowledges_its_alert(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _open(rt)
    admin.client.post("/next", data={"csrf": admin.token()})
    with rt.db.begin() as conn:
        tips.raise_alert(conn, tip_id=tip_id, priority="P1", reason="danger", now=clock())
    # the form's token from the queue page: opening the tip first would acknowledge it already
    closed = admin.client.post(f"/tips/{tip_id}/close", data={"csrf": admin.token("/"), "reason": "insufficient"})
    assert closed.status_code == 303
    with read_only(rt.db) as conn:
        assert claims.holder(conn, tip_id=tip_id, now=clock()) is None
    assert _open(rt) == []
    assert _acks(rt) == [tip_id, tip_id]
