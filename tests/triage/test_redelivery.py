"""Redeliveries at the intake service, on a fake clock: what is kept for them, and for how long."""

from __future__ import annotations

from sqlalchemy import text

from bot.types import InboundMessage
from storage.epochs import DAY, HOUR
from tests.factories import FakeClock, service_with_clock
from tipline.runtime import Runtime


def kept(rt: Runtime) -> list[bytes | None]:
    with rt.db.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT response FROM inbound ORDER BY received_at"))]


def sms(text_: str, sid: str, address: str = "+15550300") -> InboundMessage:
    return InboundMessage(channel="sms", address=address, text=text_, provider_id=sid)


def test_a_twilio_redelivery_after_the_replies_hour_died_is_acknowledged_not_answered_anew(rt: Runtime) -> None:
    clock = FakeClock()
    service = service_with_clock(rt, clock)
    first = service.handle(sms("hi", "SM" + "1" * 32))
    assert first.replies and first.reply_handle is not None
    again = service.handle(sms("hi", "SM" + "1" * 32))
    assert again.duplicate and [r.text for r in again.replies] == [r.text for r in first.replies]
    assert again.reply_handle == first.reply_handle  # its status callback drops the same row
    clock.advance(2 * HOUR + 1)  # no job ran: the row still holds the blob, but its hour's key is gone
    assert kept(rt)[0] is not None
    late = service.handle(sms("hi", "SM" + "1" * 32))
    assert late.duplicate and late.replies == [] and not late.send
    clock.advance(DAY)  # and past midnight: the id is still recognised (every open day epoch is tried)
    assert service.handle(sms("hi", "SM" + "1" * 32)).duplicate


def test_replies_that_go_through_the_outbox_are_not_kept(rt: Runtime) -> None:
    service = service_with_clock(rt, FakeClock())
    msg = InboundMessage(channel="telegram", address="5550301", text="hi", provider_id="900001")
    handled = service.handle(msg, inline=False)
    assert handled.replies and handled.reply_handle is None
    assert kept(rt) == [None]
    again = service.handle(msg, inline=False)
    assert again.duplicate and again.replies == [] and not again.send
    with rt.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == len(handled.replies)
