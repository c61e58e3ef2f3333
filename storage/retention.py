"""Deleting closed tips past the line's retention, with everything attached to them.

A tip goes when its case was closed (``closed`` or ``duplicate``) longer ago than the retention,
and never while it is on legal hold.  With it go its sealed versions, the alerts, claims,
staff questions, case notes (and their envelopes), links, referrals, reads and interpreters'
copies.  The audit log keeps its lines (a tip id, who, when; no content): its HMAC chain
must stay whole.  Deleted rows stay in backups, where the queue keys would still open them
(README, "Retention").
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, or_, select

from storage.case_tables import CaseNote, CaseNoteEnvelope, Interpretation, TipCase, TipLink, TipReferral, TipSeen
from storage.staff_tables import TipClaim
from storage.tables import Alert, StaffQuestion, Tip, TipEnvelope

CLOSED = ("closed", "duplicate")  # triage.casework.CaseStatus: the case is over


def _t(model: object) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def expired_tips(conn: Connection, *, before: float, limit: int = 500) -> list[str]:
    """Ids of tips closed before ``before`` and not on legal hold, oldest first."""
    case = _t(TipCase)
    rows = conn.execute(
        select(case.c.tip_id)
        .where(case.c.status.in_(CLOSED), case.c.updated_at < before, case.c.legal_hold.is_(False))
        .order_by(case.c.updated_at).limit(limit)
        # Locked until the deletes commit: a legal hold placed meanwhile waits, then finds no tip.
        .with_for_update(skip_locked=True)
    ).all()
    return [str(r[0]) for r in rows]


def delete_tips(conn: Connection, tip_ids: list[str]) -> int:
    """Delete the tips and what hangs on them; returns how many tips went."""
    if not tip_ids:
        return 0
    notes = _t(CaseNote)
    note_ids = select(notes.c.id).where(notes.c.tip_id.in_(tip_ids))
    conn.execute(delete(_t(CaseNoteEnvelope)).where(_t(CaseNoteEnvelope).c.note_id.in_(note_ids)))
    for model in (CaseNote, TipReferral, TipSeen, Interpretation, TipClaim, Alert, StaffQuestion, TipEnvelope):
        table = _t(model)
        conn.execute(delete(table).where(table.c.tip_id.in_(tip_ids)))
    links = _t(TipLink)
    conn.execute(delete(links).where(or_(links.c.tip_a.in_(tip_ids), links.c.tip_b.in_(tip_ids))))
    case, tips = _t(TipCase), _t(Tip)
    conn.execute(delete(case).where(case.c.tip_id.in_(tip_ids)))
    return int(conn.execute(delete(tips).where(tips.c.id.in_(tip_ids))).rowcount or 0)


def purge_closed_tips(conn: Connection, *, before: float, limit: int = 500) -> int:
    """One batch: the closed tips past retention, deleted; how many."""
    return delete_tips(conn, expired_tips(conn, before=before, limit=limit))
