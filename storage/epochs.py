"""Short-lived data under short-lived keys: every ratcheted purpose, and boxes and MACs over them.

``storage.ratchet`` keeps one forward-secure chain per purpose in the secrets folder.  This
module is what the rest of the code uses: ``EpochKeys`` holds the chains of every short-lived
purpose with its schedule (how long an epoch lasts, how many past epochs stay open), and gives

- ``box(purpose)``: an AEAD whose blobs name the purpose and epoch they were sealed in
  (``0x02 | tag | epoch (4 bytes) | Box blob``), so a blob opens only while its epoch lives;
- ``mac(purpose, data)``: a keyed hash under the current epoch (what a row is written with), and
  ``macs(purpose, data)``: the hashes under every epoch still open (what a lookup tries);
- ``derived(purpose, info)``: a key of the current epoch bound to ``info`` (a provider id), and
  ``derived_at`` to re-derive it for a blob's epoch.

Once an epoch passes its window its key is refused by the clock on every process and, after the
worker's ``advance``, gone from the secrets folder too: every copy of what it sealed (old WAL
frames, dead rows, backups) stays closed.
"""

from __future__ import annotations

import hmac
import math
import struct
import threading
import time
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Callable, Mapping

from storage.crypto import Box, DecryptionFailed
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed, Ratchet, Schedule

_MAGIC = 0x02
_HEAD = struct.Struct(">BBI")  # magic, purpose tag, epoch
HOUR = 3600
DAY = 86400
# A spooled message opens for this many hours after the hour it arrived in: an outage longer than
# a day is one an operator has long noticed, and a reporter's words must not wait on disk longer.
SPOOL_HOURS = 24

# One byte per ratcheted purpose, written into every blob: never reuse or renumber a tag.
TAGS: dict[Purpose, int] = {
    Purpose.CONVERSATION_STATE: 1,
    Purpose.FOLLOWUP_STATE: 2,
    Purpose.LOOKUP: 3,
    Purpose.TIP_LINK: 4,
    Purpose.ADDRESS: 5,
    Purpose.OUTBOX: 6,
    Purpose.INBOUND: 7,
    Purpose.INBOUND_REPLIES: 8,
    Purpose.PROVIDER_COPIES: 9,
    Purpose.THROTTLE: 10,
    Purpose.SPOOL: 11,
    Purpose.STAFF_QUESTIONS: 20,
    Purpose.RATE: 12,
}
_BY_TAG = {tag: purpose for purpose, tag in TAGS.items()}


def schedules(*, idle_minutes: int, followup_days: int) -> dict[Purpose, Schedule]:
    """How long each short-lived purpose's keys live, from the line's own windows.

    An interview's state is needed while it runs and until the worker seals it after the idle
    window (a few hours' grace for a worker that was down); what a finished interview keeps,
    its lookup, tip link and address, for the follow-up window; provider ids for Telegram's
    redelivery (a day or two).

    Outbox bodies and the Telegram chat log share OUTBOX: a reply that keeps failing is dead
    within minutes (``storage.outbox``: 8 attempts, back-off capped at 10 minutes) and a
    WhatsApp reply held for its window waits for the reporter's next message, but the chat
    log's message ids serve EXIT's deletion for the 48 hours the Bot API allows
    (``storage.chatlog``): that longest need, plus two hours' grace, is the window.  A body
    still queued after it is reported dead, unread.  Stored replies (INBOUND_REPLIES) are for
    a Twilio redelivery, which comes within seconds; the worker clears them after
    ``storage.inbound.REPLY_RETENTION`` and their hour's key dies within two.  Provider
    copies (Twilio SIDs) are retried for at most ~21.5 hours (``storage.provider_copies``:
    30 attempts, back-off capped at an hour), so their keys live 24.
    Messages spooled during a database outage live a day (``SPOOL_HOURS``).  The abuse
    limits' rate counters (RATE) live for an hour.
    """
    idle_hours = math.ceil(idle_minutes / 60)
    followup = followup_days + 1
    return {
        Purpose.CONVERSATION_STATE: Schedule(HOUR, keep=idle_hours + 3),
        Purpose.FOLLOWUP_STATE: Schedule(DAY, keep=followup),
        Purpose.LOOKUP: Schedule(DAY, keep=followup),
        Purpose.TIP_LINK: Schedule(DAY, keep=followup),
        Purpose.ADDRESS: Schedule(DAY, keep=followup),
        Purpose.OUTBOX: Schedule(HOUR, keep=48 + 2),
        Purpose.INBOUND: Schedule(DAY, keep=2),
        Purpose.INBOUND_REPLIES: Schedule(HOUR, keep=1),
        Purpose.PROVIDER_COPIES: Schedule(HOUR, keep=24),
        Purpose.THROTTLE: Schedule(HOUR, keep=2),
        Purpose.SPOOL: Schedule(HOUR, keep=SPOOL_HOURS),
        # A question staff leave waits for the reporter's code for the follow-up window from its asking.
        Purpose.STAFF_QUESTIONS: Schedule(DAY, keep=followup),
        # A sender's rate counter lives for its window (minutes): the hash is unlinkable an hour on.
        Purpose.RATE: Schedule(HOUR, keep=1),
    }


@dataclass(frozen=True)
class Sealed:
    """What a blob says about itself before it is opened."""

    purpose: Purpose
    epoch: int


def head(purpose: Purpose, epoch: int) -> bytes:
    """The head an epoch blob of ``purpose`` sealed in ``epoch`` starts with (then a Box blob)."""
    return _HEAD.pack(_MAGIC, TAGS[purpose], epoch)


