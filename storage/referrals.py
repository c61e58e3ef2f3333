"""The record of referrals: who shared which versions and notes of a tip with which queue, and why.

The sealing itself is ``storage.sealing`` (tip versions) and ``storage.case_notes`` (notes); the
why is a note sealed to every queue of the tip, the new one included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection, select

from storage.case_tables import TipReferral
from storage.tables import Staff

_R = TipReferral.__table__  # type: ignore[attr-defined]
_ST = Staff.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Referral:
    tip_id: str
    to_queue: str
    by: str  # username
    versions: tuple[int, ...]
    notes: int
    reason_note: str
    override: str | None
    created_at: float

    @property
    def shared(self) -> str:
        """What went, in words: "version 1 (no notes)", "versions 1, 2 (3 notes)"."""
        versions = ("version " if len(self.versions) == 1 else "versions ") + ", ".join(map(str, self.versions))
        notes = "no notes" if self.notes == 0 else "1 note" if self.notes == 1 else f"{self.notes} notes"
        return f"{versions} ({notes})"


def record(conn: Connection, *, tip_id: str, to_queue: str, staff_id: str, versions: Sequence[int], notes: int,
           reason_note: str, override: str | None, now: float) -> None:
    conn.execute(_R.insert().values(tip_id=tip_id, to_queue=to_queue, staff_id=staff_id,
                                    versions=",".join(str(v) for v in versions), notes=notes,
                                    reason_note=reason_note, override=override, created_at=now))


def of_tip(conn: Connection, tip_id: str) -> list[Referral]:
    rows = conn.execute(select(_R, _ST.c.username).select_from(_R.outerjoin(_ST, _ST.c.id == _R.c.staff_id))
                        .where(_R.c.tip_id == tip_id).order_by(_R.c.created_at, _R.c.id))
    return [Referral(tip_id=r.tip_id, to_queue=r.to_queue, by=r.username or "?",
                     versions=tuple(int(v) for v in r.versions.split(",") if v), notes=int(r.notes),
                     reason_note=r.reason_note, override=r.override, created_at=float(r.created_at))
            for r in rows]


def referred_queues(conn: Connection, tip_id: str) -> list[str]:
    return sorted({r.to_queue for r in conn.execute(select(_R.c.to_queue).where(_R.c.tip_id == tip_id))})


def with_referred(conn: Connection, tip_id: str, queues: Sequence[str]) -> tuple[str, ...]:
    """``queues`` and the queues the tip was referred to: a later version reaches them too."""
    return tuple(dict.fromkeys([*queues, *referred_queues(conn, tip_id)]))
