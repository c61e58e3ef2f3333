"""The outage drill's reporters: each writes steadily, retried the way its provider retries.

Twilio retries a failed webhook for about 15 s in all and then drops the message (CHANNELS.md);
Telegram keeps an update and retries with back-off for much longer, so here until the drill's
end.  Every answer's status is counted; a message is "acknowledged" on a 200 and "gave up"
when its provider would stop.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.webhooks.helpers import INTERVIEW, post_sms, post_tg, sms_params, tg_message
from tipline.spooling import DEFAULT_SPOOL_REPLY

TELEGRAM_WINDOW = 600.0  # longer than any drill: the Bot API keeps retrying an update


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    acked: dict[str, list[str]] = field(default_factory=lambda: {"sms": [], "telegram": []})
    gave_up: dict[str, list[str]] = field(default_factory=lambda: {"sms": [], "telegram": []})
    spooled_sms: int = 0

    def answer(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def outcome(self, channel: str, provider_id: str, acked: bool, spooled: bool = False) -> None:
        with self.lock:
            self.sent[channel] += 1
            (self.acked if acked else self.gave_up)[channel].append(provider_id)
            self.spooled_sms += int(spooled)


class Reporter(threading.Thread):
    """One reporter on one channel, a message every ``every`` seconds until ``until``."""

    def __init__(self, client: FlaskClient, tally: Tally, *, channel: str, n: int, every: float, until: float,
                 twilio_window: float) -> None:
        super().__init__(daemon=True, name=f"reporter-{channel}-{n}")
        self.client, self.tally, self.channel, self.n = client, tally, channel, n
        self.every, self.until = every, until
        self.window = twilio_window if channel == "sms" else TELEGRAM_WINDOW

    def run(self) -> None:
        k = 0
        while time.monotonic() < self.until:
            text = INTERVIEW[k] if k < len(INTERVIEW) else f"and one more thing, number {k}"
            if self.channel == "sms":
                params = sms_params(text, sender=f"+1555{7_000_000 + self.n:07d}")
                self._deliver(params["MessageSid"], functools.partial(post_sms, self.client, params))
            else:
                update = tg_message(text, chat_id=6_100_000_000 + self.n)
                self._deliver(str(update["update_id"]), functools.partial(post_tg, self.client, update))
            k += 1
            time.sleep(self.every)

    def _deliver(self, provider_id: str, post: Callable[[], Any]) -> None:
        """Post until a 200, backing off 1, 2, 4... s, for as long as the provider would."""
        first, pause = time.monotonic(), 1.0
        while True:
            response = post()
            self.tally.answer(response.status_code)
            if response.status_code == 200:
                spooled = self.channel == "sms" and DEFAULT_SPOOL_REPLY.encode() in response.data
                self.tally.outcome(self.channel, provider_id, True, spooled)
                return
            if time.monotonic() - first + pause > self.window:
                self.tally.outcome(self.channel, provider_id, False)
                return
            time.sleep(pause)
            pause = min(pause * 2, 8.0)


def start_reporters(app: Flask, tally: Tally, *, sms: int, telegram: int, every: float, until: float,
                    twilio_window: float) -> list[Reporter]:
    reporters = [Reporter(app.test_client(), tally, channel=channel, n=n, every=every, until=until,
                          twilio_window=twilio_window)
                 for channel, count in (("sms", sms), ("telegram", telegram)) for n in range(count)]
    for reporter in reporters:
        reporter.start()
    return reporters
