"""The alert loop on a fake clock: first person at once, the next after the escalation time, and
nobody more once the alert is acknowledged or the tip claimed; the text names nothing."""

from __future__ import annotations

import threading

from bot import load_catalogs
from storage import claims, keys, oncall_pages, tips
from storage.db import read_only
from tests.factories import FakeClock
from tests.fakes.twilio import FakeTwilio
from tests.oncall.support import ESCALATE, STAFF, add_people, alert_loop, sms_rota, urgent_tip
from tipline.runtime import Runtime
from triage.oncall_messages import ALERT


def _sent(fake: FakeTwilio) -> list[str]:
    with fake.lock:
        return [c.to for c in fake.created if c.to in STAFF]


def _tip_id(rt: Runtime) -> str:
    with read_only(rt.db) as conn:
        (alert,) = tips.open_alert_list(conn)
    return alert.tip_id


def test_unclaimed_alert_escalates_down_the_rota_and_round(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 2)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        assert loop.run_once() == 1
        assert _sent(fake_twilio) == [STAFF[0]]
        clock.advance(ESCALATE - 1)
        assert loop.run_once() == 0, "nobody else before the escalation time"
        clock.advance(1)
        assert loop.run_once() == 1
        assert _sent(fake_twilio) == [STAFF[0], STAFF[1]]
        clock.advance(ESCALATE)
        loop.run_once()
        assert _sent(fake_twilio) == [STAFF[0], STAFF[1], STAFF[0]], "after the last person, round again"
    finally:
        loop.close()


def test_acknowledgement_stops_the_alerts(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 2)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        loop.run_once()
        with rt.db.begin() as conn:
            assert oncall_pages.acknowledge_tip(conn, tip_id=_tip_id(rt), now=clock()) == 1
        for _ in range(3):
            clock.advance(ESCALATE)
            assert loop.run_once() == 0
        assert _sent(fake_twilio) == [STAFF[0]]
    finally:
        loop.close()


def test_claiming_the_tip_holds_the_alerts_until_the_claim_lapses(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 2)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        loop.run_once()
        with rt.db.begin() as conn:
            admin = keys.staff_id_of(conn, "admin")
            claim = claims.claim_next(conn, staff_id=admin, queues=keys.member_queues(conn, admin), now=clock())
        assert claim is not None
        clock.advance(ESCALATE)
        assert loop.run_once() == 0
        assert _sent(fake_twilio) == [STAFF[0]]
        clock.advance(claims.P1_LEASE_SECONDS)  # the member walked away: the tip is unclaimed again
        assert loop.run_once() == 1
        assert _sent(fake_twilio) == [STAFF[0], STAFF[1]]
    finally:
        loop.close()


def test_the_alert_names_no_tip_content_and_no_queue(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 1)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        reporter = urgent_tip(rt, clock)
        reporter.send("QUOKKA77 holds them at the Blue Lantern")
        loop.run_once()
    finally:
        loop.close()
    (body,) = fake_twilio.bodies_to(STAFF[0])
    english = load_catalogs(rt.settings.locales_dir, ("en",)).text("en", ALERT)
    assert body == english and "urgent report is waiting" in body
    tip_id = _tip_id(rt)
    with read_only(rt.db) as conn:
        queues = keys.list_queues(conn)
    lowered = body.lower()
    assert queues and not any(q.lower() in lowered for q in queues), "a queue name in the alert"
    for leak in ("quokka", "lantern", tip_id[:6], "p1", "danger"):
        assert leak not in lowered


def test_each_person_gets_the_alert_in_their_language(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    add_people(rt, ("escritorio", "sms", STAFF[0]), locale="es")
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        loop.run_once()
    finally:
        loop.close()
    spanish = load_catalogs(rt.settings.locales_dir, ("es",)).text("es", ALERT)
    assert fake_twilio.bodies_to(STAFF[0]) == [spanish]


def test_an_unreachable_person_passes_the_alert_on_at_once(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    add_people(rt, ("not enrolled", "telegram", None), ("desk", "sms", STAFF[1]))
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        loop.run_once()
        loop.run_once()  # same instant: the skipped person's step is due again at once
    finally:
        loop.close()
    assert _sent(fake_twilio) == [STAFF[1]]


def test_provider_failure_moves_on_and_is_retried(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 1)
    loop = alert_loop(rt, twilio=fake_twilio, clock=clock)
    try:
        urgent_tip(rt, clock)
        fake_twilio.server_error(count=1)
        assert loop.run_once() == 0
        clock.advance(loop.retry_seconds)
        assert loop.run_once() == 1
    finally:
        loop.close()
    assert _sent(fake_twilio) == [STAFF[0]]


def test_two_loops_never_send_one_alert_twice(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 1)
    for n in range(6):
        urgent_tip(rt, clock, address=f"+1555777{n:04d}")
    loops = [alert_loop(rt, twilio=fake_twilio, clock=clock) for _ in range(3)]
    try:
        threads = [threading.Thread(target=loop.run_once) for loop in loops]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for loop in loops:
            loop.close()
    assert len(_sent(fake_twilio)) == 6, "one alert per urgent tip, whichever loop sent it"
