"""Keyed hashes that expire with their epoch: what a row is written with, and what a lookup tries.

A conversation (and an opt-out, and a wrong-code counter) is found by a keyed hash of the
reporter's ``channel:address``.  Under a key that never dies, a thief with the server secrets
could test every phone number against every row ever written (issue 9, finding 2).  Under the
ratchet's epoch keys (``storage.epochs``) a row is written with the current epoch's hash and
found by the hashes of every epoch still open; once its epoch is destroyed nobody, the line
included, can tell whose row it was.  A row that lives long is re-keyed to the current epoch
when it is written again (``storage.conversations``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from storage.epochs import EpochKeys
from storage.purposes import Purpose


@dataclass(frozen=True)
class Keyed:
    """One value's keyed hash under the current epoch and under every epoch still open."""

    current: bytes = field(repr=False)
    tried: tuple[bytes, ...] = field(repr=False)  # newest first; holds ``current``

    def params(self, prefix: str = "l") -> dict[str, bytes]:
        """Bind values for ``in_list(len(self.tried), prefix)``."""
        return {f"{prefix}{i}": value for i, value in enumerate(self.tried)}


def keyed(epochs: EpochKeys, purpose: Purpose, data: bytes) -> Keyed:
    current, tried = epochs.current_and_macs(purpose, data)  # raises RatchetMissing or EpochDestroyed
    tried = tried or (current,)
    return Keyed(current, tried if current in tried else (current, *tried))


def address(epochs: EpochKeys, channel: str, address: str) -> Keyed:
    """The conversation (and opt-out) lookup of a reporter's address."""
    return keyed(epochs, Purpose.LOOKUP, f"{channel}:{address}".encode())


@lru_cache(maxsize=64)
def in_list(n: int, prefix: str = "l") -> str:
    """``:l0, :l1, ...``: the placeholders of an ``IN (...)`` over ``n`` keyed hashes."""
    return ", ".join(f":{prefix}{i}" for i in range(n))
