"""Blobs around the epoch keys that ``EpochBox`` does not seal itself: per-item keys, and old blobs.

- ``seal_derived`` / ``open_derived``: a blob under ``EpochKeys.derived(purpose, info)`` of the
  current epoch, with that epoch in its head.  Only someone who knows ``info`` (a provider's
  message id for its stored replies) can derive the key, and only while the epoch lives.
- ``UpgradeBox``: what the outbox, the chat log and the provider-copy queue seal with.  It
  writes epoch blobs only; a blob written before the upgrade (a version-1 ``Box`` blob under a
  server key) still opens, for reading only, so the rows an upgraded install had pending
  still deliver.  Those old rows are deleted as they are delivered or purged; their copies in
  WAL frames, dead rows and backups taken before the upgrade stay under the server key
  (README: "Backups").
"""

from __future__ import annotations

from typing import Protocol

from storage.crypto import Box, DecryptionFailed
from storage.epochs import EpochBox, EpochKeys, head, peek
from storage.purposes import Purpose

__all__ = ["Sealer", "UpgradeBox", "open_derived", "seal_derived"]


class Sealer(Protocol):
    """An AEAD with associated data: a ``Box``, an ``EpochBox`` or an ``UpgradeBox``."""

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes: ...

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes: ...


class UpgradeBox:
    """Writes under the purpose's epochs; reads those and, read-only, blobs from before the upgrade."""

    def __init__(self, new: EpochBox, old: Box) -> None:
        self._new, self._old = new, old

    def __repr__(self) -> str:
        return f"UpgradeBox({self._new!r})"

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        return self._new.encrypt(plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        """EpochDestroyed once an epoch blob's window has passed; DecryptionFailed when altered."""
        if peek(blob) is not None:
            return self._new.decrypt(blob, aad)
        return self._old.decrypt(blob, aad)


def seal_derived(keys: EpochKeys, purpose: Purpose, info: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """``plaintext`` under the current epoch's key for ``info`` (the epoch goes in the head)."""
    epoch, key = keys.derived(purpose, info)
    return head(purpose, epoch) + Box(key).encrypt(plaintext, aad)


def open_derived(keys: EpochKeys, purpose: Purpose, info: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """What ``seal_derived`` sealed; EpochDestroyed past its window, DecryptionFailed otherwise."""
    sealed = peek(blob)
    if sealed is None or sealed.purpose is not purpose:
        raise DecryptionFailed(f"not a {purpose.value} blob")
    return Box(keys.derived_at(purpose, sealed.epoch, info)).decrypt(blob[len(head(purpose, 0)):], aad)
