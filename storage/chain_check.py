"""The database's keyed fingerprints of the key chains (``storage.ratchet``), one per purpose.

Every host of a line must derive the same epoch keys: a host that started chains of its own
(``tipline init`` run on it without the first host's ``ratchet/`` folder) would find no
conversation the others keep and seal what they cannot open, silently splitting the line.  So
the database keeps, per purpose, the epoch of a recent key and an HMAC under that key (never the
key, nothing that opens data); ``tipline init`` and every process check it before they start, and
the worker refreshes it each round so it always names an epoch still inside every window.

The rows share ``ServerSecretCheck`` (id 1 is the server secret's fingerprint): id
``CHAIN_ID_BASE + tag`` for the purpose of that epoch tag, ``fingerprint`` the epoch (8 bytes)
then the HMAC.
"""

from __future__ import annotations

import hmac
import struct
from hashlib import sha256

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import CryptoError
from storage.epochs import TAGS, EpochKeys
from storage.ratchet import EpochDestroyed
from storage.tables import ServerSecretCheck

_t = ServerSecretCheck.__table__  # type: ignore[attr-defined]
_LABEL = b"tipline key chain fingerprint v1"
CHAIN_ID_BASE = 100
LOST = (" If the line lost these chains (no host has them), 'tipline init --new-chains' starts new ones: "
        "conversations in progress start over, and what those keys sealed stays closed.")


class ChainMismatchError(CryptoError):
    """This host's key chains are not the line's; the message says what to do."""


def _mark(key: bytes) -> bytes:
    return hmac.new(key, _LABEL, sha256).digest()


def recorded(conn: Connection) -> bool:
    """True once any chain fingerprint is in the database."""
    return conn.execute(select(_t.c.id).where(_t.c.id >= CHAIN_ID_BASE).limit(1)).first() is not None


def record(conn: Connection, *, epochs: EpochKeys, now: float) -> None:
    """Write (or refresh) the fingerprint of every chain at its current epoch."""
    for purpose, tag in TAGS.items():
        try:
            epoch, key = epochs.ratchet(purpose).current()
        except KeyError:
            continue  # a purpose this process has no chain for
        values = {"fingerprint": struct.pack(">q", epoch) + _mark(key), "created_at": now}
        # An upsert, not delete-then-insert: two workers refreshing at once on PostgreSQL would
        # both miss the row and the second insert would fail its whole jobs round.
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(_t).values(id=CHAIN_ID_BASE + tag, **values)
        conn.execute(insert.on_conflict_do_update(index_elements=[_t.c.id], set_=values))


def blocking(conn: Connection, *, epochs: EpochKeys, now: float) -> list[str]:
    """Purposes whose chain file is missing here although the line recorded one still in use:
    starting a new chain for them would split the line (init refuses; copy the folder instead)."""
    by_tag = {tag: purpose for purpose, tag in TAGS.items()}
    found = []
    for row_id, blob in conn.execute(select(_t.c.id, _t.c.fingerprint).where(_t.c.id >= CHAIN_ID_BASE)):
        purpose = by_tag.get(int(row_id) - CHAIN_ID_BASE)
        if purpose is None or len(bytes(blob)) != 8 + 32:
            continue
        try:
            ratchet = epochs.ratchet(purpose)
        except KeyError:
            continue
        (epoch,) = struct.unpack(">q", bytes(blob)[:8])
        if not ratchet.path.exists() and epoch >= ratchet.schedule.oldest(now):
            found.append(purpose.value)
    return found


def forget(conn: Connection, *, purposes: list[str]) -> None:
    """Drop the fingerprints of chains the line lost (``init --new-chains`` starts them anew)."""
    ids = [CHAIN_ID_BASE + tag for purpose, tag in TAGS.items() if purpose.value in purposes]
    if ids:
        conn.execute(delete(_t).where(_t.c.id.in_(ids)))


def mismatched(conn: Connection, *, epochs: EpochKeys) -> list[str]:
    """The purposes whose recorded fingerprint this host's chain does not reproduce.

    A recorded epoch this host can no longer (or cannot yet) derive says nothing either way and
    is skipped: the worker's next round records a fresh one.
    """
    by_tag = {tag: purpose for purpose, tag in TAGS.items()}
    wrong = []
    for row_id, blob in conn.execute(select(_t.c.id, _t.c.fingerprint).where(_t.c.id >= CHAIN_ID_BASE)):
        purpose = by_tag.get(int(row_id) - CHAIN_ID_BASE)
        blob = bytes(blob)
        if purpose is None or len(blob) != 8 + 32:
            continue
        (epoch,) = struct.unpack(">q", blob[:8])
        try:
            key = epochs.ratchet(purpose).key(epoch)
        except (KeyError, EpochDestroyed):
            continue
        if not hmac.compare_digest(_mark(key), blob[8:]):
            wrong.append(purpose.value)
    return wrong


def require_match(conn: Connection, *, epochs: EpochKeys) -> None:
    """Raise ``ChainMismatchError`` if this host's chains are not the ones the line records."""
    wrong = mismatched(conn, epochs=epochs)
    if wrong:
        raise ChainMismatchError(mismatch_message(epochs, wrong))


def blocked_message(epochs: EpochKeys, blocked: list[str]) -> str:
    """Why ``init`` will not start these chains: missing here (a restore, a new host) or different."""
    folder = epochs.folder / "ratchet"
    if all(not (folder / f"{purpose}.json").exists() for purpose in blocked):
        return (
            f"the key chains the line uses are missing from {folder} ({', '.join(sorted(blocked))}). A new host "
            "needs a copy of the first host's secrets folder (ratchet/ included); after a restore from backup "
            "(which leaves ratchet/ out on purpose) there is no copy, and 'tipline init --new-chains' starts new "
            "ones: conversations in progress start over, and what the old keys sealed stays closed. Nothing was "
            "changed."
        )
    return mismatch_message(epochs, blocked) + LOST


def mismatch_message(epochs: EpochKeys, wrong: list[str]) -> str:
    return (
        f"the key chains in {epochs.folder / 'ratchet'} are not this line's ({', '.join(sorted(wrong))}): they "
        "were started on this host instead of copied. Every host must use the first host's chains: stop this "
        "process, replace the folder with a copy of the first host's secrets folder (ratchet/ included) and "
        "start again. Nothing was changed."
    )
