"""bench/scale.py's paced parts: replies and P1 alerts under a steady rate, and the outbox drain.

Steady load: one scheduler sends at a fixed rate (the next send is due at start + i / rate,
whatever the answers' pace; a pool of connections carries them), and every latency counts from
when a message was due, so a line that falls behind shows in its figures.  Most messages are Telegram
updates from chats taking turns ("hi", then "2" and "BACK"), whose replies go out through the
outbox, so through ``tipline worker``; every ``DANGER_EVERY``-th message is an SMS from a reporter
in danger ("hi", then "1": danger now), whose P1 tip raises an on-call alert that ``tipline
oncall run`` sends to the rota's phone at the fake Twilio.

Outbox drain: the workers are paused (SIGSTOP) once idle, a batch of Telegram conversations is
opened through the webhook (one reply each waits in the outbox), the workers are resumed at once
(SIGCONT) and the time until the last reply reaches the fake Bot API gives replies per second.
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from bench import mixes
from bench.scale_line import ONCALL_PHONE, Processes, wait_idle
from bench.telegram_path import TG_PATH, TG_SECRET, match_replies, pct, update_body
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

DANGER = ("hi", "1")  # the danger question, then "yes, in danger now": a P1 tip and its alert
DANGER_EVERY = 25  # 2 of every 50 messages: one P1 tip a second at 50 messages/s
TURN_GAP = 15.0  # seconds between two updates of one chat, longer than a worker's round and its interval
POOL = 16


@dataclass
class SteadyFigures:
    sent: int
    rate: float  # messages per second achieved by the scheduler
    reply_p50_ms: float
    reply_p99_ms: float
    replies_missing: int
    alerts: int
    alert_p50_ms: float
    alert_p99_ms: float
    alerts_missing: int


@dataclass
class _Sender:
    url: str
    signer: mixes.Signer = field(default_factory=mixes.Signer)
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)
    posted: dict[int, list[float]] = field(default_factory=dict)  # chat -> when each update was posted
    danger_at: list[float] = field(default_factory=list)  # when each danger answer was posted

    def client(self) -> httpx.Client:
        c: httpx.Client | None = getattr(self.local, "client", None)
        if c is None:
            c = self.local.client = httpx.Client(timeout=30)
        return c

    # ``due``: when the steady schedule meant the message to go, so a line that falls behind (the
    # sender's pool waiting for answers) shows in the latency instead of slowing the sender.
    def telegram(self, update_id: int, chat: int, text: str, due: float | None = None) -> None:
        at = time.monotonic() if due is None else due
        r = self.client().post(self.url + TG_PATH, content=update_body(update_id, chat, text),
                               headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET,
                                        "Content-Type": "application/json"})
        _check(r)
        with self.lock:
            self.posted.setdefault(chat, []).append(at)

    def danger(self, sender: str, due: tuple[float, float]) -> None:
        """One reporter's two messages in order ("hi" must be answered before "1" is sent)."""
        for text, at in zip(DANGER, due, strict=True):
            time.sleep(max(0.0, at - time.monotonic()))
            headers, body = self.signer.headers_and_body(mixes.Message(text, sender))
            _check(self.client().post(self.url + mixes.SMS_PATH, content=body, headers=headers))
        with self.lock:
            self.danger_at.append(due[1])


def _check(r: httpx.Response) -> None:
    if r.status_code != 200:
        raise RuntimeError(f"the tip line answered {r.status_code} to a webhook")


def _send_steadily(sender: _Sender, *, rate: float, seconds: float, tag: int) -> float:
    """Sends at ``rate`` for ``seconds``; returns the rate achieved (the last send's lateness counted)."""
    n = max(DANGER_EVERY * 2, int(rate * seconds))
    chats = max(100, int(rate * TURN_GAP))
    first_chat = 7_000_000 + tag * 100_000
    futures: list[Future[None]] = []
    start = time.monotonic()
    with ThreadPoolExecutor(POOL) as pool:
        for i in range(n):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            if i % (2 * DANGER_EVERY) == DANGER_EVERY - 1:  # its second message is due DANGER_EVERY later
                due = (start + i / rate, start + (i + DANGER_EVERY) / rate)
                futures.append(pool.submit(sender.danger, mixes.phone(600 + tag, i), due))
            elif i % (2 * DANGER_EVERY) != 2 * DANGER_EVERY - 1:
                turn, chat = divmod(i, chats)
                text = "hi" if turn == 0 else ("2" if turn % 2 else "BACK")
                futures.append(pool.submit(sender.telegram, first_chat * 10 + i, first_chat + chat, text,
                                           start + i / rate))
        for f in futures:
            f.result()
    # Answered messages per second: below ``rate`` when the line could not keep up.
    return n / max(time.monotonic() - start, n / rate)


