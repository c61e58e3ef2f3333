"""Conversations: found by an expiring keyed hash of ``channel:address``, state sealed under epoch keys.

The lookup is the hash under the current LOOKUP epoch (``storage.lookups``); finding a
conversation tries every epoch still open in one query, and a save by the intake re-keys the
row to the current epoch, so a conversation that lives long is still found while a row's
lookup dies with its epoch.  The state is sealed by ``storage.conversation_state``.  Times
are coarse (``COARSE_SECONDS``): the idle and follow-up windows need minutes, and exact times
would line a conversation up with the tip it made (tip times stay exact for the queue).

The hot path (one inbound message) uses these functions inside the caller's
transaction.  Statements are SQLAlchemy Core; rows come back as small dataclasses.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, TextClause, delete, select, text

from storage.conversation_state import EpochDestroyed, StateBoxes
from storage.fastsql import Statement
from storage.lookups import Keyed, in_list
from storage.tables import Conversation

log = logging.getLogger(__name__)

_T = Conversation.__table__  # type: ignore[attr-defined]
COARSE_SECONDS = 600  # conversation rows keep times to ten minutes: enough for the windows


class RowStatus(StrEnum):
    """A conversation row's ``status`` column (the engine's own statuses are mapped onto it by triage)."""

    NEW = "new"
    ACTIVE = "active"
    FINISHED = "finished"
    ENDED = "ended"
    OPTED_OUT = "opted_out"
    FOLLOW_UP = "follow_up"  # a reporter came back with a code: the tip id is dropped at expiry


# Rows whose idle timer still runs out (sealed by the worker, or on the next message).
# Opted-out conversations too: their answers are still sealed at expiry.
EXPIRABLE = frozenset({RowStatus.NEW, RowStatus.ACTIVE, RowStatus.OPTED_OUT, RowStatus.FOLLOW_UP})


def coarse(now: float) -> float:
    """A row's created or updated time: rounded down to ``COARSE_SECONDS``."""
    return float(math.floor(now / COARSE_SECONDS) * COARSE_SECONDS)


def coarse_after(at: float) -> float:
    """A row's expiry or purge time: rounded up, so nothing expires or is purged early."""
    return float(math.ceil(at / COARSE_SECONDS) * COARSE_SECONDS)


@dataclass
class ConversationRow:
    id: str
    channel: str
    status: str
    tip_id: str | None
    expires_at: float
    revision: int
    state: dict[str, Any] | None = field(default=None, repr=False)
    # The state's epoch key was destroyed (the worker was down past the window): it is gone.
    lost: bool = False
    # The keyed hash the row is stored under (what a save compares with the sender's current one).
    lookup: bytes | None = field(default=None, repr=False)

    def expired(self, now: float) -> bool:
        """The idle timer of an open conversation has run out."""
        return self.status in EXPIRABLE and self.expires_at < now


def _times(now: float, idle_seconds: int, retain_seconds: int) -> dict[str, float]:
    return {"now": coarse(now), "expires_at": coarse_after(now + idle_seconds),
            "purge_at": coarse_after(now + retain_seconds)}


# Hot-path statements, built once per number of open epochs (plain SQL both SQLite and
# PostgreSQL accept), so that no statement is constructed or cache-keyed per message.
# The columns of a conversation read, in the order ``row_of`` takes them.
COLUMNS = ("id", "channel", "status", "tip_id", "expires_at", "revision", "state", "lookup")
_COLS = ", ".join(COLUMNS)


@lru_cache(maxsize=32)
def _find(n: int) -> Statement:
    # The newest row any open lookup finds (``storage.first_read`` reads the same row the same way).
    return Statement(f"SELECT {_COLS} FROM conversation WHERE lookup IN ({in_list(n)})"
                     " ORDER BY updated_at DESC LIMIT 1")


@lru_cache(maxsize=32)
def _find_locked(n: int) -> TextClause:
    return text(f"SELECT {_COLS} FROM conversation WHERE lookup IN ({in_list(n)})"
                " ORDER BY updated_at DESC LIMIT 1 FOR UPDATE")


_CREATE = text(
    "INSERT INTO conversation (id, lookup, channel, state, status, created_at, updated_at, expires_at,"
    " purge_at, revision) VALUES (:id, :lookup, :channel, :state, :status, :now, :now, :expires_at,"
    " :purge_at, 0) ON CONFLICT (lookup) DO NOTHING"
)
# The intake knows the address: it re-keys the row to the current epoch (unless a row made
# in a race across an epoch boundary already holds that lookup).
_REKEY = ("lookup = CASE WHEN EXISTS (SELECT 1 FROM conversation o WHERE o.lookup = :lookup AND o.id <> :id)"
          " THEN lookup ELSE :lookup END")
_SET = ("state = :state, status = :status, tip_id = :tip_id, updated_at = :now, expires_at = :expires_at,"
        " purge_at = :purge_at, revision = :revision")
_SAVE = text(f"UPDATE conversation SET {_SET}, {_REKEY} WHERE id = :id")
_SAVE_KEEPING_LOOKUP = text(f"UPDATE conversation SET {_SET} WHERE id = :id")


@lru_cache(maxsize=4)
def _save_if_unchanged(rekey: bool, expiry: bool) -> Statement:
    """The optimistic save, setting the indexed columns (lookup, expires_at) only when they change.

    Setting an indexed column, even to the value it holds, rewrites its index entry: on SQLite
    each is one more 4 KiB page in the WAL and the commit (measured: 3 pages for a state save
    that sets both, 1 without).  The lookup changes only when its epoch turns, the coarse
    expiry once per ten minutes.
    """
    columns = _SET if expiry else _SET.replace(" expires_at = :expires_at,", "")
    return Statement(f"UPDATE conversation SET {columns}{', ' + _REKEY if rekey else ''}"
                     " WHERE id = :id AND revision = :seen RETURNING id")
