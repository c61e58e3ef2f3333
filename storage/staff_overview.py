"""What the console's admin pages list: members, queues with their keys and holders, audit entries.

Metadata only (names, ids, times, counts): no key material leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from storage.staff_tables import StaffSession, StaffTotp
from storage.tables import AuditEntry, Grant, Queue, QueueKey, Staff

_staff_t = Staff.__table__  # type: ignore[attr-defined]
_grant_t = Grant.__table__  # type: ignore[attr-defined]
_key_t = QueueKey.__table__  # type: ignore[attr-defined]
_queue_t = Queue.__table__  # type: ignore[attr-defined]
_totp_t = StaffTotp.__table__  # type: ignore[attr-defined]
_session_t = StaffSession.__table__  # type: ignore[attr-defined]
_audit_t = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MemberLine:
    username: str
    is_admin: bool
    created_at: float
    queues: tuple[str, ...]  # queues whose current key the member holds
    second_factor: bool  # enrolled; False: their next login goes to enrolment
    sessions: int  # live console sessions and API tokens


@dataclass(frozen=True)
class QueueLine:
    name: str
    title: str
    current_key: str
    key_since: float
    retired_keys: int
    holders: tuple[str, ...]  # usernames holding the current key


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: float
    actor: str
    action: str
    subject: str


def _holders(conn: Connection) -> dict[str, list[str]]:
    """key id -> usernames holding a grant for it."""
    rows = conn.execute(select(_grant_t.c.key_id, _staff_t.c.username)
                        .select_from(_grant_t.join(_staff_t, _grant_t.c.staff_id == _staff_t.c.id))
                        .order_by(_staff_t.c.username))
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.key_id, []).append(row.username)
    return out


def queues(conn: Connection) -> list[QueueLine]:
    holders = _holders(conn)
    keys: dict[str, list[tuple[str, float, float | None]]] = {}
    for k in conn.execute(select(_key_t.c.queue, _key_t.c.key_id, _key_t.c.created_at, _key_t.c.retired_at)):
        keys.setdefault(k.queue, []).append((k.key_id, k.created_at, k.retired_at))
    out = []
    for q in conn.execute(select(_queue_t.c.name, _queue_t.c.title).order_by(_queue_t.c.name)):
        versions = keys.get(q.name, [])
        current = next(((key_id, since) for key_id, since, retired in versions if retired is None), ("-", 0.0))
        out.append(QueueLine(name=q.name, title=q.title, current_key=current[0], key_since=current[1],
                             retired_keys=sum(1 for v in versions if v[2] is not None),
                             holders=tuple(holders.get(current[0], []))))
    return out


def members(conn: Connection, *, now: float) -> list[MemberLine]:
    current = select(_grant_t.c.staff_id, _key_t.c.queue).select_from(
        _grant_t.join(_key_t, _grant_t.c.key_id == _key_t.c.key_id)).where(_key_t.c.retired_at.is_(None))
    held: dict[str, set[str]] = {}
    for row in conn.execute(current):
        held.setdefault(row.staff_id, set()).add(row.queue)
    enrolled = {r.staff_id for r in conn.execute(select(_totp_t.c.staff_id))}
    live = {r.staff_id: int(r.n) for r in conn.execute(
        select(_session_t.c.staff_id, func.count().label("n")).where(_session_t.c.expires_at > now)
        .group_by(_session_t.c.staff_id))}
    rows = conn.execute(select(_staff_t.c.id, _staff_t.c.username, _staff_t.c.is_admin, _staff_t.c.created_at)
                        .order_by(_staff_t.c.username))
    return [MemberLine(username=r.username, is_admin=bool(r.is_admin), created_at=r.created_at,
                       queues=tuple(sorted(held.get(r.id, ()))), second_factor=r.id in enrolled,
                       sessions=int(live.get(r.id, 0))) for r in rows]


def audit_lines(conn: Connection, *, before: int | None = None, limit: int = 100) -> list[AuditLine]:
    """The newest entries first (those before seq ``before`` when given)."""
    stmt = select(_audit_t.c.seq, _audit_t.c.at, _audit_t.c.actor, _audit_t.c.action, _audit_t.c.subject)
    if before is not None:
        stmt = stmt.where(_audit_t.c.seq < before)
    rows = conn.execute(stmt.order_by(_audit_t.c.seq.desc()).limit(limit))
    return [AuditLine(seq=r.seq, at=r.at, actor=r.actor, action=r.action, subject=r.subject) for r in rows]
