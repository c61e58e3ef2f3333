"""Notes on a tip, sealed to the current key of every queue the tip is in.

A note is sealed from plain reads (``seal_note``: keys only, no writes) so that the X25519 work
runs before the write transaction; ``write_note`` then only writes.  Each envelope carries the
context ``note:{note_id}:{queue}``: copied to another note or queue, it does not open.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Connection, and_, func, select

from storage import crypto
from storage.case_tables import CaseNote, CaseNoteEnvelope
from storage.crypto import DecryptionFailed
from storage.keys import StaffKeys, current_public_keys
from storage.tables import Staff, TipEnvelope

_N = CaseNote.__table__  # type: ignore[attr-defined]
_NE = CaseNoteEnvelope.__table__  # type: ignore[attr-defined]
_E = TipEnvelope.__table__  # type: ignore[attr-defined]
_ST = Staff.__table__  # type: ignore[attr-defined]


class NoteTamperedError(Exception):
    """A note envelope does not open with the key it names: it was altered or moved."""


@dataclass(frozen=True)
class SealedNote:
    """A note sealed to some queues, not yet written."""

    note_id: str
    tip_id: str
    kind: str
    envelopes: tuple[tuple[str, str, bytes], ...] = field(repr=False)  # (queue, key id, sealed)


@dataclass(frozen=True)
class Note:
    note_id: str
    kind: str
    author: str  # username
    created_at: float
    text: str | None = field(repr=False)  # None: not sealed to any key the reader holds


def _context(note_id: str, queue: str) -> bytes:
    return f"note:{note_id}:{queue}".encode()


def tip_queues(conn: Connection, tip_id: str) -> list[str]:
    """Every queue the tip is sealed to (its routes and its referrals)."""
    rows = conn.execute(select(_E.c.queue).distinct().where(_E.c.tip_id == tip_id))
    return sorted(r.queue for r in rows)


def tip_key_ids(conn: Connection, tip_id: str) -> set[str]:
    return {r.key_id for r in conn.execute(select(_E.c.key_id).distinct().where(_E.c.tip_id == tip_id))}


def first_sealed_at(conn: Connection, tip_id: str, queues: Sequence[str]) -> tuple[str, float] | None:
    """(queue, time) the tip first reached one of ``queues``; None when it never did."""
    if not queues:
        return None
    row = conn.execute(select(_E.c.queue, _E.c.created_at)
                       .where(and_(_E.c.tip_id == tip_id, _E.c.queue.in_(list(queues))))
                       .order_by(_E.c.created_at, _E.c.id).limit(1)).first()
    return None if row is None else (str(row.queue), float(row.created_at))


def version_times(conn: Connection, tip_id: str) -> list[tuple[int, float]]:
    """(version, when it was first sealed), oldest first."""
    rows = conn.execute(select(_E.c.version, func.min(_E.c.created_at).label("at")).where(_E.c.tip_id == tip_id)
                        .group_by(_E.c.version).order_by(_E.c.version))
    return [(int(r.version), float(r.at)) for r in rows]


def seal_note(conn: Connection, *, tip_id: str, kind: str, text: str, queues: Sequence[str],
              note_id: str | None = None) -> SealedNote:
    """Seal a note's words to each queue's current key (reads only)."""
    note_id = note_id or uuid.uuid4().hex
    envelopes = tuple(
        (queue, key_id, crypto.seal(text.encode(), recipient_public=public, key_id=key_id,
                                    context=_context(note_id, queue)))
        for queue, key_id, public in current_public_keys(conn, queues)
    )
    return SealedNote(note_id=note_id, tip_id=tip_id, kind=kind, envelopes=envelopes)


def write_note(conn: Connection, note: SealedNote, *, staff_id: str, now: float) -> str:
    conn.execute(_N.insert().values(id=note.note_id, tip_id=note.tip_id, staff_id=staff_id, kind=note.kind,
                                    created_at=now))
    write_envelopes(conn, note, now=now)
    return note.note_id


def write_envelopes(conn: Connection, note: SealedNote, *, now: float) -> None:
    """Envelopes of an existing note (a referral seals the notes anew to another queue)."""
    for queue, key_id, sealed in note.envelopes:
        conn.execute(_NE.insert().values(note_id=note.note_id, queue=queue, key_id=key_id, sealed=sealed,
                                         created_at=now))


def _open(conn: Connection, keys: StaffKeys, held: set[str], note_id: str) -> str | None:
    rows = conn.execute(select(_NE.c.queue, _NE.c.key_id, _NE.c.sealed).where(_NE.c.note_id == note_id)
                        .order_by(_NE.c.id))
    for row in rows:
        if row.key_id not in held:
            continue
        try:
            return crypto.open_sealed(row.sealed, recipient_private=keys.queue_private(conn, row.key_id),
                                      context=_context(note_id, row.queue)).decode()
        except DecryptionFailed:
            raise NoteTamperedError(f"note {note_id} for queue {row.queue} does not open") from None
    return None


def notes(conn: Connection, *, tip_id: str, keys: StaffKeys) -> list[Note]:
    """The tip's notes, oldest first, opened with the member's keys."""
    held = keys.held_key_ids(conn)
    rows = conn.execute(select(_N.c.id, _N.c.kind, _N.c.created_at, _ST.c.username)
                        .select_from(_N.outerjoin(_ST, _ST.c.id == _N.c.staff_id))
                        .where(_N.c.tip_id == tip_id).order_by(_N.c.created_at, _N.c.id))
    return [Note(note_id=r.id, kind=r.kind, author=r.username or "?", created_at=float(r.created_at),
                 text=_open(conn, keys, held, r.id)) for r in list(rows)]


def count_by(conn: Connection, *, tip_id: str, staff_id: str, kind: str = "note") -> int:
    """How many notes of ``kind`` the member wrote on the tip (metadata only: nothing is opened)."""
    stmt = select(func.count()).select_from(_N).where(
        and_(_N.c.tip_id == tip_id, _N.c.staff_id == staff_id, _N.c.kind == kind))
    return int(conn.execute(stmt).scalar() or 0)
