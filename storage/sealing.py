"""Sealing tip versions to queue keys, and opening them with a member's keys.

Each version of a tip is sealed once per routed queue, to that queue's current key,
with the context ``"{tip_id}:{version}:{queue}"``: an envelope copied to another
tip, version or queue does not open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.exc import IntegrityError

from storage import crypto
from storage.crypto import DecryptionFailed
from storage.fastsql import Statement
from storage.keys import NotGrantedError, StaffKeys, current_public_keys
from storage.tables import TipEnvelope

_env_t = TipEnvelope.__table__  # type: ignore[attr-defined]
# Every completed interview writes one envelope per queue: built once (storage/fastsql.py says why).
_INSERT = Statement(
    "INSERT INTO tipenvelope (tip_id, version, queue, key_id, envelope, created_at)"
    " VALUES (:tip_id, :version, :queue, :key_id, :envelope, :created_at)"
)


class SealingError(Exception):
    """Base class for the errors of this module."""


class NoQueuesError(SealingError):
    """A tip must be sealed to at least one queue, or nobody could ever open it."""


class AlreadySealedError(SealingError):
    """This tip version is already sealed to that key."""


class UnknownTipError(SealingError):
    """No envelope for that tip (or that version of it)."""


class EnvelopeTamperedError(SealingError):
    """An envelope does not open with the key it names: it was altered or moved."""


@dataclass(frozen=True)
class OpenedTip:
    tip_id: str
    version: int
    queue: str
    key_id: str
    payload: bytes = field(repr=False)


def _context(tip_id: str, version: int, queue: str) -> bytes:
    return f"{tip_id}:{version}:{queue}".encode()


@dataclass(frozen=True)
class Envelope:
    """One version of a tip sealed to one queue's key, not yet written."""

    tip_id: str
    version: int
    queue: str
    key_id: str
    sealed: bytes = field(repr=False)


def seal_envelopes(
    conn: Connection, *, tip_id: str, version: int, payload: bytes, queues: Sequence[str]
) -> list[Envelope]:
    """Seal one envelope per queue to its current key, reading the keys only (no writes), so the
    X25519 work can run before the write transaction.  Raises ``storage.keys.UnknownQueueError``."""
    if not queues:
        raise NoQueuesError("a tip needs at least one queue")
    return [
        Envelope(tip_id, version, queue, key_id,
                 crypto.seal(payload, recipient_public=public, key_id=key_id, context=_context(tip_id, version, queue)))
        for queue, key_id, public in current_public_keys(conn, queues)
    ]


def keys_still_current(conn: Connection, envelopes: Sequence[Envelope]) -> bool:
    """False when a queue's key was rotated since the envelopes were sealed (seal them again)."""
    queues = sorted({e.queue for e in envelopes})
    current = {queue: key_id for queue, key_id, _ in current_public_keys(conn, queues)}
    return all(current.get(e.queue) == e.key_id for e in envelopes)


def write_envelopes(conn: Connection, envelopes: Sequence[Envelope], *, now: float) -> list[str]:
    """Write sealed envelopes; returns the key ids used.  AlreadySealedError on a version written twice."""
    key_ids = []
    for e in envelopes:
        try:
            _INSERT.run(conn, {"tip_id": e.tip_id, "version": e.version, "queue": e.queue, "key_id": e.key_id,
                               "envelope": e.sealed, "created_at": now})
        except IntegrityError:
            raise AlreadySealedError(f"tip {e.tip_id} version {e.version} is already sealed to key {e.key_id}") \
                from None
        key_ids.append(e.key_id)
    return key_ids


def seal_tip(
    conn: Connection, *, tip_id: str, version: int, payload: bytes, queues: Sequence[str], now: float
) -> list[str]:
    """Write one envelope per queue (to its current key); returns the key ids used.

    Raises ``storage.keys.UnknownQueueError`` for an unknown queue."""
    envelopes = seal_envelopes(conn, tip_id=tip_id, version=version, payload=payload, queues=queues)
    return write_envelopes(conn, envelopes, now=now)


def tip_versions(conn: Connection, tip_id: str) -> list[int]:
    rows = conn.execute(select(_env_t.c.version).distinct().where(_env_t.c.tip_id == tip_id))
    return sorted(r.version for r in rows)


def open_tip(conn: Connection, *, tip_id: str, keys: StaffKeys, version: int | None = None) -> OpenedTip:
    """Open the newest (or the given) version of a tip with any key the member holds."""
    if version is None:
        version = conn.execute(select(func.max(_env_t.c.version)).where(_env_t.c.tip_id == tip_id)).scalar()
        if version is None:
            raise UnknownTipError(f"no sealed tip {tip_id}")
    rows = list(
        conn.execute(
            select(_env_t.c.queue, _env_t.c.key_id, _env_t.c.envelope)
            .where(and_(_env_t.c.tip_id == tip_id, _env_t.c.version == version))
            .order_by(_env_t.c.id)
        )
    )
    if not rows:
        raise UnknownTipError(f"no sealed tip {tip_id} version {version}")
    held = keys.held_key_ids(conn)
    for row in rows:
        if row.key_id not in held:
            continue
        private = keys.queue_private(conn, row.key_id)
        try:
            payload = crypto.open_sealed(
                row.envelope, recipient_private=private, context=_context(tip_id, version, row.queue)
            )
        except DecryptionFailed:
            raise EnvelopeTamperedError(
                f"the envelope of tip {tip_id} version {version} for queue {row.queue} does not open"
            ) from None
        return OpenedTip(tip_id=tip_id, version=version, queue=row.queue, key_id=row.key_id, payload=payload)
    raise NotGrantedError("you hold no key for the queues of this tip")


def open_envelope(conn: Connection, *, keys: StaffKeys, tip_id: str, version: int, queue: str, key_id: str,
                  sealed: bytes) -> bytes:
    """Open one envelope already read (a batch reader, e.g. the dashboard); raises like ``open_tip``."""
    private = keys.queue_private(conn, key_id)
    try:
        return crypto.open_sealed(sealed, recipient_private=private, context=_context(tip_id, version, queue))
    except DecryptionFailed:
        raise EnvelopeTamperedError(f"the envelope of tip {tip_id} version {version} for queue {queue} does not open") \
            from None
