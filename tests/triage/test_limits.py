"""Abuse limits (issue 13): one polite reply, then silence; nothing lost; danger always answered."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import func, select

from bot.types import InboundMessage
from storage import held
from storage.tables import Alert
from tests.factories import FakeClock, Reporter, initialised_runtime, limited_service
from tipline.runtime import Runtime
from tipline.settings import Settings
from triage.intake import IntakeService

LIMIT = 4
SLOW_DOWN = "You have sent many messages quickly"
EMERGENCY = "call 911"


def limited(rt: Runtime, clock: FakeClock, *, flood: int = 1000) -> IntakeService:
    return limited_service(rt, clock, per_sender=LIMIT, flood=flood)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(rt: Runtime, clock: FakeClock) -> IntakeService:
    return limited(rt, clock)


def waiting(rt: Runtime) -> int:
    with rt.db.connect() as conn:
        return held.waiting(conn)


def alerts(rt: Runtime) -> int:
    with rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Alert.__table__)).scalar_one())  # type: ignore[attr-defined]


def test_a_sender_over_the_limit_gets_one_polite_reply_then_silence_and_others_are_untouched(
    rt: Runtime, service: IntakeService, clock: FakeClock,
) -> None:
    flooder, other = Reporter(service, "+15550001111"), Reporter(service, "+15550002222")
    for _ in range(LIMIT):
        assert SLOW_DOWN not in flooder.send("hi").replies[0].text  # under the limit: the interview
    over = [flooder.send(f"line {i}") for i in range(6)]
    texts = [" ".join(r.text for r in h.replies) for h in over]
    assert SLOW_DOWN in texts[0] and texts[1:] == [""] * 5, texts
    assert waiting(rt) == 6  # every message over the limit is kept, none dropped

    assert other.send("hi").replies and SLOW_DOWN not in other.last  # another sender is answered as usual


def test_danger_is_answered_every_time_but_its_alert_waits_with_the_rest(
    rt: Runtime, service: IntakeService, clock: FakeClock,
) -> None:
    reporter = Reporter(service, "+15550003333")
    for _ in range(LIMIT):
        reporter.send("hi")
    first, second = reporter.send("sos I am in danger"), reporter.send("sos help me")
    assert EMERGENCY in first.replies[0].text and SLOW_DOWN in first.replies[-1].text
    assert len(second.replies) == 1 and EMERGENCY in second.replies[0].text  # no second "slow down"
    assert alerts(rt) == 0  # "sos" is no way around the limits: no tip, no page yet
    assert waiting(rt) == 2

    # Once the window has passed the worker feeds what was held, in order, through the normal path.
    clock.advance(61)
    assert service.gate is not None
    fed = service.gate.feed()["held_fed"] + service.gate.feed()["held_fed"]
    assert fed == 2 and waiting(rt) == 0
    assert alerts(rt) == 1


def test_a_redelivered_held_message_is_answered_the_same_and_kept_once(
    rt: Runtime, service: IntakeService,
) -> None:
    reporter = Reporter(service, "+15550004444")
    for _ in range(LIMIT):
        reporter.send("hi")
    msg = InboundMessage(channel="sms", address="+15550004444", text="more", provider_id="SM-again")
    first = service.handle(msg)
    again = service.handle(msg)
    assert again.duplicate and [r.text for r in again.replies] == [r.text for r in first.replies]
    assert SLOW_DOWN in first.replies[0].text
    assert waiting(rt) == 1


def test_carrier_words_are_never_held(rt: Runtime, service: IntakeService) -> None:
    reporter = Reporter(service, "+15550005555")
    for _ in range(LIMIT):
        reporter.send("hi")
    reporter.send("STOP")
    assert waiting(rt) == 0
    assert reporter.send("anything").replies == []  # opted out: nothing goes to the number


def test_the_flood_guard_holds_what_a_process_cannot_take_and_says_so_once_per_sender(
    rt: Runtime, clock: FakeClock,
) -> None:
    service = limited(rt, clock, flood=3)
    answered = [Reporter(service, f"+1555000{i:04d}").send("hi") for i in range(5)]
    assert [SLOW_DOWN in " ".join(r.text for r in h.replies) for h in answered] == [False] * 3 + [True] * 2
    assert waiting(rt) == 2
    clock.advance(61)
    assert service.gate is not None and service.gate.feed()["held_fed"] == 2


@pytest.fixture
def spanish(settings: Settings) -> Iterator[Runtime]:
    runtime = initialised_runtime(settings.with_(locales=("en", "es")))
    yield runtime
    runtime.close()


def test_the_polite_reply_is_in_the_senders_language(spanish: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(limited(spanish, clock), "+15550006666")
    reporter.send("Un hombre le quita los pasaportes a los trabajadores de la fábrica y no les paga")
    for _ in range(LIMIT):
        reporter.send("sí")
    assert "Enviaste muchos mensajes" in reporter.last
