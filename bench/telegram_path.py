"""The Telegram path: webhook POST to the reply arriving at a fake Bot API, at a steady rate.

A small Python sender is enough here: it measures latency at a rate well below the peak,
not throughput.  Chats take turns ("hi", then "2" and "BACK" round and round), so one
chat's next update comes long after its previous reply.
"""

from __future__ import annotations

import bisect
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from tests.fakes.telegram import FakeTelegram

TG_TOKEN = "123456789:AAH-bench-token-for-the-fake-api-only"
TG_SECRET = "bench_webhook_secret"
TG_PATH = "/webhooks/telegram"


@dataclass(frozen=True)
class TelegramFigures:
    updates: int
    rate: float
    p50_ms: float
    p99_ms: float
    missing: int  # updates whose reply never reached the fake Bot API


def update_body(update_id: int, chat: int, text: str) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id % 100000, "date": int(time.time()), "text": text,
        "from": {"id": chat, "is_bot": False, "first_name": "R", "language_code": "en"},
        "chat": {"id": chat, "type": "private"}}}).encode()


def measure(url: str, fake: FakeTelegram, *, rate: float, seconds: float, chats: int = 100,
            first_chat: int = 910000) -> TelegramFigures:
    """Updates at ``rate`` per second for ``seconds``, from chats numbered from ``first_chat``."""
    n = max(1, int(rate * seconds))
    posted: dict[int, list[float]] = {}  # chat -> when each of its updates was posted
    local = threading.local()
    lock = threading.Lock()

    def post(i: int) -> None:
        chat, turn = first_chat + i % chats, i // chats
        text = "hi" if turn == 0 else ("2" if turn % 2 else "BACK")
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        at = time.monotonic()
        r = client.post(url + TG_PATH, content=update_body(first_chat * 10 + i, chat, text),
                        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"})
        if r.status_code != 200:
            raise RuntimeError(f"the Telegram webhook answered {r.status_code}")
        with lock:
            posted.setdefault(chat, []).append(at)

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        futures = []
        for i in range(n):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            futures.append(pool.submit(post, i))
        for f in futures:
            f.result()
    deadline = time.monotonic() + 30
    latencies, missing = match_replies(posted, fake)
    while missing and time.monotonic() < deadline:  # the last replies are still on their way
        time.sleep(0.1)
        latencies, missing = match_replies(posted, fake)
    return TelegramFigures(n, rate, pct(latencies, 50), pct(latencies, 99), missing)


def match_replies(posted: dict[int, list[float]], fake: FakeTelegram) -> tuple[list[float], int]:
    """Each update's latency: until the first message sent to its chat after it was posted."""
    with fake.lock:
        arrivals: dict[int, list[float]] = {}
        for s in fake.sent:
            arrivals.setdefault(s.chat_id, []).append(s.at)
    latencies, missing = [], 0
    for chat, times in posted.items():
        sent = sorted(arrivals.get(chat, []))
        for at in sorted(times):
            k = bisect.bisect_left(sent, at)
            if k == len(sent):
                missing += 1
            else:
                latencies.append(sent[k] - at)
    return latencies, missing


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000
