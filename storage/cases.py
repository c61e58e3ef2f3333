"""A tip's case row (status, close reason, duplicate, legal hold, "no minor"), links, and reads.

No row in ``tip_case`` means a ``new`` case.  Status changes are conditional updates on the
status the caller saw, so two members changing one case at once cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.case_tables import TipCase, TipLink, TipSeen
from storage.tables import Tip

_K = TipCase.__table__  # type: ignore[attr-defined]
_L = TipLink.__table__  # type: ignore[attr-defined]
_S = TipSeen.__table__  # type: ignore[attr-defined]
_T = Tip.__table__  # type: ignore[attr-defined]
NEW = "new"
SETTLED = ("closed", "duplicate")  # statuses nobody pulls (storage.claims skips them)


@dataclass(frozen=True)
class CaseRow:
    tip_id: str
    status: str = NEW
    close_reason: str | None = None
    duplicate_of: str | None = None
    legal_hold: bool = False
    no_minor_by: str | None = None
    no_minor_at: float | None = None
    updated_at: float | None = None


def _row(r: object) -> CaseRow:
    return CaseRow(tip_id=r.tip_id, status=r.status, close_reason=r.close_reason,  # type: ignore[attr-defined]
                   duplicate_of=r.duplicate_of, legal_hold=bool(r.legal_hold),  # type: ignore[attr-defined]
                   no_minor_by=r.no_minor_by, no_minor_at=r.no_minor_at,  # type: ignore[attr-defined]
                   updated_at=r.updated_at)  # type: ignore[attr-defined]


def get(conn: Connection, tip_id: str) -> CaseRow:
    found = conn.execute(select(_K).where(_K.c.tip_id == tip_id)).first()
    return CaseRow(tip_id=tip_id) if found is None else _row(found)


def of_tips(conn: Connection, tip_ids: Sequence[str]) -> dict[str, CaseRow]:
    """Case rows of these tips (tips without one are absent: they are new)."""
    if not tip_ids:
        return {}
    return {r.tip_id: _row(r) for r in conn.execute(select(_K).where(_K.c.tip_id.in_(list(tip_ids))))}


def _ensure(conn: Connection, tip_id: str, now: float) -> None:
    insert = postgresql.insert(_K) if conn.dialect.name == "postgresql" else sqlite.insert(_K)
    conn.execute(insert.values(tip_id=tip_id, status=NEW, legal_hold=False, updated_at=now)
                 .on_conflict_do_nothing(index_elements=[_K.c.tip_id]))


def set_status(conn: Connection, *, tip_id: str, expect: str, status: str, staff_id: str, now: float,
               close_reason: str | None = None, duplicate_of: str | None = None) -> bool:
    """Move the case from ``expect`` to ``status``; False when it was no longer at ``expect``."""
    _ensure(conn, tip_id, now)
    result = conn.execute(
        update(_K).where(and_(_K.c.tip_id == tip_id, _K.c.status == expect))
        .values(status=status, close_reason=close_reason, duplicate_of=duplicate_of, updated_by=staff_id,
                updated_at=now)
    )
    return bool(result.rowcount)


def reopen(conn: Connection, *, tip_id: str, status: str, now: float) -> str | None:
    """A settled case (closed or duplicate) the reporter added to goes back to ``status`` so it is
    pulled again; returns the status it left (None: it was not settled)."""
    found = conn.execute(select(_K.c.status).where(and_(_K.c.tip_id == tip_id, _K.c.status.in_(SETTLED))))
    row = found.first()
    if row is None:
        return None
    conn.execute(update(_K).where(_K.c.tip_id == tip_id)
                 .values(status=status, close_reason=None, duplicate_of=None, updated_by="line", updated_at=now))
    return str(row.status)


def set_hold(conn: Connection, *, tip_id: str, hold: bool, staff_id: str, now: float) -> bool:
    """Put on (or lift) the legal hold; False when it already was so."""
    _ensure(conn, tip_id, now)
    result = conn.execute(update(_K).where(and_(_K.c.tip_id == tip_id, _K.c.legal_hold == (not hold)))
                          .values(legal_hold=hold, updated_by=staff_id, updated_at=now))
    return bool(result.rowcount)


def record_no_minor(conn: Connection, *, tip_id: str, staff_id: str, now: float) -> None:
    _ensure(conn, tip_id, now)
    conn.execute(update(_K).where(_K.c.tip_id == tip_id).values(no_minor_by=staff_id, no_minor_at=now))


def held_tips(conn: Connection) -> list[str]:
    """Tips on legal hold (a retention job must skip them)."""
    return [r.tip_id for r in conn.execute(select(_K.c.tip_id).where(_K.c.legal_hold.is_(True)))]


def link(conn: Connection, *, tip_id: str, other: str, staff_id: str, now: float) -> bool:
    """Link two tips; False when they already were."""
    a, b = sorted((tip_id, other))
    if conn.execute(select(_L.c.tip_a).where(and_(_L.c.tip_a == a, _L.c.tip_b == b))).first() is not None:
        return False
    conn.execute(_L.insert().values(tip_a=a, tip_b=b, staff_id=staff_id, created_at=now))
    return True


def links(conn: Connection, tip_id: str) -> list[str]:
    """The tips linked to this one, either way round, oldest link first."""
    rows = conn.execute(select(_L.c.tip_a, _L.c.tip_b).where(or_(_L.c.tip_a == tip_id, _L.c.tip_b == tip_id))
                        .order_by(_L.c.created_at))
    return [r.tip_b if r.tip_a == tip_id else r.tip_a for r in rows]


def tips_starting(conn: Connection, prefix: str, *, limit: int = 2) -> list[str]:
    """Tip ids starting with ``prefix`` (hex only: a member types the short id the page shows)."""
    clean = prefix.strip().lower()
    if not clean or any(c not in "0123456789abcdef" for c in clean):
        return []
    return [r.id for r in conn.execute(select(_T.c.id).where(_T.c.id.startswith(clean)).limit(limit))]


def mark_seen(conn: Connection, *, staff_id: str, tip_id: str, version: int, now: float) -> int | None:
    """Record that the member read ``version``; returns the version they had read before (None: never)."""
    before = conn.execute(select(_S.c.version).where(and_(_S.c.staff_id == staff_id, _S.c.tip_id == tip_id))).first()
    if before is None:
        conn.execute(_S.insert().values(staff_id=staff_id, tip_id=tip_id, version=version, at=now))
        return None
    conn.execute(update(_S).where(and_(_S.c.staff_id == staff_id, _S.c.tip_id == tip_id))
                 .values(version=version, at=now))
    return int(before.version)


def with_new_information(conn: Connection, *, staff_id: str, tip_ids: Sequence[str]) -> set[str]:
    """Of these tips, those the reporter added to since the member last opened them."""
    if not tip_ids:
        return set()
    rows = conn.execute(
        select(_S.c.tip_id).select_from(_S.join(_T, _T.c.id == _S.c.tip_id))
        .where(and_(_S.c.staff_id == staff_id, _S.c.tip_id.in_(list(tip_ids)), _T.c.version > _S.c.version))
    )
    return {r.tip_id for r in rows}


def seen_version(conn: Connection, *, staff_id: str, tip_id: str) -> int | None:
    """The newest version of the tip the member has opened (None: never opened)."""
    found = conn.execute(select(_S.c.version).where(and_(_S.c.staff_id == staff_id, _S.c.tip_id == tip_id))).first()
    return None if found is None else int(found.version)
