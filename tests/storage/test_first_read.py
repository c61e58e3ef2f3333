"""The webhook's one first read (issue 11): the gate's count and held flag and the sender's conversation
from one statement, the same as the separate reads (``throttle.failures``, ``held.any_held``,
``conversations.find``) give in every case: no conversation, several lookup epochs, held messages,
counts in and out of the window, other senders' rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from storage import conversations, first_read, held, throttle
from storage.conversation_state import StateBoxes
from storage.conversations import COARSE_SECONDS, ConversationRow, RowStatus
from storage.epochs import EpochKeys
from storage.first_read import FirstRead
from storage.lookups import Keyed
from tests.storage.conftest import Clock

WINDOW, IDLE, RETAIN = 60.0, 3600, 7 * 86400
RATE, OLD_RATE, OTHER_RATE = b"r" * 32, b"q" * 32, b"o" * 32  # the sender's current and older rate hash; another's
NEW, OLD, OTHER = b"n" * 32, b"p" * 32, b"x" * 32  # the sender's lookups (current, older epoch); another's
SENDER = Keyed(NEW, (NEW, OLD))  # a lookup that tries two open epochs (an epoch change: ``tried``)


@dataclass
class World:
    engine: Engine
    boxes: StateBoxes
    clock: Clock

    def conversation(self, stored_under: bytes, state: dict[str, object], *, status: RowStatus = RowStatus.ACTIVE,
                     tip_id: str | None = None) -> str:
        conv_id = conversations.new_id()
        with self.engine.begin() as conn:
            assert conversations.create_with_state(
                conn, conv_id=conv_id, lookup=Keyed(stored_under, (stored_under,)), channel="sms", status=status,
                sealed_state=self.boxes.seal(conv_id, state, resting=False), tip_id=tip_id, now=self.clock.now,
                idle_seconds=IDLE, retain_seconds=RETAIN)
        return conv_id

    def count(self, key: bytes, times: int = 1) -> None:
        with self.engine.begin() as conn:
            for _ in range(times):
                throttle.count(conn, key=key, window_seconds=WINDOW, now=self.clock.now)

    def hold(self, key: bytes) -> None:
        with self.engine.begin() as conn:
            held.hold(conn, rate_key=key, sealed=b"sealed", now=self.clock.now)

    def read(self, lookup: Keyed = SENDER, rate_keys: tuple[bytes, ...] = (RATE, OLD_RATE)) -> FirstRead:
        """The one read, checked against the separate reads it stands for, on the same data."""
        with self.engine.connect() as conn:
            got = first_read.gate_and_conversation(conn, boxes=self.boxes, lookup=lookup, rate_key=RATE,
                                                   rate_keys=list(rate_keys), window_seconds=WINDOW,
                                                   now=self.clock.now)
            assert got.counted == throttle.failures(conn, key=RATE, window_seconds=WINDOW, now=self.clock.now)
            assert got.held == held.any_held(conn, list(rate_keys))
            assert _same(got.conversation, conversations.find(conn, boxes=self.boxes, lookup=lookup))
        return got


def _same(a: ConversationRow | None, b: ConversationRow | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and vars(a) == vars(b))


def world(engine: Engine, epochs: EpochKeys, epoch_clock: Clock) -> World:
    return World(engine, StateBoxes(epochs), epoch_clock)


def test_a_first_message_reads_no_conversation_and_the_gate_values_still_come_back(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    w = world(engine, epochs, epoch_clock)
    assert w.read() == FirstRead(0, False, None)
    w.count(RATE, 3)
    w.count(OTHER_RATE, 9)  # another sender's counter is not this one's
    w.conversation(OTHER, {"locale": "fr"})  # nor is another sender's conversation
    assert w.read() == FirstRead(3, False, None)
    w.hold(OLD_RATE)  # held under the sender's older rate epoch: still theirs
    assert w.read() == FirstRead(3, True, None)


def test_the_conversation_row_comes_back_whole_with_the_gate_values(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    w = world(engine, epochs, epoch_clock)
    conv_id = w.conversation(NEW, {"locale": "es", "answers": {"B1": "x"}}, status=RowStatus.FINISHED,
                             tip_id="t" * 32)
    w.count(RATE, 2)
    got = w.read()
    assert (got.counted, got.held) == (2, False)
    conv = got.conversation
    assert conv is not None and conv.id == conv_id and conv.state == {"locale": "es", "answers": {"B1": "x"}}
    assert (conv.channel, conv.status, conv.tip_id, conv.revision, conv.lookup) == (
        "sms", RowStatus.FINISHED, "t" * 32, 1, NEW)
    assert conv.expires_at >= epoch_clock.now + IDLE
    w.hold(RATE)
    w.count(RATE, 1)
    assert w.read() == FirstRead(3, True, conv)


def test_several_lookup_epochs_find_the_row_of_an_older_one_and_the_newest_of_two(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    w = world(engine, epochs, epoch_clock)
    older = w.conversation(OLD, {"locale": "en"})
    got = w.read()
    assert got.conversation is not None and got.conversation.id == older and got.conversation.lookup == OLD
    assert w.read(lookup=Keyed(NEW, (NEW,))).conversation is None  # the older epoch is not tried: not found
    epoch_clock.now += 2 * COARSE_SECONDS
    newer = w.conversation(NEW, {"locale": "de"})  # a row made in a race across the epoch boundary
    got = w.read()
    assert got.conversation is not None and got.conversation.id == newer and got.conversation.state == {"locale": "de"}


def test_counts_out_of_the_window_and_of_an_older_rate_epoch_are_not_counted(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    w = world(engine, epochs, epoch_clock)
    w.conversation(NEW, {"locale": "en"})
    w.count(RATE, 5)
    w.count(OLD_RATE, 4)  # the count is the current epoch's alone (as the separate read)
    assert w.read().counted == 5
    epoch_clock.now += WINDOW
    assert w.read().counted == 0  # the window has passed
    w.count(RATE, 1)
    assert w.read().counted == 1


def test_no_open_rate_epoch_reads_nothing_held(engine: Engine, epochs: EpochKeys, epoch_clock: Clock) -> None:
    w = world(engine, epochs, epoch_clock)
    w.hold(RATE)
    w.count(RATE, 2)
    got = w.read(rate_keys=())
    assert (got.counted, got.held, got.conversation) == (2, False, None)
    w.conversation(NEW, {"locale": "en"})
    assert w.read(rate_keys=()).conversation is not None
