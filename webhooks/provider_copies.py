"""Provider copies to delete (Twilio's message log), kept in ``ProviderDeletion``.

The provider's message id (a Twilio SID) is sealed with the server box; rows are
taken by the sender with a lease, retried with back-off while Twilio still holds
the message in a non-final state, and deleted once the provider let go (or after
``MAX_ATTEMPTS``, when a warning says a copy may remain).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import Connection, Engine, delete, select, update

from storage.crypto import Box, ServerSecrets
from storage.fastsql import Statement
from storage.tables import ProviderDeletion
from storage.purposes import Purpose

log = logging.getLogger(__name__)

_T = ProviderDeletion.__table__  # type: ignore[attr-defined]
_AAD = b"provider-deletion"

FIRST_DELAY = 5.0  # give Twilio a moment to reach a final state
LEASE = 60.0
MAX_ATTEMPTS = 30
MAX_DELAY = 3600.0


def box(secrets: ServerSecrets) -> Box:
    return secrets.box(Purpose.PROVIDER_COPIES)


# Runs on the webhook hot path: written once, executed on the driver connection.
_INSERT = Statement(
    "INSERT INTO providerdeletion (channel, ref, attempts, next_attempt_at, created_at)"
    " VALUES (:channel, :ref, 0, :next_attempt_at, :created_at)"
)


def queue(conn: Connection, *, box: Box, channel: str, sid: str, now: float, delay: float = FIRST_DELAY) -> None:
    _INSERT.run(conn, {
        "channel": channel, "ref": box.encrypt(sid.encode(), _AAD),
        "next_attempt_at": now + delay, "created_at": now,
    })


@dataclass
class Deletion:
    id: int
    channel: str
    attempts: int
    sid: str = field(repr=False)


def take(conn: Connection, *, box: Box, now: float, limit: int = 50) -> list[Deletion]:
    """Due deletions, leased to this caller for ``LEASE`` seconds."""
    query = select(_T).where(_T.c.next_attempt_at <= now).order_by(_T.c.next_attempt_at, _T.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(conn.execute(query))
    if not rows:
        return []
    conn.execute(update(_T).where(_T.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + LEASE))
    return [Deletion(id=r.id, channel=r.channel, attempts=r.attempts, sid=box.decrypt(r.ref, _AAD).decode())
            for r in rows]


def done(conn: Connection, *, item_id: int) -> None:
    conn.execute(delete(_T).where(_T.c.id == item_id))


def retry(conn: Connection, *, item_id: int, attempts: int, now: float) -> bool:
    """Try again later; False (and the row is gone) once the attempts are used up."""
    attempts += 1
    if attempts >= MAX_ATTEMPTS:
        done(conn, item_id=item_id)
        return False
    delay = random.uniform(0.5, 1.0) * min(MAX_DELAY, FIRST_DELAY * (2 ** attempts))
    conn.execute(update(_T).where(_T.c.id == item_id).values(attempts=attempts, next_attempt_at=now + delay))
    return True


def pending(conn: Connection) -> int:
    return len(conn.execute(select(_T.c.id)).all())


def delete_due(db: Engine, *, box: Box, client: Any, clock: Callable[[], float]) -> int:
    """Delete the due copies from Twilio's message log; returns how many are gone.

    No transaction is open during the API calls.  A copy Twilio still holds in a
    non-final state (or an error) is retried later with back-off; a 404 means gone.
    """
    from twilio.base.exceptions import TwilioRestException

    with db.begin() as conn:
        due = take(conn, box=box, now=clock())
    if not due:
        return 0
    outcomes: list[bool] = []
    for d in due:
        try:
            client.messages(d.sid).delete()
            outcomes.append(True)
        except TwilioRestException as exc:
            outcomes.append(exc.status == 404)  # already gone
        except Exception:  # connection errors and timeouts: retried
            outcomes.append(False)
    gone = 0
    with db.begin() as conn:
        now = clock()
        for d, ok in zip(due, outcomes, strict=True):
            if ok:
                done(conn, item_id=d.id)
                gone += 1
            elif not retry(conn, item_id=d.id, attempts=d.attempts, now=now):
                log.warning("provider copy not deleted after retries", extra={"deletion": d.id})
    return gone
