"""Interpreters: members with languages (no queue needed), and requests to translate a tip's free text.

A request holds only the tip's free text, sealed to the interpreter's own X25519 public key
(context ``interpret:{request_id}:{staff_id}``); it is emptied once the translation came back as
a note on the tip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Connection, and_, delete, select, update

from storage import crypto
from storage.case_tables import Interpretation, StaffLanguage
from storage.tables import Staff

_L = StaffLanguage.__table__  # type: ignore[attr-defined]
_I = Interpretation.__table__  # type: ignore[attr-defined]
_ST = Staff.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Request:
    id: str
    tip_id: str
    requested_by: str  # username
    language: str
    created_at: float
    done_at: float | None
    sealed: bytes = field(repr=False)


def _context(request_id: str, staff_id: str) -> bytes:
    return f"interpret:{request_id}:{staff_id}".encode()


def set_languages(conn: Connection, *, staff_id: str, languages: Sequence[str]) -> None:
    conn.execute(delete(_L).where(_L.c.staff_id == staff_id))
    for language in dict.fromkeys(languages):
        conn.execute(_L.insert().values(staff_id=staff_id, language=language))


def interpreters(conn: Connection) -> list[tuple[str, str]]:
    """(username, language) of every interpreter, by username then language."""
    rows = conn.execute(select(_ST.c.username, _L.c.language).select_from(_L.join(_ST, _ST.c.id == _L.c.staff_id))
                        .order_by(_ST.c.username, _L.c.language))
    return [(r.username, r.language) for r in rows]


def seal_for(conn: Connection, *, request_id: str, username: str, text: str) -> tuple[str, bytes] | None:
    """(staff id, sealed text) for an interpreter; None when ``username`` has no language."""
    row = conn.execute(select(_ST.c.id, _ST.c.public_key).select_from(_ST.join(_L, _L.c.staff_id == _ST.c.id))
                       .where(_ST.c.username == username).limit(1)).first()
    if row is None:
        return None
    return row.id, crypto.seal(text.encode(), recipient_public=bytes(row.public_key), key_id=f"staff-{row.id}",
                               context=_context(request_id, row.id))


def ask(conn: Connection, *, request_id: str, tip_id: str, requested_by: str, interpreter: str, language: str,
        sealed: bytes, now: float) -> None:
    conn.execute(_I.insert().values(id=request_id, tip_id=tip_id, requested_by=requested_by, interpreter=interpreter,
                                    language=language, sealed=sealed, created_at=now))


def _request(r: object) -> Request:
    return Request(id=r.id, tip_id=r.tip_id, requested_by=r.username or "?",  # type: ignore[attr-defined]
                   language=r.language, created_at=float(r.created_at),  # type: ignore[attr-defined]
                   done_at=r.done_at, sealed=bytes(r.sealed))  # type: ignore[attr-defined]


def requests_for(conn: Connection, *, staff_id: str, request_id: str | None = None) -> list[Request]:
    """The interpreter's requests (or the one named), open ones first, oldest first."""
    query = (select(_I, _ST.c.username).select_from(_I.outerjoin(_ST, _ST.c.id == _I.c.requested_by))
             .where(_I.c.interpreter == staff_id).order_by(_I.c.done_at.is_not(None), _I.c.created_at))
    if request_id is not None:
        query = query.where(_I.c.id == request_id)
    return [_request(r) for r in conn.execute(query)]


def open_text(request: Request, *, staff_id: str, private: bytes) -> str:
    """The free text, opened with the interpreter's private key (``crypto.DecryptionFailed`` if moved)."""
    return crypto.open_sealed(request.sealed, recipient_private=private,
                              context=_context(request.id, staff_id)).decode()


def complete(conn: Connection, *, request_id: str, staff_id: str, note_id: str, now: float) -> bool:
    """Mark it done and drop the interpreter's copy; False when it was not open."""
    result = conn.execute(update(_I).where(and_(_I.c.id == request_id, _I.c.interpreter == staff_id,
                                                _I.c.done_at.is_(None)))
                          .values(done_at=now, note_id=note_id, sealed=b""))
    return bool(result.rowcount)
