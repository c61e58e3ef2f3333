"""The intake service end to end: one message, one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot import Engine
from bot.types import Context, ConversationState, InboundMessage, Outcome
from storage import conversations, keys, refcodes, sealing, tips
from storage.tables import Conversation, Inbound, OptOut
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock, table_of
from tipline.runtime import Runtime


CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
# A witness who answers every core question and then finishes ("2 No, finish now").
WITNESS = ["hi", "2", "1", "A man keeps the workers' passports", "1", "2", "1 2", "1", "0", "2", "1", "2"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_latest(rt: Runtime, tip_id: str) -> dict[str, Any]:
    with rt.db.begin() as conn:
        member = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                             kdf=rt.settings.staff_kdf)
        tip: dict[str, Any] = json.loads(sealing.open_tip(conn, tip_id=tip_id, keys=member).payload)
        return tip


def all_tips(rt: Runtime) -> list[tips.TipMeta]:
    with rt.db.connect() as conn:
        return tips.list_tips(conn)


def count_rows(rt: Runtime, table: type[SQLModel]) -> int:
    with rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(table))).scalar() or 0)


def test_witness_interview_ends_with_a_code_that_finds_the_sealed_tip(rt: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550001")
    for line in WITNESS:
        reporter.send(line)
    code = CODE.search(reporter.last)
    assert code, reporter.last
    assert "911" in reporter.last
    [tip] = all_tips(rt)
    assert (tip.status, tip.priority) == ("complete", "P2")
    assert "labour" in tip.categories and {"triage", "labour", "ngo"} <= set(tip.queues)
    with rt.db.connect() as conn:
        found = tips.find_by_code_hash(conn, refcodes.code_hash(code.group(), secrets=rt.secrets,
                                                                   kdf=rt.settings.code_kdf))
    assert found is not None and found.id == tip.id
    payload = open_latest(rt, tip.id)
    assert payload["answers"]["B1"] == "A man keeps the workers' passports"
    assert payload["answers"]["C"] == ["leave", "docs"]
    assert any("C.leave" in r for r in payload["assessment"]["reasons"])


def test_typical_witness_needs_fifteen_replies_or_fewer(rt: Runtime, clock: FakeClock) -> None:
    # A witness who opens with what they saw, answers the core, and finishes when offered more.
    reporter = Reporter(service_with_clock(rt, clock), "+15550002")
    script = iter(["I saw workers locked in a farm shed at night", "2", "1", "1", "2", "1 2", "1", "2", "1", "2",
                   "2", "2", "2", "2", "2", "2", "2", "2"])
    replies = 0
    while not CODE.search(reporter.last):
        reporter.send(next(script))
        replies += 1
    assert replies <= 15, f"the witness needed {replies} replies"
    [tip] = all_tips(rt)
    assert tip.status == "complete"


def test_danger_answer_seals_routes_and_alerts_at_once(
    rt: Runtime, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550003")
    reporter.send("hi")
    caplog.set_level("WARNING")
    reporter.send("1")  # someone is in danger right now
    paged = [r for r in caplog.records if "on-call alert" in r.getMessage()]
    assert len(paged) == 1 and "danger" not in paged[0].__dict__.values()  # the id only, not why
    assert "911" in reporter.last
    [tip] = all_tips(rt)
    assert tip.priority == "P1" and "danger" in tip.categories and "police" in tip.queues
    with rt.db.connect() as conn:
        alerts = tips.open_alerts(conn)
    assert [(a[1], a[2]) for a in alerts] == [(tip.id, "P1")]
    # The interview goes on; later answers never lower the P1.
    for line in ["1", "Locked in a basement", "2", "2", "9", "1", "5"]:
        reporter.send(line)
    [tip] = all_tips(rt)
    assert tip.priority == "P1"


def test_redelivered_message_is_handled_once_and_gets_the_same_replies(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    first = service.handle(InboundMessage(channel="sms", address="+15550004", text="hi", provider_id="SM1"))
    again = [service.handle(InboundMessage(channel="sms", address="+15550004", text="hi", provider_id="SM1"))
             for _ in range(4)]
    assert all(h.duplicate for h in again)
    assert all([r.text for r in h.replies] == [r.text for r in first.replies] for h in again)
    assert first.replies and count_rows(rt, Inbound) == 1
    # The conversation moved one step only: "2" now answers the danger question.
    nxt = service.handle(InboundMessage(channel="sms", address="+15550004", text="2", provider_id="SM2"))
    assert "1 Someone else" in nxt.replies[-1].text


def test_parallel_redelivery_and_first_contact_race_make_one_conversation(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def deliver(provider_id: str) -> None:
        try:
            handled = service.handle(
                InboundMessage(channel="sms", address="+15550005", text="hello", provider_id=provider_id)
            )
            results.append([r.text for r in handled.replies])
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    # Five copies of one message and three distinct first messages, all at once.
    threads = [threading.Thread(target=deliver, args=(pid,)) for pid in ["SMa"] * 5 + ["SMb", "SMc", "SMd"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert count_rows(rt, Conversation) == 1
    assert count_rows(rt, Inbound) == 4
    assert all(results) and len(results) == 8


def test_idle_conversation_is_sealed_by_the_worker_as_incomplete(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550006")
    for line in ["hi", "2", "1", "Workers sleep in the warehouse"]:
        reporter.send(line)
    assert all_tips(rt) == []
    clock.advance(rt.settings.conversation_idle_minutes * 60 + conversations.COARSE_SECONDS)
    assert service.expire_idle() == 1
    [tip] = all_tips(rt)
    assert (tip.status, tip.reason) == ("incomplete", "expiry")
    assert open_latest(rt, tip.id)["answers"]["B1"] == "Workers sleep in the warehouse"
    assert service.expire_idle() == 0


def test_idle_conversation_is_sealed_on_the_next_message(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550007")
    for line in ["hi", "2", "1", "Children selling flowers at night"]:
        reporter.send(line)
    clock.advance(rt.settings.conversation_idle_minutes * 60 + conversations.COARSE_SECONDS)
    reporter.send("hello again")
    assert reporter.last
    [tip] = all_tips(rt)
    assert (tip.status, tip.reason) == ("incomplete", "expiry")


def test_exit_ends_blandly_and_keeps_what_was_given(rt: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550008")
    for line in ["hi", "2", "1", "They lock the door at night"]:
        reporter.send(line)
    reporter.send("EXIT")
    assert len(reporter.transcript[-1][1]) == 1
    assert not CODE.search(reporter.last)
    [tip] = all_tips(rt)
    assert (tip.status, tip.reason) == ("incomplete", "exit")
    assert open_latest(rt, tip.id)["answers"]["B1"] == "They lock the door at night"


def test_done_mid_interview_seals_incomplete_and_gives_a_code(rt: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550009")
    for line in ["hi", "2", "1", "Cleaners are never paid"]:
        reporter.send(line)
    reporter.send("DONE")
    assert CODE.search(reporter.last)
    [tip] = all_tips(rt)
    assert (tip.status, tip.reason, tip.has_code) == ("incomplete", "done", True)


def test_sms_opt_out_means_nothing_is_sent_until_start(rt: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550010")
    reporter.send("hi")
    stop = reporter.send("STOP")
    assert stop.replies == [] and not stop.send
    assert count_rows(rt, OptOut) == 1
    later = reporter.send("2")
    assert later.replies == []
    reporter.send("START")
    assert count_rows(rt, OptOut) == 0


def test_danger_written_after_stop_still_makes_a_p1_tip_and_alert_with_nothing_sent(
    rt: Runtime, clock: FakeClock
) -> None:
    """STOP stops the line's messages, not the reporter's: danger written after it is no less danger
    (reporter trial: it was dropped, no tip and no alert)."""
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550013")
    reporter.send("hi")
    reporter.send("STOP")
    quiet = reporter.send("ok")  # anything else stays unanswered and unkept
    assert quiet.replies == [] and all_tips(rt) == []
    danger = reporter.send("a man is beating a girl at 5 Elm st right now, she is 12, she is in danger")
    assert danger.replies == [] and not danger.send  # still nothing sent: the number opted out
    [tip] = all_tips(rt)
    assert tip.priority == "P1"
    assert "5 Elm st" in json.dumps(open_latest(rt, tip.id))
    with rt.db.connect() as conn:
        assert [(a[1], a[2]) for a in tips.open_alerts(conn)] == [(tip.id, "P1")]
    assert count_rows(rt, OptOut) == 1  # and the number stays opted out
    # After a finished interview too: an opted-out conversation keeps no link to its tip (plan.at_rest),
    # so the danger makes a P1 tip of its own, with its words
    other = Reporter(service, "+15550014")
    for line in WITNESS:
        other.send(line)
    before = {t.id for t in all_tips(rt)}
    other.send("STOP")
    assert other.send("they are in danger right now, he has a gun").replies == []
    [new] = [t for t in all_tips(rt) if t.id not in before]
    assert new.priority == "P1" and "he has a gun" in json.dumps(open_latest(rt, new.id))


def test_reporter_who_comes_back_after_finishing_adds_to_the_same_tip(rt: Runtime, clock: FakeClock) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550011")
    for line in WITNESS:
        reporter.send(line)
    [before] = all_tips(rt)
    reporter.send("The van is white with a ladder on top")
    [after] = all_tips(rt)
    assert after.id == before.id and after.version == before.version + 1
    assert "The van is white with a ladder on top" in json.dumps(open_latest(rt, after.id))


def test_concurrent_messages_from_one_reporter_are_each_handled_once(rt: Runtime, clock: FakeClock) -> None:
    """Optimistic writers that lose the race redo their message under the lock: none is lost."""
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550012")
    for line in ["hi", "2", "1"]:
        reporter.send(line)  # now at the free-text question
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def deliver(n: int) -> None:
        try:
            handled = service.handle(
                InboundMessage(channel="sms", address="+15550012", text="MENU" if n % 2 else "?", provider_id=f"SMc{n}")
            )
            results.append([r.text for r in handled.replies])
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8 and all(results)
    with rt.db.connect() as conn:
        revision = conn.execute(select(table_of(Conversation).c.revision)).scalar()
    assert revision == 3 + 8  # every message moved the conversation exactly once
    assert count_rows(rt, Inbound) == 3 + 8


class ExplodingEngine(Engine):
    """The real engine with a bug on every message: what its last line of defence is for."""

    def _handle(self, state: ConversationState | None, msg: InboundMessage, ctx: Context) -> Outcome:
        raise RuntimeError(f"choked on {msg.text}")


def test_engine_fallback_answers_the_reporter_and_logs_the_error_type_only(
    rt: Runtime, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    real = rt.engine
    broken = ExplodingEngine(real.flow, real.catalogs, locales=real.locales, default_locale=real.default_locale)
    reporter = Reporter(service_with_clock(rt, clock, engine=broken), "+15550031")
    with caplog.at_level(logging.WARNING, logger="triage.intake"):
        handled = reporter.send("SECRET-MARKER-OTTER at the docks")
    assert handled.replies and rt.region.emergency in reporter.last  # never silence
    [record] = [r for r in caplog.records if r.name == "triage.intake"]
    assert record.levelno == logging.WARNING and record.__dict__["error"] == "RuntimeError"
    assert "OTTER" not in caplog.text and all("OTTER" not in str(v) for v in record.__dict__.values())
