"""Conversations: found by a keyed hash of ``channel:address``, state sealed with the server key.

The hot path (one inbound message) uses these functions inside the caller's
transaction.  Statements are SQLAlchemy Core; rows come back as small dataclasses.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, select, text, update

from storage import outbox
from storage.crypto import Box, ServerSecrets
from storage.fastsql import Statement
from storage.tables import Conversation, OptOut
from storage.purposes import Purpose

_T = Conversation.__table__  # type: ignore[attr-defined]
_OPT = OptOut.__table__  # type: ignore[attr-defined]


class RowStatus(StrEnum):
    """A conversation row's ``status`` column (the engine's own statuses are mapped onto it by triage)."""

    NEW = "new"
    ACTIVE = "active"
    FINISHED = "finished"
    ENDED = "ended"
    OPTED_OUT = "opted_out"


# Rows whose idle timer still runs out (sealed by the worker, or on the next message).
# Opted-out conversations too: their answers are still sealed at expiry.
EXPIRABLE = frozenset({RowStatus.NEW, RowStatus.ACTIVE, RowStatus.OPTED_OUT})


@dataclass
class ConversationRow:
    id: str
    channel: str
    status: str
    tip_id: str | None
    expires_at: float
    revision: int
    state: dict[str, Any] | None = field(default=None, repr=False)

    def expired(self, now: float) -> bool:
        """The idle timer of an open conversation has run out."""
        return self.status in EXPIRABLE and self.expires_at < now


def lookup_key(secrets: ServerSecrets, channel: str, address: str) -> bytes:
    """The keyed hash that finds a conversation; the address itself is never stored in the clear."""
    return secrets.mac(Purpose.LOOKUP, f"{channel}:{address}".encode())


# Hot-path statements, built once (plain SQL both SQLite and PostgreSQL accept), so
# that no statement is constructed or cache-keyed per message.
_COLS = "id, channel, status, tip_id, expires_at, revision, state"
_FIND = Statement(f"SELECT {_COLS} FROM conversation WHERE lookup = :lookup")
_FIND_LOCKED = text(f"SELECT {_COLS} FROM conversation WHERE lookup = :lookup FOR UPDATE")
_CREATE = text(
    "INSERT INTO conversation (id, lookup, channel, state, status, created_at, updated_at, expires_at,"
    " purge_at, revision) VALUES (:id, :lookup, :channel, :state, :status, :now, :now, :expires_at,"
    " :purge_at, 0) ON CONFLICT (lookup) DO NOTHING"
)
_SAVE = text(
    "UPDATE conversation SET state = :state, status = :status, tip_id = :tip_id, updated_at = :now,"
    " expires_at = :expires_at, purge_at = :purge_at, revision = :revision WHERE id = :id"
)
_SAVE_IF_UNCHANGED = Statement(
    "UPDATE conversation SET state = :state, status = :status, tip_id = :tip_id, updated_at = :now,"
    " expires_at = :expires_at, purge_at = :purge_at, revision = :revision"
    " WHERE id = :id AND revision = :seen RETURNING id"
)
_CREATE_WITH_STATE = Statement(
    "INSERT INTO conversation (id, lookup, channel, state, status, tip_id, created_at, updated_at, expires_at,"
    " purge_at, revision) VALUES (:id, :lookup, :channel, :state, :status, :tip_id, :now, :now, :expires_at,"
    " :purge_at, 1) ON CONFLICT (lookup) DO NOTHING RETURNING id"
)
_OPTED_OUT = Statement("SELECT 1 FROM optout WHERE lookup = :lookup")  # every new conversation asks


def new_id() -> str:
    """A conversation id for a row not yet written (its state is sealed under the id)."""
    return uuid.uuid4().hex


def create_with_state(
    conn: Connection, *, conv_id: str, lookup: bytes, channel: str, sealed_state: bytes, status: RowStatus,
    tip_id: str | None, now: float, idle_seconds: int, retain_seconds: int,
) -> bool:
    """Write a new conversation with its first state; False if one for ``lookup`` appeared first."""
    row = _CREATE_WITH_STATE.first(conn, {
        "id": conv_id, "lookup": lookup, "channel": channel, "state": sealed_state, "status": status.value,
        "tip_id": tip_id, "now": now, "expires_at": now + idle_seconds, "purge_at": now + retain_seconds,
    })
    return row is not None


def find(conn: Connection, *, box: Box, lookup: bytes) -> ConversationRow | None:
    """Read a conversation without locking it (the optimistic path checks its revision on save)."""
    row = _FIND.first(conn, {"lookup": lookup})
    return _row(box, row) if row is not None else None


def _row(box: Box, row: Any) -> ConversationRow:
    """A row of the ``_COLS`` columns, in that order (a driver tuple or a SQLAlchemy Row)."""
    conv_id, channel, status, tip_id, expires_at, revision, state = row
    return ConversationRow(
        id=conv_id, channel=channel, status=status, tip_id=tip_id, expires_at=expires_at, revision=revision,
        state=json.loads(box.decrypt(bytes(state), conv_id.encode())) if state else None,
    )


def open_conversation(
    conn: Connection,
    *,
    box: Box,
    lookup: bytes,
    channel: str,
    now: float,
    idle_seconds: int,
    retain_seconds: int,
) -> tuple[ConversationRow, bool]:
    """Find the conversation for ``lookup``, creating it if needed, locked for this transaction.

    Two first messages from one sender at once make one conversation: the insert
    does nothing on a conflicting lookup, and the row is then read ``FOR UPDATE``
    (on SQLite the whole transaction already holds the write lock).
    Returns (row, created).
    """
    def find() -> Any:
        if conn.dialect.name == "postgresql":
            return conn.execute(_FIND_LOCKED, {"lookup": lookup}).first()
        return _FIND.first(conn, {"lookup": lookup})

    row = find()
    if row is not None:  # the common case: a conversation in progress
        return _row(box, row), False
    new_id = uuid.uuid4().hex
    conn.execute(_CREATE, {
        "id": new_id, "lookup": lookup, "channel": channel, "state": b"", "status": RowStatus.NEW.value, "now": now,
        "expires_at": now + idle_seconds, "purge_at": now + retain_seconds,
    })
    conv = _row(box, find())
    return conv, conv.id == new_id


def save_conversation(
    conn: Connection,
    *,
    box: Box,
    conv: ConversationRow,
    state: dict[str, Any],
    status: RowStatus,
    now: float,
    idle_seconds: int,
    retain_seconds: int,
) -> None:
    """Write the new state (sealed), status, tip link and timers."""
    values: dict[str, Any] = {
        "id": conv.id,
        "state": seal_state(box, conv.id, state),
        "status": status.value,
        "tip_id": conv.tip_id,
        "now": now,
        "expires_at": now + idle_seconds,
        "purge_at": now + retain_seconds,
        "revision": conv.revision + 1,
    }
    conn.execute(_SAVE, values)


def save_if_unchanged(
    conn: Connection,
    *,
    conv: ConversationRow,
    sealed_state: bytes,
    status: RowStatus,
    now: float,
    idle_seconds: int,
    retain_seconds: int,
) -> bool:
    """Save a state computed outside the write lock; False if another message got there first."""
    row = _SAVE_IF_UNCHANGED.first(conn, {
        "id": conv.id, "seen": conv.revision, "state": sealed_state, "status": status.value, "tip_id": conv.tip_id,
        "now": now, "expires_at": now + idle_seconds, "purge_at": now + retain_seconds,
        "revision": conv.revision + 1,
    })
    return row is not None


def seal_state(box: Box, conv_id: str, state: dict[str, Any]) -> bytes:
    return box.encrypt(json.dumps(state, separators=(",", ":")).encode(), conv_id.encode())


def is_opted_out(conn: Connection, lookup: bytes) -> bool:
    return _OPTED_OUT.first(conn, {"lookup": lookup}) is not None


def set_opt_out(conn: Connection, *, lookup: bytes, opted_out: bool, now: float) -> None:
    """Record a carrier opt-out (kept as a keyed hash only) or clear it on opt-in."""
    conn.execute(delete(_OPT).where(_OPT.c.lookup == lookup))
    if opted_out:
        conn.execute(_OPT.insert().values(lookup=lookup, at=now))


def record_opt_out(conn: Connection, *, lookup: bytes, now: float, conversation_id: str | None = None) -> None:
    """The address opted out with its carrier: record it (a keyed hash only) and, given the
    conversation, drop everything still queued for it, so nothing more is sent."""
    set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
    if conversation_id is not None:
        outbox.cancel_conversation(conn, conversation_id=conversation_id)


def stop_running(conn: Connection, *, lookup: bytes, now: float) -> None:
    """The carrier refused the address (error 21610, learned from a status callback or a send):
    record the opt-out, drop everything queued for its conversation, and mark a running one
    opted out.  Its later messages are then answered under the write lock, which reads the
    opt-out and sends nothing; the revision moves so a save computed before this one fails."""
    set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
    row = conn.execute(select(_T.c.id, _T.c.status).where(_T.c.lookup == lookup)).first()
    if row is None:
        return
    if row.status in (RowStatus.NEW.value, RowStatus.ACTIVE.value):
        conn.execute(
            update(_T).where(_T.c.id == row.id).values(status=RowStatus.OPTED_OUT.value, revision=_T.c.revision + 1)
        )
    outbox.cancel_conversation(conn, conversation_id=row.id)


def lock_idle(conn: Connection, *, box: Box, now: float, limit: int = 100) -> list[ConversationRow]:
    """Open conversations whose idle timer has run out, locked for sealing."""
    query = (
        select(_T.c.id, _T.c.channel, _T.c.status, _T.c.tip_id, _T.c.expires_at, _T.c.revision, _T.c.state)
        .where(_T.c.expires_at < now, _T.c.status.in_(sorted(s.value for s in EXPIRABLE)))
        .order_by(_T.c.expires_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_row(box, row) for row in conn.execute(query)]


def purge_finished(conn: Connection, *, now: float) -> int:
    """Delete conversations past their follow-up window: the address hash goes with them."""
    result = conn.execute(delete(_T).where(_T.c.purge_at < now))
    return int(result.rowcount or 0)
