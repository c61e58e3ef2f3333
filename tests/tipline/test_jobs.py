"""A round of scheduled jobs (``tipline worker``): expiry seals, windows end, keys are destroyed."""

from __future__ import annotations

import time

from storage import outbox, periods, refcodes, tips
from storage.purposes import Purpose
from tests.factories import FakeClock, Reporter, service_with_clock
from tipline.jobs import Jobs
from tipline.runtime import Runtime

DAY = 86400.0


def test_a_round_of_jobs_seals_idle_interviews_then_forgets_when_the_window_ends(rt: Runtime) -> None:
    # Given a Telegram interview left quiet three hours ago (its replies queued for the sender,
    # its chat id sealed under that day's period key) and a wrong code sent by SMS then.
    earlier = FakeClock(time.time() - 3 * 3600)
    service = service_with_clock(rt, earlier)
    witness = Reporter(service, "5550001234", channel="telegram", inline=False)
    for line in ["hi", "2", "1", "Workers sleep in the warehouse"]:
        witness.send(line)
    Reporter(service, "+15550009999").send(refcodes.display(refcodes.new_code()))
    with rt.db.connect() as conn:
        [queued, *_] = outbox.due(conn, box=rt.secrets.box(Purpose.OUTBOX), now=earlier.now + 1)

    # When the worker runs now: both quiet conversations expire (one tip: the code sender gave
    # nothing), the wrong-code counters' hour is over, nothing is yet past the follow-up window.
    first = Jobs(rt).run_once()
    assert first == {"expired": 2, "purged_conversations": 0, "purged_inbound": 0, "destroyed_period_keys": 0,
                     "purged_outbox": 0, "pruned_throttles": 2,
                     "purged_held": 0, "purged_tips": 0}
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
        assert (tip.status, tip.reason) == ("incomplete", "expiry")
        assert periods.open_address(conn, secrets=rt.secrets, blob=queued.destination,
                                    period=queued.address_period or "") == "5550001234"

    # When it runs again once the follow-up window (counted from the end of the address's
    # period, a day at most) is over: everything that could link back is gone.
    later = Jobs(rt, clock=FakeClock(time.time() + (rt.settings.followup_days + 2) * DAY)).run_once()
    assert later["expired"] == 0
    assert later["purged_conversations"] == 2  # the witness's and the code sender's
    assert later["purged_inbound"] == 5  # every provider id
    assert later["destroyed_period_keys"] >= 1
    assert later["purged_outbox"] >= 1
    assert later["pruned_throttles"] == 0
    with rt.db.connect() as conn:
        assert periods.open_address(conn, secrets=rt.secrets, blob=queued.destination,
                                    period=queued.address_period or "") is None
        assert [t.id for t in tips.list_tips(conn)] == [tip.id]  # the sealed tip stays


def test_a_round_with_nothing_to_do_reports_zeros(rt: Runtime) -> None:
    report = Jobs(rt).run_once()
    assert set(report) == {"expired", "purged_conversations", "purged_inbound", "destroyed_period_keys",
                           "purged_outbox", "pruned_throttles", "purged_held", "purged_tips"}
    assert not any(report.values())
