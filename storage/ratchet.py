"""Keys that can really be destroyed: a forward-secure ratchet per purpose, outside the database.

Erasure by destroying a key works only if no copy of the key survives: not in the database
(old pages, WAL frames and dead rows keep an UPDATE's old value), not in backups, not on another
host.  So a key meant to die lives in the secrets folder, one file per purpose, and moves
forward one way (DESIGN.md, "Keys that can be destroyed"):

    chain[e + 1] = HMAC-SHA256(chain[e], "next")       one-way: chain[e] cannot be recovered
    key[e]       = HMAC-SHA256(chain[e], "use:" + purpose)

Epoch ``e`` is ``floor(now / epoch_seconds)``.  The file holds only the chain key of the oldest
epoch still needed (``keep`` epochs back from now); every later key is derived forward on
demand.  ``advance`` replaces the file with a later chain key: from then on the earlier epochs
are gone from this host, and a backup of the secrets folder taken afterwards opens nothing
older than its oldest kept epoch.  A backup taken before still can, so a backup of the
secrets folder is itself short-lived (README: "Backups").

Several hosts (and processes) copy the folder once and then advance on the same clock,
deriving the same keys; two processes reaching a new epoch at once both write identical
content with an atomic rename, so neither can leave a torn or divergent file.  A process
also refuses, by the clock, any epoch older than its window even if it still holds the
chain in memory.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Callable

from storage.crypto import CryptoError

FOLDER = "ratchet"


class EpochDestroyed(CryptoError):
    """The key of this epoch was destroyed (or never existed here): what it sealed stays closed."""


class RatchetMissing(CryptoError):
    """The ratchet file for a purpose is missing or unreadable; the message says what to do."""


def _next(chain: bytes) -> bytes:
    return hmac.new(chain, b"next", sha256).digest()


def _use(chain: bytes, purpose: str) -> bytes:
    return hmac.new(chain, b"use:" + purpose.encode(), sha256).digest()


@dataclass(frozen=True)
class Schedule:
    """How long one epoch lasts and how many past epochs stay readable (the window)."""

    epoch_seconds: int
    keep: int  # epochs before the current one that can still be opened

    def epoch(self, now: float) -> int:
        return int(now // self.epoch_seconds)

    def oldest(self, now: float) -> int:
        return self.epoch(now) - self.keep


@dataclass
class Ratchet:
    """One purpose's chain in ``<secrets>/ratchet/<purpose>.json``."""

    folder: Path
    purpose: str
    schedule: Schedule
    clock: Callable[[], float] = time.time
    _base: tuple[int, bytes] | None = field(default=None, repr=False)
    _cache: dict[int, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The open window for the (newest, oldest) epochs it was built for: every webhook asks for it
    # several times (lookups, rate keys, provider ids), and it changes once an epoch (issue 11).
    _window: tuple[int, int, tuple[tuple[int, bytes], ...]] | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / FOLDER / f"{self.purpose}.json"

    # -- set-up --------------------------------------------------------------------

    def create(self) -> bool:
        """Start the chain at the current epoch if there is none; True if created."""
        if self.path.exists():
            return False
        self._write(self.schedule.epoch(self.clock()), secrets.token_bytes(32))
        return True

    # -- keys ----------------------------------------------------------------------

    def in_window(self, epoch: int) -> bool:
        """Whether the clock lets ``epoch`` be used now (what ``key`` checks before anything else)."""
        current = self.schedule.epoch(self.clock())
        return current - self.schedule.keep <= epoch <= current + 1

    def key(self, epoch: int) -> bytes:
        """The key of ``epoch``; raises EpochDestroyed outside the window (or before the chain)."""
        now = self.clock()
        if epoch < self.schedule.oldest(now):
            raise EpochDestroyed(f"{self.purpose}: epoch {epoch} is past its window")
        if epoch > self.schedule.epoch(now) + 1:  # a little clock skew between hosts, no more
            raise EpochDestroyed(f"{self.purpose}: epoch {epoch} is in the future")
        with self._lock:
            cached = self._cache.get(epoch)
            if cached is not None:
                return cached
            base_epoch, chain = self._load()
            if epoch < base_epoch:
                raise EpochDestroyed(f"{self.purpose}: epoch {epoch} was destroyed on this host")
            # A web process never runs ``advance``: deriving a new epoch's key is when it lets go of
            # what the clock has closed (the chain held from the file, cached keys), so that no
            # key stays in this process's memory past its window.
            oldest = self.schedule.oldest(now)
            if base_epoch < oldest:
                for _ in range(oldest - base_epoch):
                    chain = _next(chain)
                base_epoch, self._base = oldest, (oldest, chain)
            self._forget_before(oldest)
            for _ in range(epoch - base_epoch):
                chain = _next(chain)
            key = self._cache[epoch] = _use(chain, self.purpose)
            return key

    def current(self) -> tuple[int, bytes]:
        epoch = self.schedule.epoch(self.clock())
        return epoch, self.key(epoch)

    def window(self) -> list[tuple[int, bytes]]:
        """Every epoch still open, newest first (to try a lookup or a decryption in each)."""
        now = self.clock()
        newest, oldest = self.schedule.epoch(now), self.schedule.oldest(now)
        cached = self._window
        if cached is not None and cached[0] == newest and cached[1] == oldest:
            return list(cached[2])
        found = []
        for epoch in range(newest, oldest - 1, -1):
            try:
                found.append((epoch, self.key(epoch)))
            except EpochDestroyed:
                break
        self._window = (newest, oldest, tuple(found))
        return found

    # -- destruction ---------------------------------------------------------------

    def advance(self) -> int:
        """Destroy every epoch before the window; returns how many were destroyed here."""
        oldest = self.schedule.oldest(self.clock())
        with self._lock:
            base_epoch, chain = self._load(cached=False)
            if base_epoch >= oldest:
                self._forget_before(oldest)
                return 0
            for _ in range(oldest - base_epoch):
                chain = _next(chain)
            self._write(oldest, chain)
            self._forget_before(oldest)
            return oldest - base_epoch

    def _forget_before(self, oldest: int) -> None:
        self._window = None
        for epoch in [e for e in self._cache if e < oldest]:
            del self._cache[epoch]

    # -- the file --------------------------------------------------------------------

    def _load(self, *, cached: bool = True) -> tuple[int, bytes]:
        if cached and self._base is not None:
            return self._base
        try:
            data = json.loads(self.path.read_text(encoding="ascii"))
            base = (int(data["epoch"]), bytes.fromhex(data["chain"]))
        except FileNotFoundError:
            raise RatchetMissing(
                f"no key ratchet for {self.purpose} at {self.path}: run 'tipline init', or copy the "
                "secrets folder from the first host"
            ) from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise RatchetMissing(f"{self.path} is damaged: restore the secrets folder from a backup") from None
        if len(base[1]) != 32:
            raise RatchetMissing(f"{self.path} is damaged: restore the secrets folder from a backup")
        self._base = base
        return base

    def _write(self, epoch: int, chain: bytes) -> None:
        """Replace the file atomically and durably (a crash leaves the old or the new file)."""
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / f".{self.purpose}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(json.dumps({"epoch": epoch, "chain": chain.hex()}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._base = (epoch, chain)
