"""Issue 11: nothing slow under the write lock, and code checks throttled before they cost anything.

A recording fake stands in for the Argon2id hash: it blocks until released, so a test can
send another reporter's message while one reporter's code is being hashed.  Had the hash
run under the write lock (SQLite's single writer), that message would wait for it.
"""

from __future__ import annotations

import re
import threading
from typing import Callable

import pytest
from sqlalchemy import select

from bot.types import InboundMessage
from storage import refcodes, tips
from storage.tables import TipEnvelope
from tests.factories import FakeClock, Reporter, service_with_clock, table_of
from tipline.runtime import Runtime
from triage import followup
from triage.intake import Handled, IntakeService

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
WITNESS = ["hi", "2", "1", "A man keeps the workers' passports", "1", "2", "1 2", "1", "0", "2", "1", "2"]


class RecordingHasher:
    """Records each code it hashes, then hashes it for real."""

    def __init__(self, real: Callable[[str], bytes]) -> None:
        self.real = real
        self.codes: list[str] = []

    def __call__(self, code: str) -> bytes:
        self.codes.append(code)
        return self.real(code)


class BlockingHasher:
    """Counts hashes; the first one waits until ``release`` (what a slow Argon2id looks like)."""

    def __init__(self, real: Callable[[str], bytes]) -> None:
        self.real = real
        self.calls = 0
        self.started = threading.Event()
        self.released = threading.Event()

    def __call__(self, code: str) -> bytes:
        self.calls += 1
        self.started.set()
        assert self.released.wait(10), "the test never released the hash"
        return self.real(code)


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


def _in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_another_reporter_is_answered_while_a_finished_interview_hashes_its_code(
    rt: Runtime, service: IntakeService
) -> None:
    # Given a witness one answer from the close, and a hash that blocks until released
    witness = Reporter(service, "+15550001")
    for line in WITNESS[:-1]:
        witness.send(line)
    hasher = BlockingHasher(service.sealer.hasher)
    service.sealer.hasher = hasher
    closing = _in_thread(lambda: witness.send(WITNESS[-1]))
    assert hasher.started.wait(10)
    # When another reporter writes while the code is being hashed
    other = Reporter(service, "+15550002")
    other.send("hi")
    other.send("2")
    # Then they are answered at once (the hash is not holding the write lock)
    assert "danger" in other.transcript[0][1][0].lower() and other.last
    hasher.released.set()
    closing.join(10)
    assert CODE.search(witness.last) and hasher.calls == 1
    with rt.db.connect() as conn:
        [tip] = [t for t in tips.list_tips(conn) if t.status == "complete"]
        assert tip.has_code


def test_another_reporter_is_answered_while_a_code_is_checked(rt: Runtime, service: IntakeService) -> None:
    hasher = BlockingHasher(service.followups.hasher)
    service.followups.hasher = hasher
    guesser = Reporter(service, "+15550003")
    guessing = _in_thread(lambda: guesser.send(refcodes.display(refcodes.new_code())))
    assert hasher.started.wait(10)
    other = Reporter(service, "+15550004")
    other.send("hi")
    assert "danger" in other.last.lower()
    hasher.released.set()
    guessing.join(10)
    assert "don't know" in guesser.last.lower()


def test_a_sender_over_its_limit_costs_no_hash_at_all(rt: Runtime, service: IntakeService) -> None:
    recorder = RecordingHasher(service.followups.hasher)
    service.followups.hasher = recorder
    calls = recorder.codes
    guesser = Reporter(service, "+15550005")
    for _ in range(followup.SENDER_LIMIT):
        guesser.send(refcodes.display(refcodes.new_code()))
    assert len(calls) == followup.SENDER_LIMIT
    for _ in range(3):
        guesser.send(refcodes.display(refcodes.new_code()))
        assert "wait" in guesser.last.lower()
    assert len(calls) == followup.SENDER_LIMIT  # waited without one more Argon2id


def test_a_whole_interview_hashes_one_code_and_no_message_hashes_twice(rt: Runtime, service: IntakeService) -> None:
    recorder = RecordingHasher(service.sealer.hasher)
    service.sealer.hasher = recorder
    calls = recorder.codes
    witness = Reporter(service, "+15550006")
    for line in WITNESS:
        witness.send(line)
    shown = CODE.search(witness.last)
    assert shown is not None
    assert [refcodes.normalize(c) for c in calls] == [refcodes.normalize(shown.group())]


class BarrierHasher:
    """Two hashes meet before either goes on: both racers worked out the close from one read."""

    def __init__(self, real: Callable[[str], bytes]) -> None:
        self.real = real
        self.barrier = threading.Barrier(2, timeout=10)
        self.calls = 0

    def __call__(self, code: str) -> bytes:
        self.calls += 1
        self.barrier.wait()
        return self.real(code)


def test_a_retried_last_message_racing_the_first_seals_the_tip_once(rt: Runtime, service: IntakeService) -> None:
    # Given a witness one answer from the close
    witness = Reporter(service, "+15550007")
    for line in WITNESS[:-1]:
        witness.send(line)
    service.sealer.hasher = hasher = BarrierHasher(service.sealer.hasher)
    # When the provider retries the last message while the first delivery is still hashing its code
    last = InboundMessage(channel="sms", address="+15550007", text=WITNESS[-1], provider_id="SMlast")
    answers: list[Handled] = []
    racers = [_in_thread(lambda: answers.append(service.handle(last))) for _ in range(2)]
    for racer in racers:
        racer.join(20)
    # Then both closes were worked out outside the lock, one was written, and both got its code
    assert hasher.calls == 2 and len(answers) == 2
    codes = {m.group() for a in answers for m in CODE.finditer(" ".join(r.text for r in a.replies))}
    assert len(codes) == 1 and sorted(a.duplicate for a in answers) == [False, True]
    [tip] = all_tips(rt)
    assert tip.status == "complete" and tip.version == 1 and tip.has_code
    with rt.db.connect() as conn:
        envelopes = conn.execute(select(table_of(TipEnvelope).c.version)).scalars().all()
        assert envelopes == [1] * len(tip.queues)
        assert tips.find_by_code_hash(conn, hasher.real(codes.pop())) is not None


def all_tips(rt: Runtime) -> list[tips.TipMeta]:
    with rt.db.connect() as conn:
        return tips.list_tips(conn)
