"""Abuse limits on the public path: per-sender rate limits and a per-process flood guard.

The check is one plain read (the sender's counter and whether they have messages held back,
in the same statement as their conversation row, which the intake goes on from: issue 11),
made before any slow work (Argon2, sealing) and before the write lock, so a flooding sender
costs the others one indexed read per message and no wait.  A sender under the limit is
counted in the message's own transaction (the edge's ``also`` hook): no extra transaction.

The counter is keyed by a keyed hash of ``channel:address`` under the ``rate`` epoch keys
(hour epochs): a thief reading the table an hour later cannot tell whose counter it was.
Counting restarts when the hour's key turns over, which at worst lets a sender a fresh
window once an hour.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Connection

from bot.types import InboundMessage
from storage import first_read, held, throttle
from storage.conversation_state import StateBoxes
from storage.conversations import ConversationRow
from storage.epochs import EpochKeys
from storage.lookups import Keyed
from storage.purposes import Purpose

# The one polite reply a sender over the limit gets (then silence until the window passes).
TOO_MANY = "reply.too_many"

Also = Callable[[Connection, str, float], None]


@dataclass(frozen=True)
class LimitSettings:
    """How much one sender, and one process, may send before messages are held back."""

    per_sender: int = 20  # messages per window from one address (a person typing fast stays under)
    window_seconds: float = 60.0
    flood_per_second: int = 1000  # all senders together, per web process (above what one carries)
    held_per_sender: int = 1000  # kept per window beyond the limit; more is dropped (disk stays bounded)


@dataclass(frozen=True)
class Verdict:
    key: bytes  # the sender's rate hash under the current epoch
    hold: bool  # over a limit (or earlier messages still held): keep it for the worker
    flood: bool = False  # held by the process's flood guard rather than the sender's own limit


class FloodGuard:
    """Messages admitted by this process in the last second; past the ceiling they are held.

    Per process, in memory, on purpose: a shared counter would be one hot row every message
    writes, which is the contention the guard exists to avoid.  N web processes admit N times
    the ceiling, which is what N processes can carry.
    """

    def __init__(self, per_second: int) -> None:
        self._per_second = per_second
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, now: float) -> bool:
        with self._lock:
            while self._times and self._times[0] <= now - 1.0:
                self._times.popleft()
            if len(self._times) >= self._per_second:
                return False
            self._times.append(now)
            return True


class SenderLimits:
    def __init__(self, *, epochs: EpochKeys, settings: LimitSettings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.epochs = epochs
        self.settings = settings or LimitSettings()
        self.clock = clock
        self.flood = FloodGuard(self.settings.flood_per_second)

    def _sender(self, msg: InboundMessage) -> bytes:
        return f"{msg.channel}:{msg.address}".encode()

    def key(self, msg: InboundMessage) -> bytes:
        """The sender's rate hash under the current epoch (what a counter is written with)."""
        return self.epochs.mac(Purpose.RATE, self._sender(msg))

    def has_held(self, conn: Connection, msg: InboundMessage) -> bool:
        """Messages of this sender still held back, under any rate epoch still open."""
        return held.any_held(conn, self.epochs.macs(Purpose.RATE, self._sender(msg)))

    def check_and_find(
        self, conn: Connection, msg: InboundMessage, *, boxes: StateBoxes, lookup: Keyed, now: float,
    ) -> tuple[Verdict, ConversationRow | None]:
        """Whether to hold this message back, and the sender's conversation: one plain read, no write,
        no lock (issue 11: the limits' numbers and the row the intake goes on from, one statement)."""
        key, keys = self.epochs.current_and_macs(Purpose.RATE, self._sender(msg))
        got = first_read.gate_and_conversation(conn, boxes=boxes, lookup=lookup, rate_key=key, rate_keys=list(keys),
                                               window_seconds=self.settings.window_seconds, now=now)
        return self._judge(key, counted=got.counted, has_held=got.held, now=now), got.conversation

    def _judge(self, key: bytes, *, counted: int, has_held: bool, now: float) -> Verdict:
        # Earlier messages still waiting go first: a sender back under the limit waits for them.
        if counted >= self.settings.per_sender or has_held:
            return Verdict(key, hold=True)
        if not self.flood.admit(now):
            return Verdict(key, hold=True, flood=True)
        return Verdict(key, hold=False)

    def counting(self, verdict: Verdict, also: Also | None) -> Also:
        """The edge's bookkeeping plus counting the message, in the message's own transaction."""
        window = self.settings.window_seconds

        def count_then_also(conn: Connection, conv_id: str, now: float) -> None:
            throttle.count(conn, key=verdict.key, window_seconds=window, now=now)
            if also is not None:
                also(conn, conv_id, now)
        return count_then_also

    def count(self, conn: Connection, verdict: Verdict, now: float) -> int:
        """Count a held message; the count in this window so far."""
        return throttle.count(conn, key=verdict.key, window_seconds=self.settings.window_seconds, now=now)

    def first_over(self, *, had_held: bool) -> bool:
        """This held message gets the polite reply: the first one held, read in the hold's transaction.

        Not "the count crossed the limit": two messages counted at once can carry a count past
        the limit before either is held, and the reply must still go out once.
        """
        return not had_held

    def keeps(self, counted: int) -> bool:
        return counted <= self.settings.per_sender + self.settings.held_per_sender
