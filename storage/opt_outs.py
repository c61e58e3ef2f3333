"""Carrier opt-outs (STOP): kept as an expiring keyed hash of the address only.

An opt-out row is written with the current LOOKUP epoch's hash and found by every epoch
still open (``storage.lookups``), so the line remembers an opt-out for the follow-up window
after it was last recorded, then cannot tell whose it was (the worker deletes the row).
Forgetting it then is safe: the carrier itself enforces STOP (Twilio refuses the send with
error 21610, which records the opt-out again), and a reporter who writes again is answered.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, delete, select, update

from storage import outbox
from storage.conversations import RowStatus, coarse
from storage.fastsql import Statement
from storage.lookups import Keyed, in_list
from storage.tables import Conversation, OptOut

_T = Conversation.__table__  # type: ignore[attr-defined]
_OPT = OptOut.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _find(n: int) -> Statement:
    """Built once per number of open epochs: every new conversation asks (storage/fastsql.py says why)."""
    return Statement(f"SELECT 1 FROM optout WHERE lookup IN ({in_list(n)})")


def is_opted_out(conn: Connection, lookup: Keyed) -> bool:
    return _find(len(lookup.tried)).first(conn, lookup.params()) is not None


def set_opt_out(conn: Connection, *, lookup: Keyed, opted_out: bool, now: float) -> None:
    """Record a carrier opt-out (kept as a keyed hash only) or clear it on opt-in."""
    conn.execute(delete(_OPT).where(_OPT.c.lookup.in_(lookup.tried)))
    if opted_out:
        conn.execute(_OPT.insert().values(lookup=lookup.current, at=coarse(now)))


def record_opt_out(conn: Connection, *, lookup: Keyed, now: float, conversation_id: str | None = None) -> None:
    """The address opted out with its carrier: record it (a keyed hash only) and, given the
    conversation, drop everything still queued for it, so nothing more is sent."""
    set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
    if conversation_id is not None:
        outbox.cancel_conversation(conn, conversation_id=conversation_id)


def stop_running(conn: Connection, *, lookup: Keyed, now: float) -> None:
    """The carrier refused the address (error 21610, learned from a status callback or a send):
    record the opt-out, drop everything queued for its conversation, and mark a running one
    opted out.  Its later messages are then answered under the write lock, which reads the
    opt-out and sends nothing; the revision moves so a save computed before this one fails."""
    set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
    row = conn.execute(select(_T.c.id, _T.c.status).where(_T.c.lookup.in_(lookup.tried))).first()
    if row is None:
        return
    if row.status in (RowStatus.NEW.value, RowStatus.ACTIVE.value):
        conn.execute(
            update(_T).where(_T.c.id == row.id).values(status=RowStatus.OPTED_OUT.value, revision=_T.c.revision + 1)
        )
    outbox.cancel_conversation(conn, conversation_id=row.id)


def purge(conn: Connection, *, before: float) -> int:
    """Delete opt-outs recorded before ``before`` (their lookup's epoch is gone: nobody can match them)."""
    result = conn.execute(delete(_OPT).where(_OPT.c.at < before))
    return int(result.rowcount or 0)
