"""The optimistic path's writes committed in batches (storage.group_commit), as reporters see it.

Real SQLite files and real threads.  The test holds the writer lock (as a locked-path message
would) while several reporters' messages reach their write phase, then lets go: their writes
meet in one batch, one transaction, one COMMIT.  Each message must come out exactly as if it had
been written alone: a lost race is answered from the locked path, a driver error reaches only
its own request (which the edge spools), a failed COMMIT keeps nothing of any of them.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.types import InboundMessage
from storage import provider_copies
from storage.db import is_sqlite, writer_lock
from tests.factories import FakeClock, Reporter, service_with_clock
from tipline.runtime import Runtime
from triage.intake import Handled, IntakeService
from triage.intake_base import Also


# Batches are SQLite's (PostgreSQL keeps one transaction per request): these run on SQLite
# in every run, the PostgreSQL one included, rather than being skipped there.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


@pytest.fixture
def sqlite_service(rt: Runtime, service: IntakeService) -> IntakeService:
    assert is_sqlite(rt.db), "mark the test @SQLITE_ONLY"
    return service


def sms(address: str, body: str, provider_id: str) -> InboundMessage:
    return InboundMessage(channel="sms", address=address, text=body, provider_id=provider_id)


def in_one_batch(service: IntakeService, sends: list[tuple[InboundMessage, Also | None]]) -> list[Any]:
    """Each message in a thread of its own, its writes handed in while the writer lock is held:
    they commit in one batch, in this order.  What each got: its Handled, or what it raised."""
    group: Any = service._group
    got: list[Any] = [None] * len(sends)

    def one(i: int) -> None:
        msg, also = sends[i]
        try:
            got[i] = service.handle(msg, also=also)
        except Exception as exc:
            got[i] = exc

    threads = []
    with writer_lock(service.db):
        for i in range(len(sends)):
            threads.append(threading.Thread(target=one, args=(i,), daemon=True))
            threads[-1].start()
            deadline = time.monotonic() + 10
            while len(group.pending) != i + 1:
                assert time.monotonic() < deadline, "a message never reached its write phase"
                time.sleep(0.001)
    for thread in threads:
        thread.join(20)
        assert not thread.is_alive()
    return got


def texts(handled: Handled) -> list[str]:
    return [r.text for r in handled.replies]


def revisions(rt: Runtime) -> list[int]:
    with rt.db.connect() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT revision FROM conversation")))


@SQLITE_ONLY
def test_a_message_that_loses_its_race_in_a_batch_is_answered_as_if_it_came_second(
    rt: Runtime, sqlite_service: IntakeService,
) -> None:
    # Given a reporter past the first message, and a twin who will send the same lines one by one
    reporter, twin = Reporter(sqlite_service, "+15550101"), Reporter(sqlite_service, "+15550102")
    reporter.send("hi")
    twin.send("hi")
    # When two answers of the reporter, read at the same revision, are written in one batch
    got = in_one_batch(sqlite_service, [(sms("+15550101", "2", "SMa"), None), (sms("+15550101", "1", "SMb"), None)])
    # Then the first is written, the second goes the locked path and is answered after the first
    twin.send("2")
    twin.send("1")
    assert [texts(g) for g in got] == [twin.transcript[1][1], twin.transcript[2][1]]
    assert revisions(rt) == [3, 3]  # hi, 2, 1: each written once, in turn


def bookkeeping(conn: Connection, conv_id: str, now: float) -> None:
    """The Twilio edge's: a provider copy to delete, one row a message (no unique key)."""
    provider_copies.queue_sealed(conn, channel="sms", ref=b"sealed sid", now=now)


def count(rt: Runtime, table: str) -> int:
    with rt.db.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@SQLITE_ONLY
def test_a_race_lost_mid_batch_leaves_every_message_written_exactly_once(
    rt: Runtime, sqlite_service: IntakeService,
) -> None:
    # Given a reporter past the first message, and a twin who will send the same lines one by one
    reporter, twin = Reporter(sqlite_service, "+15550131"), Reporter(sqlite_service, "+15550132")
    reporter.send("hi")
    twin.send("hi")
    before = count(rt, "providerdeletion")
    # When the reporter's second answer (read at the same revision as the first) is in the middle
    # of a batch: the batch is rolled back and run again, and the loser goes the locked path
    got = in_one_batch(sqlite_service, [
        (sms("+15550131", "2", "SMc"), bookkeeping), (sms("+15550131", "1", "SMd"), bookkeeping),
        (sms("+15550133", "hi", "SMe"), bookkeeping)])
    # Then every message is answered as if it came alone, in turn
    twin.send("2")
    twin.send("1")
    assert [texts(g) for g in got[:2]] == [twin.transcript[1][1], twin.transcript[2][1]]
    assert texts(got[2]) == twin.transcript[0][1]
    # and each was written once: its revision, its provider id, its edge's bookkeeping
    assert revisions(rt) == [1, 3, 3]
    assert count(rt, "inbound") == 2 + 3 + 2
    assert count(rt, "providerdeletion") == before + 3


