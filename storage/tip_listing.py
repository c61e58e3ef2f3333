"""The operator's tip list: metadata filtered by queue, priority, interview status and age.

A queue filter goes by the envelopes (what was really sealed to that queue), not by the
comma-joined ``queues`` column, so "ngo" never matches "ngo-south", and a tip referred to a
queue lists under it (a referral seals the tip anew to that queue; ``queues`` keeps the routing).
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection, and_, exists, select

from storage.tables import Tip, TipEnvelope
from storage.tips import _COLUMNS, TipMeta, _meta

_T = Tip.__table__  # type: ignore[attr-defined]
_E = TipEnvelope.__table__  # type: ignore[attr-defined]


def find_tips(conn: Connection, *, queue: str | None = None, priority: str | None = None, status: str | None = None,
              since: float | None = None, limit: int = 1000) -> list[TipMeta]:
    """Tips matching every filter given, most urgent first, then oldest first.  ``since`` is
    compared with the last update, so a tip the reporter added to shows up as new again."""
    where = []
    if queue is not None:
        where.append(exists(select(_E.c.id).where(and_(_E.c.tip_id == _T.c.id, _E.c.queue == queue))))
    if priority is not None:
        where.append(_T.c.priority == priority)
    if status is not None:
        where.append(_T.c.status == status)
    if since is not None:
        where.append(_T.c.updated_at >= since)
    stmt = select(*_COLUMNS).where(and_(True, *where)).order_by(_T.c.priority, _T.c.created_at).limit(limit)
    return [_meta(row) for row in conn.execute(stmt)]


def readable_queues(conn: Connection, tips: Iterable[TipMeta]) -> dict[str, tuple[str, ...]]:
    """tip id -> the queues that read it now: its routed queues, then the others it was sealed to (referrals)."""
    wanted = {t.id: t for t in tips}
    sealed: dict[str, set[str]] = {tip_id: set() for tip_id in wanted}
    ids = list(wanted)
    for start in range(0, len(ids), 500):  # bounded IN lists
        rows = conn.execute(select(_E.c.tip_id, _E.c.queue).where(_E.c.tip_id.in_(ids[start:start + 500]))
                            .distinct())
        for row in rows:
            sealed[row.tip_id].add(row.queue)
    return {tip_id: (*wanted[tip_id].queues, *sorted(found - set(wanted[tip_id].queues)))
            for tip_id, found in sealed.items()}
