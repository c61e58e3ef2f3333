"""A closed or duplicate case the reporter adds to reopens, so a new P1 is pulled again.

Each runs on SQLite and PostgreSQL through the intake service, as a reporter would write.
"""

from __future__ import annotations

import pytest

from storage import cases, claims, tip_history, tips
from tests.factories import FakeClock, Reporter, service_with_clock
from tests.triage.test_coming_back import all_tips, finished
from tipline.runtime import Runtime
from triage.intake import IntakeService


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


def settle(rt: Runtime, tip_id: str, status: str) -> None:
    """A member closes (or marks duplicate) the case and acknowledges its alert, as the console does."""
    [tip] = all_tips(rt)
    with rt.db.begin() as conn:
        assert cases.set_status(conn, tip_id=tip_id, expect="new", status=status, staff_id="s1", now=1.0,
                                close_reason="insufficient" if status == "closed" else None)
        for alert in tips.open_alert_list(conn):
            tips.acknowledge_alert(conn, alert_id=alert.id, now=1.0)
        assert claims.claim_next(conn, staff_id="s1", queues=tip.queues, now=2.0) is None


def test_danger_after_done_on_a_closed_case_reopens_it_alerts_and_is_pulled(
    rt: Runtime, service: IntakeService
) -> None:
    reporter, _ = finished(service)
    [tip] = all_tips(rt)
    settle(rt, tip.id, "closed")
    reporter.send("help someone is hurt now")
    with rt.db.begin() as conn:
        case = cases.get(conn, tip.id)
        alerts = tips.open_alert_list(conn)
        pulled = claims.claim_next(conn, staff_id="s2", queues=tip.queues, now=3.0)
        actions = [(e.actor, e.action) for e in tip_history.audit_of_tip(conn, tip.id)]
    assert case.status == "in_review" and case.close_reason is None
    assert [a.tip_id for a in alerts] == [tip.id]  # pages again: the old alert was acknowledged
    assert pulled is not None and pulled.tip_id == tip.id
    assert ("line", "case.reopened") in actions


def test_a_followup_by_code_on_a_duplicate_reopens_it(rt: Runtime, service: IntakeService) -> None:
    _, code = finished(service)
    [tip] = all_tips(rt)
    settle(rt, tip.id, "duplicate")
    other = Reporter(service, "+15550299")
    other.send(f"{code} they moved the workers to a house on Elm street")
    assert "added" in other.last.lower()
    with rt.db.begin() as conn:
        assert cases.get(conn, tip.id).status == "in_review"
        pulled = claims.claim_next(conn, staff_id="s2", queues=tip.queues, now=3.0)
    assert pulled is not None and pulled.tip_id == tip.id


def test_words_on_an_open_case_leave_its_status(rt: Runtime, service: IntakeService) -> None:
    reporter, _ = finished(service)
    [tip] = all_tips(rt)
    reporter.send("they moved the workers to a house on Elm street")
    with rt.db.connect() as conn:
        assert cases.get(conn, tip.id).status == "new"
        assert ("line", "case.reopened") not in [(e.actor, e.action) for e in tip_history.audit_of_tip(conn, tip.id)]
