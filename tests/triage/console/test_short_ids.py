"""The 8-character ids the queue, `tipline tips list` and alerts show open the tip when they name
exactly one tip the member may see (the page redirects to the full id); otherwise the same 404."""

from __future__ import annotations

from flask import Flask

from storage import keys, tips
from storage.db import read_only
from tests.factories import FakeClock
from tests.triage.console.api_support import call, fresh, token_of
from tests.triage.console.casework_support import member, post
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, Browser, add_member, give_tips
from tipline.runtime import Runtime


def _tip_ids(rt: Runtime) -> list[str]:
    with read_only(rt.db) as conn:
        return [t.id for t in tips.list_tips(conn)]


def test_a_short_id_redirects_the_page_and_opens_through_the_api(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    [tip_id] = _tip_ids(rt)
    short = tip_id[:8]
    assert short in admin.client.get("/").get_data(as_text=True)
    answer = admin.client.get(f"/tips/{short}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/tips/{tip_id}")
    client, token = fresh(admin), token_of(admin)
    status, body = call(client, "GET", f"/api/v1/tips/{short}", token)
    assert status == 200 and body["tip_id"] == tip_id
    call(client, "POST", "/api/v1/next", token)
    status, body = call(client, "POST", f"/api/v1/tips/{short}/release", token)
    assert status == 200 and body["tip_id"] == tip_id


def test_a_short_id_of_another_partners_tip_or_of_nothing_is_the_same_404(
    rt: Runtime, app: Flask, clock: FakeClock
) -> None:
    give_tips(rt, clock, DANGER_TIP)
    [tip_id] = _tip_ids(rt)
    with read_only(rt.db) as conn:
        queues = set(tips.get_tip(conn, tip_id).queues)  # type: ignore[union-attr]
        other = next(q for q in keys.list_queues(conn) if q not in queues)
    add_member(rt, "outsider", other)
    member = Browser(app.test_client(), clock, username="outsider")
    member.enrol()
    unknown = "0" * 8 if not tip_id.startswith("0" * 8) else "f" * 8
    for short in (tip_id[:8], unknown, tip_id[:7]):
        assert member.client.get(f"/tips/{short}").status_code == 404
        status, _ = call(fresh(member), "GET", f"/api/v1/tips/{short}", token_of(member))
        assert status == 404


def test_a_short_id_opens_a_tip_referred_to_the_members_queue(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # routed to triage, ngo, labour: not police
    [tip_id] = _tip_ids(rt)
    short = tip_id[:8]
    police = member(rt, app, clock, "cop1", "police")
    assert police.client.get(f"/tips/{short}").status_code == 404
    assert post(admin, tip_id, "refer", queue="police", reason="passports held")[0] == 303
    answer = police.client.get(f"/tips/{short}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/tips/{tip_id}")
    client, token = fresh(police), token_of(police)
    status, body = call(client, "GET", f"/api/v1/tips/{short}", token)
    assert status == 200 and body["tip_id"] == tip_id
    assert call(client, "POST", "/api/v1/next", token)[1]["claim"]["tip_id"] == tip_id
    status, body = call(client, "POST", f"/api/v1/tips/{short}/release", token)
    assert status == 200 and body["tip_id"] == tip_id
