"""Issue 9 for conversations: state, lookups, tip links, throttles and times under the epoch keys.

Each runs on SQLite and PostgreSQL through the intake service and the worker's jobs, as a
reporter and an operator would see it, with the fake clock moving across hours and days.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import Row, select

from storage import lookups, refcodes, tips
from storage.conversation_state import StateBoxes
from storage.conversations import COARSE_SECONDS, RowStatus
from storage.epochs import HOUR, EpochDestroyed, peek
from storage.purposes import Purpose
from storage.tables import Conversation, Throttle
from tests.factories import FakeClock, Reporter, service_with_clock, table_of
from tipline.jobs import Jobs
from tipline.runtime import Runtime
from triage import followup
from triage.intake import IntakeService

DAY = 86400
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
WITNESS = ["hi", "2", "1", "A man keeps the workers' passports", "1", "2", "1 2", "1", "0", "2", "1", "2"]
STARTED = ["hi", "2", "1", "Workers sleep in the warehouse"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(rt: Runtime, clock: FakeClock) -> IntakeService:
    rt.__dict__["epochs"] = rt.epochs_on(clock)  # the process's epoch keys on the test's clock
    return service_with_clock(rt, clock)


def rows(rt: Runtime) -> list[Row[Any]]:
    with rt.db.connect() as conn:
        return list(conn.execute(select(table_of(Conversation)).order_by(table_of(Conversation).c.created_at)))


def the_tips(rt: Runtime) -> list[tips.TipMeta]:
    with rt.db.connect() as conn:
        return tips.list_tips(conn)


def run(reporter: Reporter, lines: list[str]) -> None:
    for line in lines:
        reporter.send(line)


def jobs(rt: Runtime, clock: FakeClock) -> dict[str, int]:
    return Jobs(rt, clock=clock).run_once()


def test_a_running_state_is_under_hour_keys_and_a_finished_one_keeps_only_the_follow_up_values(
    rt: Runtime, service: IntakeService
) -> None:
    reporter = Reporter(service, "+15550301")
    run(reporter, STARTED)
    [row] = rows(rt)
    sealed = peek(bytes(row.state))
    assert sealed is not None and sealed.purpose is Purpose.CONVERSATION_STATE
    run(reporter, WITNESS[4:])
    assert CODE.search(reporter.last)
    [row] = rows(rt)
    sealed = peek(bytes(row.state))
    assert sealed is not None and sealed.purpose is Purpose.FOLLOWUP_STATE
    state = StateBoxes(service.epochs).open(row.id, bytes(row.state))
    assert state["answers"] == {} and state["history"] == [] and row.tip_id is None
    assert set(state["extra"]) <= {"tip_link", "resume", "lang_sure", "lang_offered", "urgent", "urgent_sent",
                                   "unsealed", "before_stop"}
    assert "tip_link" in state["extra"]


def test_a_conversation_is_found_across_days_and_its_lookup_moves_to_the_current_epoch(
    rt: Runtime, service: IntakeService, clock: FakeClock
) -> None:
    reporter = Reporter(service, "+15550302")
    run(reporter, WITNESS)
    [tip] = the_tips(rt)
    [first] = rows(rt)
    clock.advance(3 * DAY)  # inside the follow-up window
    jobs(rt, clock)
    reporter.send("they have a white van too")
    assert reporter.last == "Thank you, got it."  # the same conversation, the same tip
    [after] = the_tips(rt)
    assert (after.id, after.version) == (tip.id, tip.version + 1)
    [row] = rows(rt)
    assert row.id == first.id and bytes(row.lookup) != bytes(first.lookup)
    assert bytes(row.lookup) == lookups.address(service.epochs, "sms", "+15550302").current


def test_after_the_window_the_number_finds_nothing_and_old_state_blobs_stay_closed(
    rt: Runtime, service: IntakeService, clock: FakeClock
) -> None:
    reporter = Reporter(service, "+15550303")
    run(reporter, STARTED)
    [running] = rows(rt)
    old_blob, old_lookup = bytes(running.state), bytes(running.lookup)
    clock.advance(rt.settings.conversation_idle_minutes * 60 + 4 * HOUR)
    jobs(rt, clock)  # expired, sealed as an incomplete tip; the hour keys of its answers destroyed
    with pytest.raises(EpochDestroyed):
        StateBoxes(service.epochs).open(running.id, old_blob)  # an old WAL frame's copy, say
    clock.advance((rt.settings.followup_days + 2) * DAY)
    jobs(rt, clock)
    assert rows(rt) == []
    assert old_lookup not in lookups.address(service.epochs, "sms", "+15550303").tried
    reporter.send("hi")
    assert "danger" in reporter.last.lower()  # a stranger to the line: a new interview


def test_exit_then_back_days_later_resumes_in_the_same_tip(
    rt: Runtime, service: IntakeService, clock: FakeClock
) -> None:
    reporter = Reporter(service, "+15550304")
    run(reporter, ["hi", "2", "1", "A man keeps the workers' passports", "EXIT"])
    [before] = the_tips(rt)
    [row] = rows(rt)
    state = StateBoxes(service.epochs).open(row.id, bytes(row.state))
    assert state["answers"] == {} and "resume" in state["extra"] and "tip_link" in state["extra"]
    clock.advance(5 * DAY)
    jobs(rt, clock)
    reporter.send("hi")
    assert "safe to text now" in reporter.last.lower()
    reporter.send("1")
    assert "where is it happening" in reporter.last.lower()
    run(reporter, ["1 3", "DONE"])
    [after] = the_tips(rt)
    assert after.id == before.id and after.version > before.version


def test_a_running_interview_whose_key_died_is_lost_with_a_count_never_an_error(
    rt: Runtime, service: IntakeService, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = Reporter(service, "+15550305")
    run(reporter, STARTED)
    clock.advance(2 * DAY)  # the worker was down past the state's window
    rt.epochs.advance()
    with caplog.at_level(logging.WARNING):
        report = jobs(rt, clock)
    assert report["expired"] == 1 and the_tips(rt) == []  # nothing could be sealed: it is gone
    assert "past their key window" in caplog.text
    [row] = rows(rt)
    assert row.status == RowStatus.ENDED and row.tip_id is None
    reporter.send("hi")  # the reporter starts over, answered as usual
    assert "danger" in reporter.last.lower()


def test_a_message_to_an_interview_whose_key_died_starts_over_with_a_count(
    rt: Runtime, service: IntakeService, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = Reporter(service, "+15550306")
    run(reporter, STARTED)
    [before] = rows(rt)
    clock.advance(DAY)  # no worker ran: the row still says "active", its state's hour key is gone
    rt.epochs.advance()
    with caplog.at_level(logging.WARNING):
        reporter.send("hello?")
    assert "past its key window" in caplog.text
    assert "danger" in reporter.last.lower()  # asked from the start, in the same row
    [row] = rows(rt)
    assert row.id == before.id and row.status == RowStatus.ACTIVE


def test_conversation_times_are_coarse_and_never_line_up_with_the_tip(
    rt: Runtime, service: IntakeService, clock: FakeClock
) -> None:
    clock.now = 1_800_000_123.456  # a time no ten-minute grid holds
    reporter = Reporter(service, "+15550307")
    run(reporter, WITNESS)
    [tip] = the_tips(rt)
    [row] = rows(rt)
    for value in (row.created_at, row.updated_at, row.expires_at, row.purge_at):
        assert value % COARSE_SECONDS == 0
    assert row.updated_at <= clock() and row.updated_at != tip.created_at != row.created_at
    assert row.purge_at >= clock() + rt.settings.followup_days * DAY  # rounded up: never purged early
    assert tip.updated_at == clock()  # tip times stay exact for the queue


def test_no_log_line_carries_a_conversation_id(
    rt: Runtime, service: IntakeService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        run(Reporter(service, "+15550308"), ["hi", "1", "SECRET they hurt her now", *WITNESS[4:]])
    [row] = rows(rt)
    assert caplog.records and any(getattr(r, "tip", None) for r in caplog.records)
    for record in caplog.records:
        assert row.id not in repr(record.__dict__), record.getMessage()


def test_an_idle_follow_up_forgets_its_tip(rt: Runtime, service: IntakeService, clock: FakeClock) -> None:
    reporter = Reporter(service, "+15550309")
    run(reporter, WITNESS)
    found = CODE.search(reporter.last)
    assert found
    [tip] = the_tips(rt)
    other = Reporter(service, "+15550310")
    other.send(found.group())
    assert "add" in other.last.lower()
    row = next(r for r in rows(rt) if r.status == RowStatus.FOLLOW_UP)
    assert tip.id in str(StateBoxes(service.epochs).open(row.id, bytes(row.state)))
    clock.advance(rt.settings.conversation_idle_minutes * 60 + COARSE_SECONDS)
    jobs(rt, clock)
    row = next(r for r in rows(rt) if r.id == row.id)
    state = StateBoxes(service.epochs).open(row.id, bytes(row.state))
    assert row.status == RowStatus.ENDED and tip.id not in str(state) and row.tip_id is None
    other.send("the van is blue")
    assert [(t.id, t.version) for t in the_tips(rt)] == [(tip.id, tip.version)]  # nothing added to it


def test_wrong_codes_count_across_an_hour_under_hour_keys(
    rt: Runtime, service: IntakeService, clock: FakeClock
) -> None:
    guesser = Reporter(service, "+15550311")
    clock.now = (clock.now // HOUR + 1) * HOUR - 60  # a minute before an hour boundary
    for _ in range(3):
        guesser.send(refcodes.display(refcodes.new_code()))
    clock.advance(120)  # the next THROTTLE epoch: a new key, but no fresh allowance
    for _ in range(followup.SENDER_LIMIT - 3):
        guesser.send(refcodes.display(refcodes.new_code()))
        assert "don't know" in guesser.last.lower()
    guesser.send(refcodes.display(refcodes.new_code()))
    assert "wait" in guesser.last.lower()
    with rt.db.connect() as conn:
        keys = {bytes(r.key) for r in conn.execute(select(table_of(Throttle)))}
    sender = service.followups.sender("sms", "+15550311")
    assert set(sender.tried) & keys and rt.secrets.mac(Purpose.THROTTLE, b"sms:+15550311") not in keys
