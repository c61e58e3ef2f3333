"""The numbers behind the staff side's ``/metrics``, read from the database at scrape time.

Several web processes and workers on several hosts share one database, so in-process counters
would each tell part of the story; these queries tell all of it.  Only counts, ages and fixed
labels (channel, status, priority) leave this module: never an id, an address, text or a code.
Delivered replies are deleted from the outbox (README, "What is stored"), so "sent" is not a
count this module can give; what waits, retries and died is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, exists, func, not_, select

from storage.case_tables import TipCase
from storage.staff_tables import TipClaim
from storage.tables import Alert, Conversation, Inbound, Outbox, Tip

_I = Inbound.__table__  # type: ignore[attr-defined]
_O = Outbox.__table__  # type: ignore[attr-defined]
_C = Conversation.__table__  # type: ignore[attr-defined]
_T = Tip.__table__  # type: ignore[attr-defined]
_CL = TipClaim.__table__  # type: ignore[attr-defined]
_K = TipCase.__table__  # type: ignore[attr-defined]
_A = Alert.__table__  # type: ignore[attr-defined]
_SETTLED = ("closed", "duplicate")  # case statuses nobody pulls again (storage.claims)
ALERT_WINDOW_SECONDS = 24 * 3600.0  # acknowledged alerts whose latency is reported


@dataclass
class Snapshot:
    """What ``/metrics`` shows; every key is a fixed label value, never data."""

    inbound: dict[str, int] = field(default_factory=dict)  # outcome -> provider messages held
    conversations: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) -> n
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, state) -> n
    outbox_oldest_age: dict[str, float] = field(default_factory=dict)  # channel -> s, pending only
    queue_depth: dict[tuple[str, str], int] = field(default_factory=dict)  # (priority, claimed) -> n
    oldest_unclaimed_p1_age: float = 0.0
    open_alerts: dict[str, int] = field(default_factory=dict)  # priority -> n
    oldest_open_alert_age: float = 0.0
    alert_ack_latencies: list[float] = field(default_factory=list)  # seconds, last ALERT_WINDOW_SECONDS


def read(conn: Connection, *, now: float) -> Snapshot:
    snap = Snapshot()
    _inbound(conn, snap)
    _conversations(conn, snap)
    _outbox(conn, snap, now)
    _queue(conn, snap, now)
    _alerts(conn, snap, now)
    return snap


def _inbound(conn: Connection, snap: Snapshot) -> None:
    answered = _I.c.response.is_not(None)
    for done, n in conn.execute(select(answered.label("done"), func.count()).group_by(answered)):
        snap.inbound["answered" if done else "unanswered"] = int(n)


def _conversations(conn: Connection, snap: Snapshot) -> None:
    stmt = select(_C.c.channel, _C.c.status, func.count()).group_by(_C.c.channel, _C.c.status)
    for channel, status, n in conn.execute(stmt):
        snap.conversations[(str(channel), str(status))] = int(n)


def _outbox(conn: Connection, snap: Snapshot, now: float) -> None:
    retrying = and_(_O.c.status == "pending", _O.c.attempts > 0)
    stmt = select(_O.c.channel, _O.c.status, retrying.label("retrying"), func.count(), func.min(_O.c.created_at))
    stmt = stmt.group_by(_O.c.channel, _O.c.status, retrying)
    for channel, status, is_retrying, n, oldest in conn.execute(stmt):
        state = "dead" if status == "dead" else ("failed" if is_retrying else "pending")
        key = (str(channel), state)
        snap.outbox[key] = snap.outbox.get(key, 0) + int(n)
        if state != "dead" and oldest is not None:
            age = max(0.0, now - float(oldest))
            snap.outbox_oldest_age[str(channel)] = max(age, snap.outbox_oldest_age.get(str(channel), 0.0))


def _queue(conn: Connection, snap: Snapshot, now: float) -> None:
    live = exists(select(_CL.c.tip_id).where(and_(_CL.c.tip_id == _T.c.id, _CL.c.lease_until > now)))
    settled = exists(select(_K.c.tip_id).where(and_(_K.c.tip_id == _T.c.id, _K.c.status.in_(_SETTLED))))
    waiting = and_(_T.c.version > 0, not_(settled))
    stmt = select(_T.c.priority, live.label("claimed"), func.count()).where(waiting).group_by(_T.c.priority, live)
    for priority, claimed, n in conn.execute(stmt):
        snap.queue_depth[(str(priority), "yes" if claimed else "no")] = int(n)
    oldest = conn.execute(
        select(func.min(_T.c.created_at)).where(and_(waiting, _T.c.priority == "P1", not_(live)))
    ).scalar()
    snap.oldest_unclaimed_p1_age = 0.0 if oldest is None else max(0.0, now - float(oldest))


def _alerts(conn: Connection, snap: Snapshot, now: float) -> None:
    is_open = _A.c.acknowledged_at.is_(None)
    for priority, n, oldest in conn.execute(
        select(_A.c.priority, func.count(), func.min(_A.c.created_at)).where(is_open).group_by(_A.c.priority)
    ):
        snap.open_alerts[str(priority)] = int(n)
        snap.oldest_open_alert_age = max(snap.oldest_open_alert_age, now - float(oldest))
    recent = and_(_A.c.acknowledged_at.is_not(None), _A.c.acknowledged_at > now - ALERT_WINDOW_SECONDS)
    rows = conn.execute(select(_A.c.created_at, _A.c.acknowledged_at).where(recent))
    snap.alert_ack_latencies = [max(0.0, float(ack) - float(made)) for made, ack in rows]