@SQLITE_ONLY
def test_a_driver_error_in_one_message_leaves_the_others_written(
    rt: Runtime, sqlite_service: IntakeService,
) -> None:
    def broken(conn: Connection, conv_id: str, now: float) -> None:  # the edge's bookkeeping, failing
        conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")

    sends: list[tuple[InboundMessage, Also | None]] = [
        (sms("+15550111", "hi", "SM1"), None), (sms("+15550112", "hi", "SM2"), broken),
        (sms("+15550113", "hi", "SM3"), None)]
    first, failed, third = in_one_batch(sqlite_service, sends)
    # The failing message's request gets a driver error (the edge spools it); the others are answered.
    assert isinstance(failed, DBAPIError)
    assert texts(first) == texts(third) and "danger" in " ".join(texts(first)).lower()
    assert revisions(rt) == [1, 1]
    # Nothing of the failed one was kept: its redelivery is a first delivery; the others' are not.
    again = [sqlite_service.handle(msg) for msg, _ in sends]
    assert [a.duplicate for a in again] == [True, False, True]
    assert texts(again[1]) == texts(first)
    assert revisions(rt) == [1, 1, 1]


@SQLITE_ONLY
def test_a_failing_commit_fails_every_message_of_the_batch_and_keeps_nothing(
    rt: Runtime, sqlite_service: IntakeService,
) -> None:
    with rt.db.begin() as conn:  # a constraint checked only at COMMIT
        conn.execute(text("CREATE TABLE scratch_parent (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE scratch_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL"
                          " REFERENCES scratch_parent (id) DEFERRABLE INITIALLY DEFERRED)"))

    def orphan(conn: Connection, conv_id: str, now: float) -> None:
        conn.exec_driver_sql("INSERT INTO scratch_child (id, parent) VALUES (1, 999)")

    sends: list[tuple[InboundMessage, Also | None]] = [
        (sms("+15550121", "hi", "SM4"), None), (sms("+15550122", "hi", "SM5"), orphan),
        (sms("+15550123", "hi", "SM6"), None)]
    got = in_one_batch(sqlite_service, sends)
    assert all(isinstance(g, IntegrityError) for g in got)  # none acknowledged: every edge spools
    assert revisions(rt) == []
    with rt.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inbound")).scalar() == 0
    again = [sqlite_service.handle(msg) for msg, _ in sends]  # the writer is free, nothing was kept
    assert [a.duplicate for a in again] == [False, False, False]
    assert revisions(rt) == [1, 1, 1]


def test_many_threads_and_messages_each_handled_once_with_consecutive_revisions(
    rt: Runtime, service: IntakeService,
) -> None:
    # Reporter k sends 4 + k messages; every message is delivered twice (a provider's retry racing
    # the first delivery), and six threads take them in turn, as a web worker's threads would.
    counts = [4 + k for k in range(6)]
    deliveries: queue.Queue[InboundMessage] = queue.Queue()
    lines = ["hi", "2", "BACK"]
    for step in range(max(counts)):
        for k, n in enumerate(counts):
            if step < n:
                msg = sms(f"+1555013{k}", lines[min(step, 1 + step % 2)], f"SM{k}x{step}")
                deliveries.put(msg)
                deliveries.put(msg)
    handled: list[Handled] = []

    def worker() -> None:
        while True:
            try:
                msg = deliveries.get_nowait()
            except queue.Empty:
                return
            handled.append(service.handle(msg))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive()
    firsts = [h for h in handled if not h.duplicate]
    assert len(handled) == 2 * sum(counts) and len(firsts) == sum(counts)  # each handled exactly once
    assert all(h.replies for h in firsts)
    assert revisions(rt) == counts  # one revision a message, none skipped, none twice
    with rt.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inbound")).scalar() == sum(counts)
