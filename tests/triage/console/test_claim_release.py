"""Claiming a particular tip from its page, and giving back only a tip one holds."""

from __future__ import annotations

from flask import Flask

from storage import claims, keys, tips
from storage.claims import P1_LEASE_SECONDS
from tests.factories import ADMIN, FakeClock
from tests.triage.console.casework_support import audit, error_of, member, page_of, post, tip_ids
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime

CLAIM_BUTTON = '<button type="submit">Claim</button>'
HELD = "Another member holds this tip: wait until they give it back or their claim ends."
NOT_HELD = "You do not hold this tip; nothing changed."


def _holder(rt: Runtime, tip_id: str, clock: FakeClock) -> claims.Claim | None:
    with rt.db.connect() as conn:
        return claims.holder(conn, tip_id=tip_id, now=clock())


def _staff_id(rt: Runtime, username: str) -> str:
    with rt.db.connect() as conn:
        return str(keys.staff_id_of(conn, username))


def _queues(rt: Runtime, tip_id: str) -> tuple[str, str]:
    """A queue the tip is in, and one it is not in."""
    with rt.db.connect() as conn:
        routed = tips.get_tip(conn, tip_id).queues  # type: ignore[union-attr]
        other = next(q for q in keys.list_queues(conn) if q not in routed)
    return routed[0], other


def test_a_free_tip_is_claimed_from_its_page_as_a_pull_would(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP, DANGER_TIP)
    labour, danger = tip_ids(rt)
    assert CLAIM_BUTTON in page_of(admin, danger)  # not the next one a pull gives: this one
    response = admin.client.post(f"/tips/{danger}/claim", data={})
    assert response.status_code == 400 and _holder(rt, danger, clock) is None  # no form token, no claim
    assert post(admin, danger, "claim") == (303, f"/tips/{danger}?done=claimed")
    held = _holder(rt, danger, clock)
    assert held is not None and held.staff_id == _staff_id(rt, ADMIN)
    assert held.lease_until == clock() + P1_LEASE_SECONDS  # the P1 lease a pull gives
    assert (ADMIN, "claim", danger) in audit(rt)
    with rt.db.connect() as conn:
        assert not tips.open_alert_list(conn)  # claiming acknowledges the urgent tip's alert, as pulling does
    page = page_of(admin, danger)
    assert "yours until" in page and CLAIM_BUTTON not in page and "Give it back to the queue" in page
    assert _holder(rt, labour, clock) is None


def test_a_tip_another_member_holds_is_not_claimed_and_an_unseen_one_is_a_404(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    inside, outside = _queues(rt, tip_id)
    colleague = member(rt, app, clock, "colleague", inside)
    outsider = member(rt, app, clock, "outsider", outside)
    assert post(admin, tip_id, "claim")[0] == 303
    page = page_of(colleague, tip_id)
    assert "held by another member" in page and CLAIM_BUTTON not in page
    status, page = post(colleague, tip_id, "claim")
    assert status == 409 and error_of(page) == HELD
    assert outsider.client.post(f"/tips/{tip_id}/claim", data={"csrf": outsider.token("/")}).status_code == 404
    assert admin.client.post("/tips/0123456789abcdef/claim", data={"csrf": admin.token("/")}).status_code == 404
    held = _holder(rt, tip_id, clock)
    assert held is not None and held.staff_id == _staff_id(rt, ADMIN)
    assert [a for a in audit(rt) if a[1] == "claim"] == [(ADMIN, "claim", tip_id)]


def test_releasing_a_tip_one_does_not_hold_changes_nothing_and_says_so(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    inside, outside = _queues(rt, tip_id)
    colleague = member(rt, app, clock, "colleague", inside)
    outsider = member(rt, app, clock, "outsider", outside)
    status, page = post(colleague, tip_id, "release")
    assert status == 409 and error_of(page) == NOT_HELD  # nobody holds it: nothing to give back
    assert post(admin, tip_id, "claim")[0] == 303
    status, page = post(colleague, tip_id, "release")
    assert status == 409 and error_of(page) == NOT_HELD and "went back to the queue" not in page
    assert outsider.client.post(f"/tips/{tip_id}/release", data={"csrf": outsider.token("/")}).status_code == 404
    unknown = colleague.client.post("/tips/0123456789abcdef/release", data={"csrf": colleague.token("/")})
    assert unknown.status_code == 404
    held = _holder(rt, tip_id, clock)
    assert held is not None and held.staff_id == _staff_id(rt, ADMIN)
    assert not [a for a in audit(rt) if a[1] == "release"]
    assert post(admin, tip_id, "release") == (303, "/?note=released")
    assert "The tip went back to the queue." in admin.client.get("/?note=released").get_data(as_text=True)
    assert _holder(rt, tip_id, clock) is None and (ADMIN, "release", tip_id) in audit(rt)


def test_a_closed_case_is_not_claimed_as_it_is_not_pulled(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    assert post(admin, tip_id, "close", reason="insufficient", words="")[0] == 303
    assert CLAIM_BUTTON not in page_of(admin, tip_id)
    status, page = post(admin, tip_id, "claim")
    assert status == 409 and error_of(page) == "This case is closed: reopen it (in review) before claiming it."
    assert _holder(rt, tip_id, clock) is None
