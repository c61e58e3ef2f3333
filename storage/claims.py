"""The staff queue: which tips a member's queues hold, and claims with a lease.

A claim is one row per tip (``tip_claim``); taking it is a single conditional upsert
(insert, or take over a row whose lease has run out), so two members can never hold the
same tip, on any backend.  On PostgreSQL the candidate is picked ``FOR UPDATE SKIP
LOCKED`` so concurrent pullers spread over different tips instead of queueing on one;
on SQLite the transaction is the single writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection, ColumnElement, and_, delete, exists, not_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.case_tables import TipCase
from storage.staff_tables import TipClaim
from storage.tables import Staff, Tip, TipEnvelope

_T = Tip.__table__  # type: ignore[attr-defined]
_E = TipEnvelope.__table__  # type: ignore[attr-defined]
_C = TipClaim.__table__  # type: ignore[attr-defined]
_S = Staff.__table__  # type: ignore[attr-defined]
_K = TipCase.__table__  # type: ignore[attr-defined]
_SETTLED = ("closed", "duplicate")  # case statuses (triage.casework) nobody pulls again

# An urgent tip must not sit with someone who walked away: its lease is short (issue 12).
P1_LEASE_SECONDS = 10 * 60.0
LEASE_SECONDS = 30 * 60.0


def lease_seconds(priority: str) -> float:
    return P1_LEASE_SECONDS if priority == "P1" else LEASE_SECONDS


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue: metadata only."""

    tip_id: str
    priority: str
    categories: tuple[str, ...]
    status: str
    created_at: float
    updated_at: float
    claimed_by: str | None  # username of the holder of a live claim
    lease_until: float | None


@dataclass(frozen=True)
class Claim:
    tip_id: str
    staff_id: str
    lease_until: float


def _in_queues(queues: Sequence[str]) -> ColumnElement[bool]:
    return exists(select(_E.c.id).where(and_(_E.c.tip_id == _T.c.id, _E.c.queue.in_(list(queues)))))


def _live_claim(now: float) -> ColumnElement[bool]:
    return exists(select(_C.c.tip_id).where(and_(_C.c.tip_id == _T.c.id, _C.c.lease_until > now)))


def queue_items(conn: Connection, *, queues: Sequence[str], now: float, limit: int = 500) -> list[QueueItem]:
    """The sealed tips of ``queues``, P1 first, then oldest first, with their live claims."""
    if not queues:
        return []
    live = and_(_C.c.tip_id == _T.c.id, _C.c.lease_until > now)
    stmt = (
        select(_T.c.id, _T.c.priority, _T.c.categories, _T.c.status, _T.c.created_at, _T.c.updated_at,
               _S.c.username, _C.c.lease_until)
        .select_from(_T.outerjoin(_C, live).outerjoin(_S, _S.c.id == _C.c.staff_id))
        .where(and_(_T.c.version > 0, _in_queues(queues)))
        .order_by(_T.c.priority, _T.c.created_at).limit(limit)
    )
    return [QueueItem(tip_id=r.id, priority=r.priority, categories=tuple(c for c in r.categories.split(",") if c),
                      status=r.status, created_at=r.created_at, updated_at=r.updated_at, claimed_by=r.username,
                      lease_until=r.lease_until) for r in conn.execute(stmt)]


def _settled() -> ColumnElement[bool]:
    return exists(select(_K.c.tip_id).where(and_(_K.c.tip_id == _T.c.id, _K.c.status.in_(_SETTLED))))


def _candidate(conn: Connection, queues: Sequence[str], now: float, skip: Sequence[str]) -> tuple[str, str] | None:
    stmt = (
        select(_T.c.id, _T.c.priority)
        .where(and_(_T.c.version > 0, _in_queues(queues), not_(_live_claim(now)), not_(_settled()),
                    _T.c.id.not_in(list(skip))))
        .order_by(_T.c.priority, _T.c.created_at).limit(1)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=_T, skip_locked=True)
    row = conn.execute(stmt).first()
    return None if row is None else (str(row.id), str(row.priority))


def _take(conn: Connection, *, tip_id: str, staff_id: str, now: float, lease: float) -> bool:
    """Insert the claim, or take over an expired one; False when a live claim is there."""
    insert = postgresql.insert(_C) if conn.dialect.name == "postgresql" else sqlite.insert(_C)
    upsert = insert.values(tip_id=tip_id, staff_id=staff_id, claimed_at=now, lease_until=now + lease)
    stmt = upsert.on_conflict_do_update(
        index_elements=[_C.c.tip_id],
        set_={"staff_id": staff_id, "claimed_at": now, "lease_until": now + lease},
        where=_C.c.lease_until <= now,
    ).returning(_C.c.tip_id)
    return conn.execute(stmt).first() is not None


def claim_next(conn: Connection, *, staff_id: str, queues: Sequence[str], now: float) -> Claim | None:
    """Claim the most urgent, then oldest, unclaimed tip of ``queues``; None when there is none.

    A candidate another member took between our read and our write is skipped and the next one
    tried, for as long as there is one: every lost race is a tip someone else now holds, so the
    loop ends.  (It once gave up after 8 lost races, and 8 members pulling at once on PostgreSQL
    were told "nothing to pull" with hundreds of tips waiting: drills/claims.py.)
    """
    if not queues:
        return None
    skipped: list[str] = []
    while True:
        found = _candidate(conn, queues, now, skipped)
        if found is None:
            return None
        tip_id, priority = found
        lease = lease_seconds(priority)
        if _take(conn, tip_id=tip_id, staff_id=staff_id, now=now, lease=lease):
            return Claim(tip_id=tip_id, staff_id=staff_id, lease_until=now + lease)
        skipped.append(tip_id)  # another member took it between our read and our write


def claim_tip(conn: Connection, *, tip_id: str, staff_id: str, priority: str, now: float) -> Claim | None:
    """Claim one named tip with the lease a pull gives; None when another member holds it.

    Claiming a tip one already holds renews the lease (a second click is not refused).
    """
    lease = lease_seconds(priority)
    if _take(conn, tip_id=tip_id, staff_id=staff_id, now=now, lease=lease) or \
            renew(conn, tip_id=tip_id, staff_id=staff_id, priority=priority, now=now):
        return Claim(tip_id=tip_id, staff_id=staff_id, lease_until=now + lease)
    return None


def holder(conn: Connection, *, tip_id: str, now: float) -> Claim | None:
    """The live claim on a tip, if any."""
    row = conn.execute(select(_C).where(and_(_C.c.tip_id == tip_id, _C.c.lease_until > now))).first()
    return None if row is None else Claim(tip_id=row.tip_id, staff_id=row.staff_id, lease_until=row.lease_until)


def renew(conn: Connection, *, tip_id: str, staff_id: str, priority: str, now: float) -> bool:
    """Extend the member's live claim while they work; False when they do not hold it."""
    result = conn.execute(
        update(_C).where(and_(_C.c.tip_id == tip_id, _C.c.staff_id == staff_id, _C.c.lease_until > now))
        .values(lease_until=now + lease_seconds(priority))
    )
    return bool(result.rowcount)


def release(conn: Connection, *, tip_id: str, staff_id: str) -> bool:
    """Give a claimed tip back to the queue; False when the member did not hold it."""
    result = conn.execute(delete(_C).where(and_(_C.c.tip_id == tip_id, _C.c.staff_id == staff_id)))
    return bool(result.rowcount)
