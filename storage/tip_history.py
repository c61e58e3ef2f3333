"""What the audit log holds about one tip (claims, releases, statuses, links...), oldest first.

Entries name their tip in ``subject``; reads of the tip (``open_tip``) are left out of the
history staff read (the audit page has them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from storage.tables import AuditEntry

_A = AuditEntry.__table__  # type: ignore[attr-defined]
_QUIET = ("open_tip",)


@dataclass(frozen=True)
class Entry:
    at: float
    actor: str
    action: str


def audit_of_tip(conn: Connection, tip_id: str, *, limit: int = 500) -> list[Entry]:
    rows = conn.execute(select(_A.c.at, _A.c.actor, _A.c.action)
                        .where(and_(_A.c.subject == tip_id, _A.c.action.not_in(_QUIET)))
                        .order_by(_A.c.seq).limit(limit))
    return [Entry(at=float(r.at), actor=r.actor, action=r.action) for r in rows]
