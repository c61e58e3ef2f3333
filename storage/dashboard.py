"""What the dashboard reads: a member's tips in a time window, with the envelopes they can open.

Only tips sealed to a key the member holds are read (a member counts their own queues' work,
nothing else), newest version first so the reader can stop at the first snapshot it opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from storage.tables import Grant, Tip, TipEnvelope

_T = Tip.__table__  # type: ignore[attr-defined]
_E = TipEnvelope.__table__  # type: ignore[attr-defined]
_G = Grant.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class HeldEnvelope:
    version: int
    queue: str
    key_id: str
    sealed: bytes = field(repr=False)


@dataclass(frozen=True)
class MemberTip:
    """Plaintext metadata of one tip plus its envelopes the member holds a key for, newest first."""

    tip_id: str
    priority: str
    categories: tuple[str, ...]
    created_at: float
    envelopes: tuple[HeldEnvelope, ...]


def member_tips(conn: Connection, *, staff_id: str, since: float, until: float) -> list[MemberTip]:
    """Sealed tips created in [since, until) that the member holds a key for, oldest first."""
    held = select(_G.c.key_id).where(_G.c.staff_id == staff_id)
    stmt = (
        select(_T.c.id, _T.c.priority, _T.c.categories, _T.c.created_at,
               _E.c.version, _E.c.queue, _E.c.key_id, _E.c.envelope)
        .select_from(_T.join(_E, _E.c.tip_id == _T.c.id))
        .where(and_(_T.c.version > 0, _T.c.created_at >= since, _T.c.created_at < until, _E.c.key_id.in_(held)))
        .order_by(_T.c.created_at, _T.c.id, _E.c.version.desc(), _E.c.id)
    )
    found: dict[str, MemberTip] = {}
    for r in conn.execute(stmt):
        envelope = HeldEnvelope(version=r.version, queue=r.queue, key_id=r.key_id, sealed=bytes(r.envelope))
        tip = found.get(r.id)
        if tip is None:
            found[r.id] = MemberTip(tip_id=r.id, priority=r.priority,
                                    categories=tuple(c for c in r.categories.split(",") if c),
                                    created_at=r.created_at, envelopes=(envelope,))
        else:
            found[r.id] = MemberTip(tip.tip_id, tip.priority, tip.categories, tip.created_at,
                                    tip.envelopes + (envelope,))
    return list(found.values())
