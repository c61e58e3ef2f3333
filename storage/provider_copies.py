"""Provider copies to delete (Twilio's message log), kept in ``ProviderDeletion``.

The provider's message id (a Twilio SID) is sealed under the PROVIDER_COPIES epoch keys,
whose window (24 hours) outlasts every retry: ``MAX_ATTEMPTS`` with back-off capped at
``MAX_DELAY`` add up to at most ``retry_span()`` (~21.5 hours).  Rows are taken with a lease,
retried with back-off (``storage.backoff``) while the provider still holds the message in a
non-final state, and deleted once the provider let go, or after ``MAX_ATTEMPTS`` or once the
id's epoch died (a worker that was down longer than the window), when a warning says a copy
may remain.  The provider
calls themselves live with the channel (``webhooks.provider_copies``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, func, select, update

from storage.backoff import backoff
from storage.crypto import DecryptionFailed, ServerSecrets
from storage.epoch_blobs import Sealer, UpgradeBox
from storage.epochs import EpochKeys
from storage.fastsql import Statement
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed
from storage.tables import ProviderDeletion

log = logging.getLogger(__name__)

_T = ProviderDeletion.__table__  # type: ignore[attr-defined]
_AAD = b"provider-deletion"

FIRST_DELAY = 5.0  # give the provider a moment to reach a final state
LEASE = 60.0
MAX_ATTEMPTS = 30
MAX_DELAY = 3600.0


def box(keys: EpochKeys, secrets: ServerSecrets) -> UpgradeBox:
    """New ids under the epochs; ids queued before the upgrade (server key) still read."""
    return UpgradeBox(keys.box(Purpose.PROVIDER_COPIES), secrets.box(Purpose.PROVIDER_COPIES))


def retry_span() -> float:
    """The longest a copy is retried: every back-off at its ceiling (the window must outlast it)."""
    return FIRST_DELAY + sum(min(MAX_DELAY, FIRST_DELAY * 2.0 ** a) for a in range(1, MAX_ATTEMPTS))


# Runs on the webhook hot path: written once, executed on the driver connection.
_INSERT = Statement(
    "INSERT INTO providerdeletion (channel, ref, attempts, next_attempt_at, created_at)"
    " VALUES (:channel, :ref, 0, :next_attempt_at, :created_at)"
)


def seal(box: Sealer, sid: str) -> bytes:
    """The provider's message id as ``queue_sealed`` stores it (sealed before the write lock is taken)."""
    return box.encrypt(sid.encode(), _AAD)


def queue(conn: Connection, *, box: Sealer, channel: str, sid: str, now: float, delay: float = FIRST_DELAY) -> None:
    """Remember to delete the provider's copy of message ``sid`` (sealed) from ``now + delay``."""
    queue_sealed(conn, channel=channel, ref=seal(box, sid), now=now, delay=delay)


def queue_sealed(conn: Connection, *, channel: str, ref: bytes, now: float, delay: float = FIRST_DELAY) -> None:
    """``queue`` with the id already sealed (``seal``): the webhook's transaction only inserts."""
    _INSERT.run(conn, {"channel": channel, "ref": ref, "next_attempt_at": now + delay, "created_at": now})


@dataclass
class Deletion:
    id: int
    channel: str
    attempts: int
    sid: str = field(repr=False)


def take(conn: Connection, *, box: Sealer, now: float, limit: int = 50) -> list[Deletion]:
    """Due deletions, leased to this caller for ``LEASE`` seconds."""
    query = select(_T).where(_T.c.next_attempt_at <= now).order_by(_T.c.next_attempt_at, _T.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(conn.execute(query))
    if not rows:
        return []
    conn.execute(update(_T).where(_T.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + LEASE))
    taken = []
    for r in rows:
        try:
            taken.append(Deletion(id=r.id, channel=r.channel, attempts=r.attempts,
                                  sid=box.decrypt(r.ref, _AAD).decode()))
        except (EpochDestroyed, DecryptionFailed, UnicodeDecodeError):
            done(conn, item_id=r.id)  # its id is gone for good: nothing can delete that copy now
            log.warning("provider copy not deleted: its id is past its window", extra={"deletion": r.id})
    return taken


def done(conn: Connection, *, item_id: int) -> None:
    """The provider no longer holds the copy: forget it."""
    conn.execute(delete(_T).where(_T.c.id == item_id))


def retry(conn: Connection, *, item_id: int, attempts: int, now: float) -> bool:
    """Try again later; False (the row is gone, with a warning) once the attempts are used up."""
    attempts += 1
    if attempts >= MAX_ATTEMPTS:
        done(conn, item_id=item_id)
        log.warning("provider copy not deleted after retries", extra={"deletion": item_id})
        return False
    delay = backoff(attempts, base=FIRST_DELAY, cap=MAX_DELAY)
    conn.execute(update(_T).where(_T.c.id == item_id).values(attempts=attempts, next_attempt_at=now + delay))
    return True


def pending(conn: Connection) -> int:
    """How many provider copies are still to be deleted."""
    return int(conn.execute(select(func.count()).select_from(_T)).scalar_one())
