"""A stopping alert loop (SIGTERM to 'tipline oncall run' or a console worker) gives back the pages it
took and did not work: another loop sends them at once, not after the lease runs out."""

from __future__ import annotations

from tests.factories import FakeClock
from tests.fakes.twilio import FakeTwilio
from tests.oncall.support import STAFF, alert_loop, sms_rota, urgent_tip
from tipline.oncall_loop import AlertLoop, Pager
from tipline.runtime import Runtime


def _stops_after_first_send(loop: AlertLoop, pager: Pager) -> Pager:
    def page(channel: str, address: str, text: str) -> None:
        pager(channel, address, text)
        loop.stopping.set()  # the stop signal arrives while the first page is being sent

    return page


def test_pages_taken_and_not_sent_go_back_at_once(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    clock = FakeClock()
    sms_rota(rt, 1)
    urgent_tip(rt, clock, address="+15557770001")
    urgent_tip(rt, clock, address="+15557770002")
    stopping, other = alert_loop(rt, twilio=fake_twilio, clock=clock), alert_loop(rt, twilio=fake_twilio, clock=clock)
    stopping.pager = _stops_after_first_send(stopping, stopping.pager)
    try:
        assert stopping.run_once() == 1, "the page in flight finishes"
        assert other.run_once() == 1, "the page it had taken is free now, at the same instant"
        with fake_twilio.lock:
            assert [c.to for c in fake_twilio.created] == [STAFF[0], STAFF[0]]
    finally:
        stopping.close()
        other.close()
