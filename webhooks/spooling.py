"""The webhooks' side of the inbound spool (``storage.spool``): keep a message, feed it back later.

``SpoolKeeper`` is what an edge calls when the database does not answer: it keeps the already
authenticated message and says whether it could (False when the spool is full: the edge answers
503 as it would without a spool).  ``SpoolDrainer`` (run by ``tipline worker`` each round) feeds
the kept messages through the normal intake path in arrival order, with the same bookkeeping the
edge would have done (provider-copy deletion, WhatsApp's reply window) and replies queued in the
outbox, since the HTTP exchange that could have carried them is long over.  A redelivery that
was both spooled and handled live is handled once: the intake deduplicates by provider id.
"""

from __future__ import annotations

import json
import logging
import time
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from bot.types import Hints, InboundMessage
from storage import provider_copies
from storage.crypto import ServerSecrets
from storage.spool import Spool
from triage.intake import Also, IntakeService
from triage.intake_base import CARRIER_CHANNELS
from webhooks import reply_window

log = logging.getLogger(__name__)

class Keep(Protocol):
    """What an edge is given: ``holds`` (a sender's earlier messages wait in the spool: this one
    must queue behind them), and the call (keep this message: False when the spool cannot)."""

    def holds(self, msg: InboundMessage) -> bool: ...

    def __call__(self, msg: InboundMessage) -> bool: ...


DRAIN_LIMIT = 2000
DRAIN_THREADS = 4  # senders fed at once (each sender's messages one at a time, in order)
WARN_EVERY = 10.0  # seconds between the "spooling" warnings of one process  # files per round, so one round stays short


def encode(msg: InboundMessage, received: float) -> bytes:
    return json.dumps({"received": received, "msg": asdict(msg)}, separators=(",", ":")).encode("utf-8")


def decode(data: bytes) -> tuple[InboundMessage, float]:
    record: dict[str, Any] = json.loads(data)
    fields = dict(record["msg"])
    fields["hints"] = Hints(**fields.get("hints") or {})
    return InboundMessage(**fields), float(record["received"])


def sender(msg: InboundMessage) -> bytes:
    return f"{msg.channel}:{msg.address}".encode("utf-8")


class SpoolKeeper:
    """The callable an edge is given: ``keeper(msg) -> bool`` (kept, or the spool is full)."""

    def __init__(self, spool: Spool, *, clock: Callable[[], float] = time.time) -> None:
        self.spool, self.clock = spool, clock
        self._warned_at = -WARN_EVERY

    def holds(self, msg: InboundMessage) -> bool:
        try:
            return self.spool.holds(sender(msg))
        except OSError:  # the spool's disk is away too: nothing there to wait behind
            return False

    def __call__(self, msg: InboundMessage) -> bool:
        try:
            kept = self.spool.put(encode(msg, self.clock()), sender=sender(msg))
        except OSError as exc:  # a full or read-only disk: the provider retries, as without a spool
            log.error("spool write failed", extra={"error": type(exc).__name__})
            return False
        now = time.monotonic()
        if kept and now - self._warned_at >= WARN_EVERY:  # once in a while, not a line per message
            self._warned_at = now
            log.warning("database unavailable: messages going to the spool", extra={"files": self.spool.usage().files})
        return kept


@dataclass
class DrainReport:
    fed: int = 0
    expired: int = 0
    failed: int = 0
    stopped: bool = False  # the database went away again: the rest waits for the next round
    skipped: bool = False  # another drainer holds the spool
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)


class SpoolDrainer:
    """Feeds the spool through ``intake`` once the database answers again.

    Each sender's messages are fed one after the other, in arrival order; different senders'
    in parallel (``threads``), so that a long outage's backlog drains in a fraction of its length.
    """

    def __init__(self, spool: Spool, *, intake: IntakeService, secrets: ServerSecrets,
                 threads: int = DRAIN_THREADS) -> None:
        self.spool, self.intake, self.threads = spool, intake, threads
        self._stopping = threading.Event()
        self._copies_box = provider_copies.box(intake.epochs, secrets)

    def run_once(self, *, limit: int = DRAIN_LIMIT) -> DrainReport:
        report = DrainReport()
        with self.spool.draining() as mine:
            if not mine:
                report.skipped = True
                return report
            groups = self._by_sender(self.spool.pending()[:limit], report)
            with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="spool-drain") as pool:
                list(pool.map(lambda files: self._feed_sender(files, report), groups.values()))
        if report.fed or report.expired or report.failed:
            log.info("spool drained", extra={"fed": report.fed, "expired": report.expired, "failed": report.failed})
        return report

    def _by_sender(self, names: list[str], report: DrainReport) -> dict[bytes, list[tuple[str, bytes]]]:
        """The files opened and grouped by sender (channel and address), each group oldest first."""
        groups: dict[bytes, list[tuple[str, bytes]]] = {}
        for name in names:
            data = self.spool.open(self.spool.ready / name)  # deleted when it cannot open any more
            if data is None:
                report.add("expired")
                continue
            try:
                who = sender(decode(data)[0])
            except (ValueError, TypeError, KeyError):
                who = b""  # unreadable: fed (and kept as failed) on its own
            groups.setdefault(who, []).append((name, data))
        return groups

    def _feed_sender(self, files: list[tuple[str, bytes]], report: DrainReport) -> None:
        """One sender's files, oldest first; at the first one that cannot go in, the rest wait."""
        for name, data in files:
            if report.stopped or self._stopping.is_set():
                return
            path = self.spool.claim(name)
            if path is None:
                continue
            if not self._feed_one(data, report):
                self.spool.release(path)
                return  # never a later message of this sender before this one
            self.spool.done(path)

    def stop(self) -> None:
        """Feed no further file (the process stops); the one being fed finishes."""
        self._stopping.set()

    def _feed_one(self, data: bytes, report: DrainReport) -> bool:
        """True once the database holds the message (or it was a duplicate)."""
        try:
            msg, _ = decode(data)
        except (ValueError, TypeError, KeyError):
            log.error("spooled message unreadable: kept for an operator")
            report.add("failed")
            return False
        try:
            self.intake.handle(msg, inline=False, also=self._also(msg))
        except DBAPIError:
            report.stopped = True
            return False
        except Exception as exc:  # one bad message must not hold back the others
            log.error("spooled message failed", extra={"error": type(exc).__name__})
            report.add("failed")
            return False
        report.add("fed")
        return True

    def _also(self, msg: InboundMessage) -> Also | None:
        """What the Twilio edge does in the message's transaction, done here instead."""
        if msg.channel not in CARRIER_CHANNELS or msg.provider_id is None:
            return None
        sid, channel, box = msg.provider_id, msg.channel, self._copies_box

        def also(conn: Connection, conversation_id: str, now: float) -> None:
            provider_copies.queue(conn, box=box, channel=channel, sid=sid, now=now)
            reply_window.inbound(conn, channel=channel, conversation_id=conversation_id, now=now)
        return also
