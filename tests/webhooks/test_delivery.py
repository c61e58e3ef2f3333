"""The delivery loop's retry and dead-letter rules, against in-memory channels (no network)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator

import pytest

from storage.conversation_state import StateBoxes
from storage import lookups, conversations, outbox, periods
from storage.outbox import ItemStatus
from storage.purposes import Purpose
from tests.factories import FakeClock, epochs_on, initialised_runtime
from tests.webhooks.helpers import outbox_items, table_count
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks.channel import OK, Delivery, DeliveryOutcome, Result
from webhooks.sender import OutboxSender

DAY = 86400


@dataclass
class FakeChannel:
    """Answers from a script (then OK), and records what it was given."""

    script: list[Result] = field(default_factory=list)
    by_text: dict[str, list[Result]] = field(default_factory=dict)  # answers for one message
    seen: list[Delivery] = field(default_factory=list)

    def deliver(self, work: Delivery) -> Result:
        self.seen.append(work)
        answers = self.by_text.get(work.message.text) or self.script
        return answers.pop(0) if answers else OK

    def texts(self, address: str | None = None) -> list[str]:
        return [w.message.text for w in self.seen if address is None or w.address == address]


@pytest.fixture
def plain_rt(settings: Settings) -> Iterator[Runtime]:
    runtime = initialised_runtime(settings)  # no provider configured: only the fakes deliver
    yield runtime
    runtime.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_sender(rt: Runtime, clock: FakeClock, **channels: FakeChannel) -> OutboxSender:
    return OutboxSender(db=rt.db, secrets=rt.secrets, epochs=rt.epochs_on(clock), channels=channels, clock=clock,
                        fast_lane=False)


def queue(rt: Runtime, clock: FakeClock, channel: str, address: str, *texts: str) -> str:
    """Queue messages for the conversation of ``address`` (as the intake service does); returns its id."""
    now, epochs = clock(), rt.epochs_on(clock)
    with rt.db.begin() as conn:
        conv, _ = conversations.open_conversation(
            conn, boxes=StateBoxes(epochs), lookup=lookups.address(epochs, channel, address), channel=channel,
            now=now, idle_seconds=3600, retain_seconds=DAY)
        dest, period = periods.seal_address(epochs, address=address, channel=channel)
        outbox.enqueue(conn, box=outbox.box(epochs, rt.secrets), conversation_id=conv.id, channel=channel,
                       destination=dest, address_period=period, messages=[{"text": t} for t in texts], now=now)
    return conv.id


def test_transient_failures_back_off_with_jitter_then_go_dead(plain_rt: Runtime, clock: FakeClock,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeChannel([Result(DeliveryOutcome.RETRY, "telegram TimedOut")] * outbox.MAX_ATTEMPTS)
    sender = make_sender(plain_rt, clock, telegram=fake)
    queue(plain_rt, clock, "telegram", "501", "hello")
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert sender.run_once() == 0
        [item] = outbox_items(plain_rt)
        assert item.attempts == attempt
        if item.status == ItemStatus.PENDING:
            wait = item.next_attempt_at - clock()
            assert 0 <= wait <= min(outbox.MAX_DELAY, outbox.BASE_DELAY * 2 ** attempt)
            waits.append(wait)
            clock.advance(outbox.MAX_DELAY + 1)
    assert item.status == ItemStatus.DEAD and item.last_error == "telegram TimedOut"
    assert len(fake.seen) == outbox.MAX_ATTEMPTS == len(waits) + 1
    assert len(set(waits)) > 1  # jittered, not a fixed schedule
    assert "outbox item dead" in caplog.text
    sender.close()


def test_a_permanent_failure_goes_dead_at_once(plain_rt: Runtime, clock: FakeClock) -> None:
    fake = FakeChannel([Result(DeliveryOutcome.DEAD, "telegram forbidden")])
    sender = make_sender(plain_rt, clock, telegram=fake)
    queue(plain_rt, clock, "telegram", "502", "first", "second")
    sender.run_once()
    items = outbox_items(plain_rt)
    assert [(i.seq, i.status, i.attempts) for i in items] == [(1, ItemStatus.DEAD, 1), (2, ItemStatus.PENDING, 0)]
    # The next message of the conversation is no longer blocked by the dead one.
    assert sender.run_once() == 1
    assert fake.texts() == ["first", "second"] and len(outbox_items(plain_rt)) == 1
    sender.close()


def test_retry_after_is_honoured_and_pauses_the_whole_channel(plain_rt: Runtime, clock: FakeClock) -> None:
    tg = FakeChannel([Result(DeliveryOutcome.RETRY, "telegram 429", retry_after=30.0)])
    sms = FakeChannel()
    sender = make_sender(plain_rt, clock, telegram=tg, sms=sms)
    queue(plain_rt, clock, "telegram", "503", "to a")
    sender.run_once()
    [item] = outbox_items(plain_rt)
    assert item.next_attempt_at - clock() >= 30.0  # never sooner than the provider asked
    queue(plain_rt, clock, "telegram", "504", "to b")
    queue(plain_rt, clock, "sms", "+14155550150", "by sms")
    clock.advance(10)
    sender.run_once()
    assert tg.texts() == ["to a"]  # paused: the other conversation waited too, without an attempt
    assert sms.texts() == ["by sms"]  # another channel goes on
    assert [i.attempts for i in outbox_items(plain_rt)] == [1, 0]
    clock.advance(21)
    assert sender.run_once() == 2
    assert sorted(tg.texts()) == ["to a", "to a", "to b"] and outbox_items(plain_rt) == []
    sender.close()


def test_an_opt_out_cancels_the_conversations_queue(plain_rt: Runtime, clock: FakeClock) -> None:
    sms = FakeChannel([Result(DeliveryOutcome.OPTED_OUT, "twilio 21610")])
    sender = make_sender(plain_rt, clock, sms=sms)
    queue(plain_rt, clock, "sms", "+14155550151", "one", "two", "three")
    sender.run_once()
    assert sms.texts() == ["one"] and outbox_items(plain_rt) == []
    assert table_count(plain_rt, "optout") == 1
    # Whatever is queued later for that number is dropped unsent.
    queue(plain_rt, clock, "sms", "+14155550151", "later")
    sender.run_once()
    assert sms.texts() == ["one"] and outbox_items(plain_rt) == []
    sender.close()


def test_order_within_a_conversation_is_kept_through_retries(plain_rt: Runtime, clock: FakeClock) -> None:
    retry = Result(DeliveryOutcome.RETRY, "telegram NetworkError")
    fake = FakeChannel(by_text={"2": [retry, retry]})  # the second message fails twice
    sender = make_sender(plain_rt, clock, telegram=fake)
    queue(plain_rt, clock, "telegram", "505", "1", "2", "3")
    queue(plain_rt, clock, "telegram", "506", "x")
    for _ in range(6):
        sender.run_once()
        clock.advance(outbox.MAX_DELAY + 1)
    assert [t for t in fake.texts("505")] == ["1", "2", "2", "2", "3"]
    assert fake.texts("506") == ["x"] and outbox_items(plain_rt) == []
    sender.close()


def test_an_unconfigured_channel_leaves_its_items_waiting(plain_rt: Runtime, clock: FakeClock,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sender = make_sender(plain_rt, clock, telegram=FakeChannel())
    queue(plain_rt, clock, "sms", "+14155550152", "no sms here")
    assert sender.run_once() == 0
    [item] = outbox_items(plain_rt)
    assert item.status == ItemStatus.PENDING and item.attempts == 0 and item.next_attempt_at > clock()
    assert "+14155550152" not in caplog.text
    sender.close()


def test_a_body_whose_epoch_died_is_reported_dead_unread_and_the_rest_still_goes(
    plain_rt: Runtime, clock: FakeClock, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeChannel()
    sender = make_sender(plain_rt, clock, whatsapp=fake, telegram=fake)
    held = queue(plain_rt, clock, "whatsapp", "whatsapp:+15550170", "held past its window", "and its next")
    window = epochs_on(plain_rt, clock).ratchet(Purpose.OUTBOX).schedule
    clock.advance((window.keep + 1) * window.epoch_seconds)  # the WhatsApp reporter never wrote again
    fresh = queue(plain_rt, clock, "telegram", "5550171", "a reply of today")
    with caplog.at_level(logging.WARNING):
        sender.run_once()
    assert fake.texts() == ["a reply of today"]  # the sender did not crash on the dead body
    items = {(i.conversation_id, i.seq): i for i in outbox_items(plain_rt)}
    assert (fresh, 1) not in items
    for seq in (1, 2):  # both of the held conversation's bodies died with their epoch
        assert (items[(held, seq)].status, items[(held, seq)].last_error) == (ItemStatus.DEAD, outbox.BODY_EXPIRED)
    assert "outbox item dead" in caplog.text
