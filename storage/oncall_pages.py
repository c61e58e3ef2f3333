"""Pushed P1 alerts: how far each open alert has gone down the rota (``oncall_page``).

An alert row (``storage.tips.raise_alert``) is written in the urgent tip's own
transaction; the staff side's alert loop adopts it as a page, claims due pages with a
lease (one conditional UPDATE, so two loops never send the same step), sends outside
any transaction, then records the send and when the next person is due.  Nothing is
queued only in memory: a loop that dies mid-send leaves a lease that runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.oncall_tables import OncallPage, RotaMember
from storage.tables import Alert, Tip

_P = OncallPage.__table__  # type: ignore[attr-defined]
_A = Alert.__table__  # type: ignore[attr-defined]
_T = Tip.__table__  # type: ignore[attr-defined]
_R = RotaMember.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DuePage:
    alert_id: int
    tip_id: str
    step: int
    sends: int


@dataclass(frozen=True)
class Failure:
    """A send that did not go out: a short reason class, the channel and the rota person's id."""

    reason: str
    channel: str
    member_id: str


@dataclass(frozen=True)
class LastFailure:
    reason: str
    channel: str
    to: str  # the rota person's display name ("" once removed from the rota)
    at: float


@dataclass(frozen=True)
class AlertLine:
    """An open alert as the console lists it: metadata only."""

    alert_id: int
    tip_id: str
    priority: str
    reason: str
    created_at: float
    queues: tuple[str, ...]
    sends: int
    last_sent_at: float | None
    last_failure: LastFailure | None = None


def adopt_alerts(conn: Connection, *, now: float) -> int:
    """Give every open alert without a page one, due now; returns how many were adopted."""
    missing = select(_A.c.id, _A.c.tip_id).where(
        _A.c.acknowledged_at.is_(None), ~select(_P.c.alert_id).where(_P.c.alert_id == _A.c.id).exists())
    rows = conn.execute(missing).all()
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = [dict(alert_id=r.id, tip_id=r.tip_id, step=0, next_at=now, lease_until=0.0, sends=0) for r in rows]
    # Two loops may adopt the same alert at once: the second insert is a no-op, not an error.
    conn.execute(dialect.insert(_P).values(values).on_conflict_do_nothing(index_elements=["alert_id"]))
    return len(rows)


def claim_due(conn: Connection, *, now: float, lease: float, limit: int = 20) -> list[DuePage]:
    """Pages due now that no live loop holds, taken for ``lease`` seconds.

    The condition is in the UPDATE itself: on PostgreSQL a concurrent claimer waits on the
    row and re-checks it (READ COMMITTED), on SQLite the transaction is the single writer.
    """
    due = select(_P.c.alert_id).where(_P.c.done_at.is_(None), _P.c.next_at <= now, _P.c.lease_until <= now) \
        .order_by(_P.c.next_at).limit(limit)
    ids = [r.alert_id for r in conn.execute(due)]
    if not ids:
        return []
    taken = conn.execute(
        update(_P).where(_P.c.alert_id.in_(ids), _P.c.done_at.is_(None), _P.c.lease_until <= now)
        .values(lease_until=now + lease).returning(_P.c.alert_id, _P.c.tip_id, _P.c.step, _P.c.sends)
    ).all()
    return sorted((DuePage(r.alert_id, r.tip_id, r.step, r.sends) for r in taken), key=lambda p: p.alert_id)


def alert_is_open(conn: Connection, alert_id: int) -> bool:
    row = conn.execute(select(_A.c.acknowledged_at).where(_A.c.id == alert_id)).first()
    return row is not None and row.acknowledged_at is None


def record_step(conn: Connection, *, alert_id: int, sent: bool, now: float, next_at: float,
                failure: Failure | None = None) -> None:
    """One rota position done (sent, or skipped as unreachable); the next is due at ``next_at``.
    ``failure`` is kept as the page's last failure until another replaces it."""
    values: dict[str, object] = dict(step=_P.c.step + 1, next_at=next_at, lease_until=0.0)
    if sent:
        values.update(sends=_P.c.sends + 1, last_sent_at=now)
    if failure is not None:
        values.update(failed_at=now, failure=failure.reason[:64], failed_channel=failure.channel,
                      failed_member=failure.member_id)
    conn.execute(update(_P).where(_P.c.alert_id == alert_id).values(**values))


def postpone(conn: Connection, *, alert_id: int, next_at: float) -> None:
    """Look again at ``next_at`` without moving down the rota (the tip is claimed for now)."""
    conn.execute(update(_P).where(_P.c.alert_id == alert_id).values(next_at=next_at, lease_until=0.0))


def release(conn: Connection, *, alert_ids: Sequence[int]) -> int:
    """Give back pages taken and not worked (a stopping loop): any loop may take them at once."""
    if not alert_ids:
        return 0
    result = conn.execute(update(_P).where(_P.c.alert_id.in_(list(alert_ids)), _P.c.done_at.is_(None))
                          .values(lease_until=0.0))
    return int(result.rowcount or 0)


def finish(conn: Connection, *, alert_id: int, now: float) -> None:
    conn.execute(update(_P).where(_P.c.alert_id == alert_id, _P.c.done_at.is_(None)).values(done_at=now))


def acknowledge_tip(conn: Connection, *, tip_id: str, now: float) -> int:
    """Acknowledge every open alert of a tip (the console's button); returns how many."""
    acked = conn.execute(update(_A).where(_A.c.tip_id == tip_id, _A.c.acknowledged_at.is_(None))
                         .values(acknowledged_at=now)).rowcount
    conn.execute(update(_P).where(_P.c.tip_id == tip_id, _P.c.done_at.is_(None)).values(done_at=now))
    return int(acked or 0)


def open_alert_lines(conn: Connection, *, queues: Sequence[str]) -> list[AlertLine]:
    """Open alerts of tips routed to any of ``queues``, oldest first, with how often they were sent."""
    query = select(_A.c.id, _A.c.tip_id, _A.c.priority, _A.c.reason, _A.c.created_at, _T.c.queues,
                   _P.c.sends, _P.c.last_sent_at, _P.c.failed_at, _P.c.failure, _P.c.failed_channel,
                   _R.c.name).select_from(
        _A.join(_T, _T.c.id == _A.c.tip_id).outerjoin(_P, _P.c.alert_id == _A.c.id)
        .outerjoin(_R, _R.c.id == _P.c.failed_member)
    ).where(and_(_A.c.acknowledged_at.is_(None))).order_by(_A.c.id)
    wanted = set(queues)
    lines = []
    for r in conn.execute(query):
        tip_queues = tuple(q for q in (r.queues or "").split(",") if q)
        if wanted & set(tip_queues):
            failed = None if r.failed_at is None else LastFailure(r.failure or "", r.failed_channel or "",
                                                                   r.name or "", float(r.failed_at))
            lines.append(AlertLine(r.id, r.tip_id, r.priority, r.reason, r.created_at, tip_queues,
                                   int(r.sends or 0), r.last_sent_at, failed))
    return lines