def _alert_latencies(danger_at: list[float], twilio: FakeTwilio) -> tuple[list[float], int]:
    """Alerts in order against danger answers in order (one alert per P1 tip; the loop sends in order)."""
    with twilio.lock:
        arrived = sorted(c.at for c in twilio.created if c.to == ONCALL_PHONE)
    dangers = sorted(danger_at)
    return [a - d for a, d in zip(arrived, dangers, strict=False)], max(0, len(dangers) - len(arrived))


def steady(url: str, telegram: FakeTelegram, twilio: FakeTwilio, *, rate: float, seconds: float,
           tag: int) -> SteadyFigures:
    """The steady load against a line whose workers and alert loop run; waits for what is owed."""
    with twilio.lock:
        twilio.created.clear()
    sender = _Sender(url)
    achieved = _send_steadily(sender, rate=rate, seconds=seconds, tag=tag)
    deadline = time.monotonic() + 60  # a worker's interval, the alert loop's poll, and the queue behind them
    while True:
        replies, missing = match_replies(sender.posted, telegram)
        alerts, alerts_missing = _alert_latencies(sender.danger_at, twilio)
        if (not missing and not alerts_missing) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return SteadyFigures(sum(map(len, sender.posted.values())) + 2 * len(sender.danger_at), achieved,
                         pct(replies, 50), pct(replies, 99), missing, len(alerts), pct(alerts, 50), pct(alerts, 99),
                         alerts_missing)


@dataclass(frozen=True)
class DrainFigures:
    workers: int
    replies: int
    first: float  # seconds from the resume to the first reply at the fake
    last: float  # ... to the last one

    @property
    def rate(self) -> float:
        """Replies per second from the resume (the workers' rounds of other jobs included)."""
        return self.replies / self.last if self.last > 0 else float("nan")

    @property
    def sending_rate(self) -> float:
        """Replies per second from the first reply to the last: the sending itself."""
        return (self.replies - 1) / (self.last - self.first) if self.last > self.first else float("nan")


def _open_conversations(url: str, count: int, first_chat: int) -> None:
    """``count`` new Telegram conversations ("hi"): each first reply waits in the outbox."""
    sender = _Sender(url)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: sender.telegram(first_chat * 10 + i, first_chat + i, "hi"), range(count)))


def drain(url: str, env: dict[str, str], telegram: FakeTelegram, *, workers: int, interval: float, replies: int,
          tag: int) -> DrainFigures:
    """``workers`` fresh ``tipline worker`` processes draining ``replies`` conversations' first replies."""
    procs = Processes(env)
    started = procs.workers(workers, interval)
    try:
        wait_idle(started)
        for proc in started:
            proc.send_signal(signal.SIGSTOP)
        with telegram.lock:
            before = len(telegram.sent)
        first_chat = 8_000_000 + tag * 100_000
        _open_conversations(url, replies, first_chat)
        resumed = time.monotonic()
        for proc in started:
            proc.send_signal(signal.SIGCONT)
        reached: dict[int, float] = {}  # chat -> when its first reply arrived
        deadline = resumed + 120
        while len(reached) < replies and time.monotonic() < deadline:
            time.sleep(0.05)
            with telegram.lock:
                for s in telegram.sent[before:]:
                    if first_chat <= s.chat_id < first_chat + replies:
                        reached.setdefault(s.chat_id, s.at)
        arrived = list(reached.values())
        return DrainFigures(workers, len(arrived), min(arrived, default=resumed) - resumed,
                            max(arrived, default=resumed) - resumed)
    finally:
        procs.stop()

