"""Engine events become sealed tip versions: which events seal, re-seals, urgent alerts, P1 kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Connection

from bot.types import ConversationState, Event, EventKind, Status
from storage import keys, refcodes, sealing, tips
from tests.factories import ADMIN, ADMIN_PASSPHRASE
from tipline.runtime import Runtime
from triage.sealer import TipSealer

NOW = 1_795_000_000.0
CODE = "7KQ2-M9XD-4TRW5"
DANGER = {"A2": "yes"}  # someone is in danger right now
SAFE = {"A2": "no", "B1": "A man keeps the workers' passports"}


@pytest.fixture
def sealer(rt: Runtime) -> TipSealer:
    return TipSealer(secrets=rt.secrets, rules=rt.rules, routing=rt.routing, region=rt.region,
                     code_kdf=rt.settings.code_kdf)


def state(answers: dict[str, Any], status: str = Status.ACTIVE) -> ConversationState:
    return ConversationState(locale="en", status=status, answers=dict(answers))


def seal(rt: Runtime, sealer: TipSealer, tip_id: str | None, st: ConversationState, *events: Event) -> str | None:
    with rt.db.begin() as conn:
        return sealer.apply(conn, tip_id=tip_id, state=st, events=list(events), channel="sms", now=NOW)


def meta(rt: Runtime, tip_id: str) -> tips.TipMeta:
    with rt.db.connect() as conn:
        found = tips.get_tip(conn, tip_id)
    assert found is not None
    return found


def opened(rt: Runtime, tip_id: str) -> dict[str, Any]:
    with rt.db.begin() as conn:
        member = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                             kdf=rt.settings.staff_kdf)
        return dict(json.loads(sealing.open_tip(conn, tip_id=tip_id, keys=member).payload))


def alerts(conn: Connection) -> list[tuple[str, str, str]]:
    return [(tip_id, priority, reason) for _, tip_id, priority, reason, _ in tips.open_alerts(conn)]


@pytest.mark.parametrize("kind", [EventKind.OPTED_OUT, EventKind.OPTED_IN])
def test_carrier_events_seal_nothing(rt: Runtime, sealer: TipSealer, kind: EventKind) -> None:
    assert seal(rt, sealer, None, state(SAFE), Event(kind, "carrier")) is None
    with rt.db.connect() as conn:
        assert tips.list_tips(conn) == []


def test_urgent_answer_seals_routes_and_raises_one_alert(rt: Runtime, sealer: TipSealer) -> None:
    tip_id = seal(rt, sealer, None, state(DANGER), Event(EventKind.URGENT, "danger"))
    assert tip_id is not None
    tip = meta(rt, tip_id)
    assert (tip.version, tip.status, tip.priority) == (1, "open", "P1")
    assert "danger" in tip.categories and "police" in tip.queues
    with rt.db.connect() as conn:
        assert alerts(conn) == [(tip_id, "P1", "danger")]
    payload = opened(rt, tip_id)
    assert payload["kind"] == "snapshot" and payload["answers"] == DANGER
    assert payload["events"] == [{"kind": "urgent", "reason": "danger"}]


def test_reseal_makes_a_new_version_and_never_lowers_a_p1(rt: Runtime, sealer: TipSealer) -> None:
    tip_id = seal(rt, sealer, None, state(DANGER), Event(EventKind.URGENT, "danger"))
    # Later answers alone would score lower; the tip keeps its P1 and its reason.
    again = seal(rt, sealer, tip_id, state(SAFE, Status.FINISHED), Event(EventKind.COMPLETE, "close", code=CODE))
    assert again == tip_id and tip_id is not None
    tip = meta(rt, tip_id)
    assert (tip.version, tip.status, tip.reason, tip.priority) == (2, "complete", "close", "P1")
    assert tip.has_code
    with rt.db.connect() as conn:
        found = tips.find_by_code_hash(conn, refcodes.code_hash(CODE, secrets=rt.secrets, kdf=rt.settings.code_kdf))
        assert found is not None and found.id == tip_id
        assert len(alerts(conn)) == 1  # the close raised no second alert
    assert opened(rt, tip_id)["answers"] == SAFE


def test_incomplete_interview_is_sealed_with_its_reason(rt: Runtime, sealer: TipSealer) -> None:
    tip_id = seal(rt, sealer, None, state(SAFE, Status.ENDED), Event(EventKind.INCOMPLETE, "done"))
    assert tip_id is not None
    tip = meta(rt, tip_id)
    assert (tip.version, tip.status, tip.reason) == (1, "incomplete", "done")
    assert tip.priority != "P1" and not tip.has_code
    with rt.db.connect() as conn:
        assert alerts(conn) == []


def test_words_added_after_the_close_are_sealed_as_an_addendum(rt: Runtime, sealer: TipSealer) -> None:
    tip_id = seal(rt, sealer, None, state(SAFE, Status.FINISHED), Event(EventKind.COMPLETE, "close", code=CODE))
    before = meta(rt, tip_id or "")
    later = state({"addenda": ["They moved the workers to a new farm"]}, Status.FINISHED)
    assert seal(rt, sealer, tip_id, later, Event(EventKind.UPDATED, "more")) == tip_id
    after = meta(rt, tip_id or "")
    assert after.version == 2 and (after.status, after.priority, after.queues) == (
        before.status, before.priority, before.queues)
    payload = opened(rt, tip_id or "")
    assert payload["kind"] == "addendum" and payload["texts"] == ["They moved the workers to a new farm"]
