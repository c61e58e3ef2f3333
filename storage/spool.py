"""The inbound spool: authenticated messages kept on local disk while the database does not answer.

One file per message, under ``<data>/spool/``:

- ``tmp/``: a file being written (``O_CREAT | O_EXCL``, mode 0600, fsynced), then renamed whole
  into ``ready/``, and the folder fsynced, so a crash leaves either the whole message or none;
- ``ready/``: named ``<receive time, ns>-<sender tag>-<random>.msg``, so the names sort in arrival
  order; the tag is a keyed hash of the sender under the spool's epoch key (it dies with the
  epoch), so that a later message of a sender with messages still spooled is spooled behind them
  instead of overtaking them (``holds``);
- ``claimed/``: a drainer renames a file here before it feeds it (a rename succeeds for one
  process only, so two drainers never feed the same file) and deletes it once the database
  has it.

Every file is sealed under the SPOOL purpose's hour epochs (``storage.epochs``): once its epoch
passes the window (``SPOOL_HOURS``) it opens nowhere, on this disk or in any copy of it.  The
spool is bounded in files and bytes; when full, ``put`` says so and the edge answers 503 as
it does without a spool.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from storage.crypto import DecryptionFailed
from storage.epochs import EpochKeys
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed

log = logging.getLogger(__name__)

SPOOL_AAD = b"tipline-spool-v1"  # bound to every file (no secret: it names the format)
SUFFIX = ".msg"
MAX_FILES = 10_000
MAX_BYTES = 64 * 1024 * 1024
_TAG_BYTES = 8
# A folder seen empty is remembered by its modification time: adding, renaming in or removing a
# name changes it.  Remembered only when that time is this much older than the listing that
# found the folder empty, so that a file arriving in the same timestamp tick (coarse clocks,
# file systems with 1-2 s timestamps) always moves the time on, on this process or another.
_SETTLED_NS = 3_000_000_000


@dataclass(frozen=True)
class Usage:
    files: int
    bytes: int


class Spool:
    """The spool folder of one host; every process of the public app and the worker share it."""

    def __init__(self, folder: Path, keys: EpochKeys, *, max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES,
                 clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.folder, self._keys, self._box = folder, keys, keys.box(Purpose.SPOOL)
        self.max_files, self.max_bytes = max_files, max_bytes
        self._clock_ns = clock_ns
        self.tmp, self.ready, self.claimed = folder / "tmp", folder / "ready", folder / "claimed"
        self._lock = threading.Lock()  # one writer per process checks the bounds at a time
        self._empty_since: dict[Path, int] = {}  # folder -> the mtime it had when listed empty
        for path in (folder, self.tmp, self.ready, self.claimed):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)

    # -- writing (the public app, while the database is away) -------------------------------

    def put(self, plaintext: bytes, *, sender: bytes) -> bool:
        """Seal and keep one message durably; False (nothing written) when the spool is full."""
        blob = self._box.encrypt(plaintext, SPOOL_AAD)
        tag = self._keys.mac(Purpose.SPOOL, sender)[:_TAG_BYTES].hex()
        name = f"{self._clock_ns():020d}-{tag}-{secrets.token_hex(8)}{SUFFIX}"
        with self._lock:
            usage = self.usage()
            if usage.files + 1 > self.max_files or usage.bytes + len(blob) > self.max_bytes:
                log.warning("spool full: message refused", extra={"files": usage.files, "bytes": usage.bytes})
                return False
            staged = self.tmp / name
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, blob)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(staged, self.ready / name)
            _fsync_dir(self.ready)
        return True

    def holds(self, sender: bytes) -> bool:
        """Whether messages of ``sender`` wait here (a new one must queue behind them)."""
        names = [n for folder in (self.ready, self.claimed) for n in self._names(folder)]
        if not names:  # the common case: an empty spool costs two stat calls (issue 11)
            return False
        tags = {mac[:_TAG_BYTES].hex() for mac in self._keys.macs(Purpose.SPOOL, sender)}
        return any(sender_tag(name) in tags for name in names)

    def _names(self, folder: Path) -> list[str]:
        """The folder's names; [] without reading it when its mtime says it is still as seen empty."""
        mtime = os.stat(folder).st_mtime_ns
        if self._empty_since.get(folder) == mtime:
            return []
        listed_at = time.time_ns()  # the clock file times come from
        names = os.listdir(folder)
        if not names and listed_at - mtime >= _SETTLED_NS:
            self._empty_since[folder] = mtime
        return names

    def usage(self) -> Usage:
        """Files and bytes waiting or being fed (what the bounds count)."""
        files = size = 0
        for folder in (self.ready, self.claimed):
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        size += entry.stat().st_size
                    except FileNotFoundError:  # drained meanwhile
                        continue
                    files += 1
        return Usage(files, size)

    # -- draining (the worker, once the database is back) -----------------------------------

    @contextmanager
    def draining(self) -> Iterator[bool]:
        """Hold the spool's drain lock if no other process does (True), else yield False at once.

        One drainer at a time feeds the files in arrival order, which keeps each conversation's
        messages in order; a second drainer skips the round instead of racing it.  Files a dead
        drainer had claimed go back to ``ready/`` (the intake's dedup makes a second feed harmless).
        """
        fd = os.open(self.folder / "drain.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            for path in sorted(self.claimed.iterdir()):
                os.rename(path, self.ready / path.name)
            yield True
        finally:
            os.close(fd)  # releases the lock

    def pending(self) -> list[str]:
        """The names in ``ready/``, oldest first."""
        return sorted(p.name for p in self.ready.iterdir() if p.name.endswith(SUFFIX))

    def claim(self, name: str) -> Path | None:
        """Move one file to ``claimed/``; None if another process took it first."""
        target = self.claimed / name
        try:
            os.rename(self.ready / name, target)
        except FileNotFoundError:
            return None
        return target

    def open(self, path: Path) -> bytes | None:
        """The message a file holds; None when it is gone, or (and it is deleted) once it cannot open."""
        try:
            return self._box.decrypt(path.read_bytes(), SPOOL_AAD)
        except FileNotFoundError:
            return None
        except EpochDestroyed:
            log.warning("spooled message past its window: deleted unread")
        except DecryptionFailed:
            log.warning("spooled message damaged: deleted")
        self.done(path)
        return None

    def release(self, path: Path) -> None:
        """Give a claimed file back (the database went away again): the next round retries it."""
        os.rename(path, self.ready / path.name)

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)


def sender_tag(name: str) -> str:
    """The sender tag a file's name carries (the same for one sender's files within an epoch)."""
    return name[21:21 + 2 * _TAG_BYTES]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
