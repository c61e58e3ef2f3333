"""A danger answer mid-interview, through the real public app's Twilio webhook, reaches the fake
Twilio as an on-call alert within 10 seconds: measured over 100 runs, p50 and p99 reported."""

from __future__ import annotations

import statistics
import time
from functools import partial

from flask.testing import FlaskClient

from tests.fakes.twilio import FakeTwilio
from tests.oncall.support import DANGER, STAFF, alert_loop, sms_rota
from tests.webhooks.helpers import post_sms, sms_params, twiml_messages
from tipline.runtime import Runtime

RUNS = 100
LIMIT = 10.0


def _alerts(fake: FakeTwilio) -> list[float]:
    with fake.lock:
        return [c.at for c in fake.created if c.to == STAFF[0]]


def _arrived(fake: FakeTwilio, count: int) -> bool:
    return len(_alerts(fake)) >= count


def test_danger_answer_reaches_the_on_call_phone_within_ten_seconds(
    rt: Runtime, client: FlaskClient, fake_twilio: FakeTwilio,
) -> None:
    sms_rota(rt, 1)
    running = alert_loop(rt, twilio=fake_twilio, poll=0.02).start()
    took: list[float] = []
    try:
        for run in range(RUNS):
            sender = f"+1555888{run:04d}"
            assert twiml_messages(post_sms(client, sms_params(DANGER[0], sender=sender)))
            started = time.monotonic()
            assert twiml_messages(post_sms(client, sms_params(DANGER[1], sender=sender)))
            assert fake_twilio.wait_for(partial(_arrived, fake_twilio, run + 1), timeout=LIMIT + 5), run
            took.append(_alerts(fake_twilio)[run] - started)
    finally:
        running.stop()
    p50 = statistics.median(took)
    p99 = sorted(took)[int(0.99 * len(took)) - 1]
    print(f"\non-call alert latency over {RUNS} runs ({rt.settings.database_url.split(':')[0]}): "
          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(took) * 1000:.0f} ms")
    assert len(_alerts(fake_twilio)) == RUNS, "one alert per urgent tip"
    assert p99 < LIMIT