_CREATE_WITH_STATE = Statement(
    "INSERT INTO conversation (id, lookup, channel, state, status, tip_id, created_at, updated_at, expires_at,"
    " purge_at, revision) VALUES (:id, :lookup, :channel, :state, :status, :tip_id, :now, :now, :expires_at,"
    " :purge_at, 1) ON CONFLICT (lookup) DO NOTHING RETURNING id"
)


def new_id() -> str:
    """A conversation id for a row not yet written (its state is sealed under the id)."""
    return uuid.uuid4().hex


def create_with_state(
    conn: Connection, *, conv_id: str, lookup: Keyed, channel: str, sealed_state: bytes, status: RowStatus,
    tip_id: str | None, now: float, idle_seconds: int, retain_seconds: int,
) -> bool:
    """Write a new conversation with its first state; False if one for ``lookup`` appeared first."""
    row = _CREATE_WITH_STATE.first(conn, {
        "id": conv_id, "lookup": lookup.current, "channel": channel, "state": sealed_state, "status": status.value,
        "tip_id": tip_id, **_times(now, idle_seconds, retain_seconds),
    })
    return row is not None


def find(conn: Connection, *, boxes: StateBoxes, lookup: Keyed) -> ConversationRow | None:
    """Read a conversation without locking it (the optimistic path checks its revision on save)."""
    row = _find(len(lookup.tried)).first(conn, lookup.params())
    return row_of(boxes, row) if row is not None else None


def row_of(boxes: StateBoxes, row: Any) -> ConversationRow:
    """A row of the ``COLUMNS``, in that order (a driver tuple or a SQLAlchemy Row)."""
    conv_id, channel, status, tip_id, expires_at, revision, state, found_by = row
    conv = ConversationRow(id=conv_id, channel=channel, status=status, tip_id=tip_id, expires_at=expires_at,
                           revision=revision, lookup=bytes(found_by) if found_by is not None else None)
    if state:
        try:
            conv.state = boxes.open(conv_id, bytes(state))
        except EpochDestroyed:
            conv.lost = True
    return conv


def open_conversation(
    conn: Connection, *, boxes: StateBoxes, lookup: Keyed, channel: str, now: float, idle_seconds: int,
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
            return conn.execute(_find_locked(len(lookup.tried)), lookup.params()).first()
        return _find(len(lookup.tried)).first(conn, lookup.params())

    row = find()
    if row is not None:  # the common case: a conversation in progress
        return row_of(boxes, row), False
    created_id = new_id()
    conn.execute(_CREATE, {"id": created_id, "lookup": lookup.current, "channel": channel, "state": b"",
                           "status": RowStatus.NEW.value, **_times(now, idle_seconds, retain_seconds)})
    conv = row_of(boxes, find())
    return conv, conv.id == created_id


def save_conversation(
    conn: Connection, *, conv: ConversationRow, sealed_state: bytes, status: RowStatus, now: float,
    idle_seconds: int, retain_seconds: int, lookup: Keyed | None,
) -> None:
    """Write the new state (sealed by the caller), status, tip link and timers.

    ``lookup``: the sender's (re-keys the row to the current epoch); None keeps the row's own
    (the worker's expiry knows no address)."""
    values: dict[str, Any] = {
        "id": conv.id, "state": sealed_state, "status": status.value, "tip_id": conv.tip_id,
        "revision": conv.revision + 1, **_times(now, idle_seconds, retain_seconds),
    }
    if lookup is None:
        conn.execute(_SAVE_KEEPING_LOOKUP, values)
    else:
        conn.execute(_SAVE, {**values, "lookup": lookup.current})


def save_if_unchanged(
    conn: Connection, *, conv: ConversationRow, lookup: Keyed, sealed_state: bytes, status: RowStatus, now: float,
    idle_seconds: int, retain_seconds: int,
) -> bool:
    """Save a state computed outside the write lock; False if another message got there first.

    The row read at ``conv.revision`` had ``conv.lookup`` and ``conv.expires_at``: the revision
    check guarantees they are still what the row holds when the save applies.
    """
    times = _times(now, idle_seconds, retain_seconds)
    statement = _save_if_unchanged(conv.lookup != lookup.current, conv.expires_at != times["expires_at"])
    row = statement.first(conn, {
        "id": conv.id, "seen": conv.revision, "state": sealed_state, "status": status.value, "tip_id": conv.tip_id,
        "lookup": lookup.current, "revision": conv.revision + 1, **times,
    })
    return row is not None


def lock_idle(conn: Connection, *, boxes: StateBoxes, now: float, limit: int = 100) -> list[ConversationRow]:
    """Open conversations whose idle timer has run out, locked for sealing."""
    query = (
        select(_T.c.id, _T.c.channel, _T.c.status, _T.c.tip_id, _T.c.expires_at, _T.c.revision, _T.c.state,
               _T.c.lookup)
        .where(_T.c.expires_at < now, _T.c.status.in_(sorted(s.value for s in EXPIRABLE)))
        .order_by(_T.c.expires_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [row_of(boxes, row) for row in conn.execute(query)]


def purge_finished(conn: Connection, *, now: float) -> int:
    """Delete conversations past their follow-up window: the address hash goes with them."""
    result = conn.execute(delete(_T).where(_T.c.purge_at < now))
    return int(result.rowcount or 0)
