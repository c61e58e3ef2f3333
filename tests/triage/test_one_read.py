"""One read per webhook (issue 11): behind the abuse limits, a message reads the limits' numbers and its
conversation in one statement before its writes, and goes on from that row; without the limits (or
the worker feeding held messages) it reads the conversation alone, once."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import event

from bot.types import InboundMessage
from storage import fastsql
from tests.factories import FakeClock, Reporter, limited_service, service_with_clock
from tipline.runtime import Runtime
from triage.intake import IntakeService

LIMIT = 3
FIRST = "hi"  # then "2" (nobody in danger): the interview goes on, no tip yet (the bench's mid-interview mix)
SLOW_DOWN = "You have sent many messages quickly"


class Statements:
    """Every SQL statement the tip line runs, through SQLAlchemy or on the driver (``storage.fastsql``)."""

    def __init__(self, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        driver = fastsql.driver_execute

        def recording(conn: Any, sql: str, params: Any = None) -> Any:
            self.sql.append(sql)
            return driver(conn, sql, params)
        monkeypatch.setattr(fastsql, "driver_execute", recording)
        event.listen(rt.db, "before_cursor_execute", self._core)
        self._rt = rt

    def _core(self, conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        self.sql.append(sql)

    def close(self) -> None:
        event.remove(self._rt.db, "before_cursor_execute", self._core)

    def reads_before_writes(self) -> list[str]:
        """The statements before the first write (the plain reads of the optimistic path)."""
        reads = []
        for sql in self.sql:
            if sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN"):
                break
            reads.append(sql)
        return reads


@pytest.fixture
def statements(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    recorded = Statements(rt, monkeypatch)
    yield recorded
    recorded.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _interview(service: IntakeService, address: str) -> Reporter:
    reporter = Reporter(service, address)
    reporter.send(FIRST)
    return reporter


def test_a_mid_interview_answer_behind_the_limits_reads_once_and_goes_on_from_that_row(
    rt: Runtime, clock: FakeClock, statements: Statements,
) -> None:
    reporter = _interview(limited_service(rt, clock, per_sender=20), "+15550007001")
    asked = reporter.last
    statements.sql.clear()
    reporter.send("2")
    [read] = statements.reads_before_writes()
    assert "held_message" in read and "conversation" in read  # the limits' numbers and the row, together
    assert reporter.last and reporter.last != asked  # the interview went on from the row read


def test_a_message_over_the_limit_reads_once_before_it_is_held(
    rt: Runtime, clock: FakeClock, statements: Statements,
) -> None:
    reporter = _interview(limited_service(rt, clock, per_sender=LIMIT), "+15550007002")
    for _ in range(LIMIT - 1):
        assert SLOW_DOWN not in reporter.send("2").replies[0].text
    statements.sql.clear()
    assert SLOW_DOWN in reporter.send("2").replies[-1].text  # the count read with the row: over
    assert len(statements.reads_before_writes()) == 1
    statements.sql.clear()
    assert reporter.send("more").replies == []  # the held flag read with the row: silence, held too
    assert len(statements.reads_before_writes()) == 1


def test_without_the_limits_the_conversation_alone_is_read_once(
    rt: Runtime, clock: FakeClock, statements: Statements,
) -> None:
    reporter = _interview(service_with_clock(rt, clock), "+15550007003")
    statements.sql.clear()
    reporter.send("2")
    [read] = statements.reads_before_writes()
    assert "conversation" in read and "held_message" not in read


def test_the_worker_feeding_a_held_message_reads_the_conversation_alone_once(
    rt: Runtime, clock: FakeClock, statements: Statements,
) -> None:
    service = limited_service(rt, clock, per_sender=20)
    first = Reporter(service, "+15550007004").send(FIRST)
    statements.sql.clear()
    fed = service.handle(InboundMessage(channel="sms", address="+15550007004", text="2"), inline=False,
                         screen=False)  # what ``Gate.feed`` does: the limits were passed when it was held
    [read] = statements.reads_before_writes()
    assert "conversation" in read and "held_message" not in read
    assert fed.conversation_id == first.conversation_id and not fed.duplicate