def peek(blob: bytes) -> Sealed | None:
    """The purpose and epoch an epoch blob names; None if it is not one."""
    if len(blob) < _HEAD.size or blob[0] != _MAGIC:
        return None
    _, tag, epoch = _HEAD.unpack_from(blob)
    purpose = _BY_TAG.get(tag)
    return Sealed(purpose, epoch) if purpose is not None else None


class EpochBox:
    """AEAD under one purpose's epoch keys; a blob opens only while its epoch is inside the window."""

    def __init__(self, ratchet: Ratchet, purpose: Purpose) -> None:
        self._ratchet, self._purpose, self._tag = ratchet, purpose, TAGS[purpose]
        self._boxes: dict[int, Box] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EpochBox({self._purpose.value})"

    def _box(self, epoch: int) -> Box:
        """The AEAD of ``epoch``, built once per epoch key (issue 11); EpochDestroyed outside the window.

        The clock check is the ratchet's own (``in_window``, what ``Ratchet.key`` checks first) and
        runs on every call, cached AEAD or not, so a blob is refused the moment its epoch closes.
        A new epoch's AEAD drops those of epochs the clock has closed: none is kept past its window.
        """
        box = self._boxes.get(epoch)
        if box is not None and self._ratchet.in_window(epoch):
            return box
        key = self._ratchet.key(epoch)  # raises EpochDestroyed outside the window
        with self._lock:
            box = self._boxes.get(epoch)
            if box is None:
                for closed in [e for e in self._boxes if not self._ratchet.in_window(e)]:
                    del self._boxes[closed]
                box = self._boxes[epoch] = Box(key)
            return box

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        epoch = self._ratchet.schedule.epoch(self._ratchet.clock())
        return head(self._purpose, epoch) + self._box(epoch).encrypt(plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        """The plaintext; EpochDestroyed when its epoch is gone, DecryptionFailed when altered."""
        sealed = peek(blob)
        if sealed is None or sealed.purpose is not self._purpose:
            raise DecryptionFailed(f"not a {self._purpose.value} blob")
        return self._box(sealed.epoch).decrypt(blob[_HEAD.size:], aad)


class EpochKeys:
    """The chains of every short-lived purpose, in ``<secrets>/ratchet/``, on one clock."""

    def __init__(
        self, folder: Path, plan: Mapping[Purpose, Schedule], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.folder, self.clock = folder, clock
        self._ratchets = {p: Ratchet(folder, p.value, s, clock=clock) for p, s in plan.items()}
        self._boxes = {p: EpochBox(r, p) for p, r in self._ratchets.items()}

    def ratchet(self, purpose: Purpose) -> Ratchet:
        return self._ratchets[purpose]

    def box(self, purpose: Purpose) -> EpochBox:
        return self._boxes[purpose]

    def epoch(self, purpose: Purpose) -> int:
        r = self._ratchets[purpose]
        return r.schedule.epoch(self.clock())

    def mac(self, purpose: Purpose, data: bytes) -> bytes:
        """The keyed hash of ``data`` under the current epoch (what a new row is written with)."""
        _, key = self._ratchets[purpose].current()
        return hmac.new(key, data, sha256).digest()

    def macs(self, purpose: Purpose, data: bytes) -> list[bytes]:
        """The keyed hashes of ``data`` under every epoch still open, newest first (what a lookup tries)."""
        return [hmac.new(key, data, sha256).digest() for _, key in self._ratchets[purpose].window()]

    def current_and_macs(self, purpose: Purpose, data: bytes) -> tuple[bytes, tuple[bytes, ...]]:
        """``(mac(purpose, data), tuple(macs(purpose, data)))`` with each keyed hash computed once:
        the current epoch's is the window's first unless the epoch turned between the two reads."""
        ratchet = self._ratchets[purpose]
        epoch, key = ratchet.current()
        window = ratchet.window()
        tried = tuple(hmac.new(k, data, sha256).digest() for _, k in window)
        if window and window[0][0] == epoch:
            return tried[0], tried
        return hmac.new(key, data, sha256).digest(), tried

    def derived(self, purpose: Purpose, info: bytes) -> tuple[int, bytes]:
        """(epoch, key): a key of the current epoch bound to ``info``."""
        epoch, key = self._ratchets[purpose].current()
        return epoch, hmac.new(key, info, sha256).digest()

    def derived_at(self, purpose: Purpose, epoch: int, info: bytes) -> bytes:
        """The key ``derived`` gave in ``epoch``; EpochDestroyed once that epoch is gone."""
        return hmac.new(self._ratchets[purpose].key(epoch), info, sha256).digest()

    # -- life cycle ----------------------------------------------------------------------

    def create_missing(self, *, start: float | None = None) -> list[Purpose]:
        """Start every chain that has no file yet (``tipline init``); returns the ones created.

        ``start`` backdates a new chain (tests whose fake clocks begin in the past); a real
        install starts its chains now.
        """
        created = []
        for purpose, ratchet in self._ratchets.items():
            if start is not None and not ratchet.path.exists():
                Ratchet(self.folder, purpose.value, ratchet.schedule, clock=lambda: start).create()
                created.append(purpose)
            elif ratchet.create():
                created.append(purpose)
        return created

    def check(self) -> None:
        """Raise RatchetMissing (with the fix) if any chain is missing or damaged."""
        for ratchet in self._ratchets.values():
            ratchet.window()  # loads the file; missing or damaged raises with the fix

    def advance(self) -> dict[str, int]:
        """Destroy every epoch past its window, on this host (the worker, each round)."""
        return {p.value: r.advance() for p, r in self._ratchets.items()}


__all__ = ["EpochBox", "EpochDestroyed", "EpochKeys", "Sealed", "TAGS", "head", "peek", "schedules"]
