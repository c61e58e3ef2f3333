"""The line as real processes, for the kill and stop drills: a fresh install on a database, the fake
providers (tests/fakes) over real HTTP, and ``tipline worker`` / ``tipline serve`` subprocesses.

Replies are queued the way the intake service queues them (a conversation, the address sealed
under the day's key, the bodies under the OUTBOX epoch), each with a text of its own, so that
what the fakes received says which reply went out how many times.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from sqlalchemy import func, select

from bench.common import fresh_runtime
from storage import conversations, lookups, outbox, periods
from storage.conversation_state import StateBoxes
from storage.tables import Outbox
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import BASE_URL, LINE, TG_SECRET, TG_TOKEN, TW_SID, TW_TOKEN
from tipline.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
TIPLINE = str(Path(sys.executable).parent / "tipline")
SLOW_SENDS = ("create", "sendMessage")  # Twilio's Messages.json POST, the Bot API's sendMessage


@dataclass
class Line:
    rt: Runtime
    env: dict[str, str]  # for the subprocesses: the same install, database and providers
    twilio: FakeTwilio
    telegram: FakeTelegram
    logs: dict[int, Path] = field(default_factory=dict)  # pid -> its log file (``start``)

    def slow_sends(self, seconds: float) -> None:
        """Every send waits ``seconds`` at the provider before it is answered (and counted sent)."""
        self.twilio.fail("create", "slow", delay=seconds, count=10**9)
        self.telegram.fail("sendMessage", "slow", delay=seconds, count=10**9)

    def sent(self) -> list[str]:
        """The text of every message the providers accepted, duplicates included."""
        with self.twilio.lock, self.telegram.lock:
            return [c.body for c in self.twilio.created] + [s.text for s in self.telegram.sent]

    def outbox_rows(self) -> tuple[int, int]:
        """(rows still queued, of which leased now: taken by a sender, not yet recorded)."""
        table = Outbox.__table__  # type: ignore[attr-defined]
        with self.rt.db.connect() as conn:
            total = conn.execute(select(func.count()).select_from(table)).scalar_one()
            leased = conn.execute(select(func.count()).select_from(table)
                                  .where(table.c.next_attempt_at > time.time())).scalar_one()
        return int(total), int(leased)


def provider_env(twilio: FakeTwilio, telegram: FakeTelegram) -> dict[str, str]:
    return {"TIPLINE_PUBLIC_BASE_URL": BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": TW_SID,
            "TIPLINE_TWILIO_AUTH_TOKEN": TW_TOKEN, "TIPLINE_TWILIO_FROM": LINE, "TIPLINE_TWILIO_API_BASE": twilio.url,
            "TIPLINE_TELEGRAM_BOT_TOKEN": TG_TOKEN, "TIPLINE_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TIPLINE_TELEGRAM_API_BASE": telegram.base_url}


@contextmanager
def line(database: ContextManager[str], **extra: str) -> Iterator[Line]:
    """A fresh install on the URL ``database`` yields, with both fake providers running."""
    twilio, telegram = FakeTwilio(TW_SID, TW_TOKEN).start(), FakeTelegram(TG_TOKEN).start()
    for fake in (twilio, telegram):  # a killed sender's closed connection is the drill, not an error to print
        fake.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    try:
        with database as url:
            env = provider_env(twilio, telegram) | {"TIPLINE_LOCALES": "en"} | extra
            rt = fresh_runtime(url, **env)
            env |= {"TIPLINE_DATABASE_URL": url, "TIPLINE_DATA_DIR": str(rt.settings.data_dir),
                    "TIPLINE_SECRETS_DIR": str(rt.settings.secrets_dir)}
            try:
                yield Line(rt, env, twilio, telegram)
            finally:
                rt.close()
    finally:
        twilio.stop()
        telegram.stop()


def start(line: Line, *args: str) -> subprocess.Popen[bytes]:
    """``tipline <args>`` in its own process, on the line's install; its log goes to ``log_of(proc)``."""
    log = line.rt.settings.data_dir / f"{args[0]}-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:  # the child keeps its own copy of the file
        proc = subprocess.Popen([TIPLINE, *args], cwd=ROOT, env={**os.environ, **line.env},
                                stdout=subprocess.DEVNULL, stderr=out)
    line.logs[proc.pid] = log
    return proc


def log_of(line: Line, proc: subprocess.Popen[bytes]) -> str:
    """The end of what a process started by ``start`` logged (for a failure's message)."""
    return line.logs[proc.pid].read_text(errors="replace")[-3000:]


def queue_replies(line: Line, *, conversations_per_channel: int, each: int) -> list[str]:
    """Queue ``each`` replies for each of that many SMS and Telegram conversations; returns their texts."""
    rt, now = line.rt, time.time()
    texts: list[str] = []
    with rt.db.begin() as conn:
        for channel in ("sms", "telegram"):
            for n in range(conversations_per_channel):
                address = f"+1555{8_000_000 + n:07d}" if channel == "sms" else str(6_200_000_000 + n)
                conv, _ = conversations.open_conversation(
                    conn, boxes=StateBoxes(rt.epochs), lookup=lookups.address(rt.epochs, channel, address),
                    channel=channel, now=now, idle_seconds=3600, retain_seconds=86400)
                dest, period = periods.seal_address(rt.epochs, address=address, channel=channel)
                mine = [f"drill reply {channel} {n}.{k}" for k in range(each)]
                outbox.enqueue(conn, box=outbox.box(rt.epochs, rt.secrets), conversation_id=conv.id,
                               channel=channel, destination=dest, address_period=period,
                               messages=[{"text": t} for t in mine], now=now)
                texts += mine
    return texts


def duplicates(sent: list[str]) -> int:
    return sum(count - 1 for count in Counter(sent).values())


def in_order(sent: list[str]) -> bool:
    """Each conversation's replies first arrived in the order they were queued."""
    firsts: dict[str, list[int]] = {}
    for text in dict.fromkeys(sent):  # first arrivals, in arrival order
        conv, k = text.rsplit(".", 1)
        firsts.setdefault(conv, []).append(int(k))
    return all(ks == sorted(ks) for ks in firsts.values())


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
