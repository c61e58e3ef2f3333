"""Inbound provider message ids, so that a redelivered message is handled once.

The id is stored as a keyed hash with the (sealed) replies it got, so that a
redelivery is answered with the same replies again, never with an empty one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import Connection, delete, text

from storage.crypto import Box, ServerSecrets
from storage.fastsql import Statement
from storage.tables import Inbound
from storage.purposes import Purpose

_T = Inbound.__table__  # type: ignore[attr-defined]

# Hot-path statements, built once: plain SQL that SQLite and PostgreSQL both accept,
# so no statement is constructed (or cache-keyed) per message.
_CLAIM = text("INSERT INTO inbound (key, received_at) VALUES (:key, :now) ON CONFLICT (key) DO NOTHING RETURNING key")
_STORE = text("UPDATE inbound SET response = :response WHERE key = :key")
_STORED = text("SELECT response FROM inbound WHERE key = :key")
_CLAIM_WITH_RESPONSE = Statement(
    "INSERT INTO inbound (key, received_at, response) VALUES (:key, :now, :response)"
    " ON CONFLICT (key) DO NOTHING RETURNING key"
)


def inbound_key(secrets: ServerSecrets, channel: str, provider_id: str) -> bytes:
    return secrets.mac(Purpose.INBOUND, f"{channel}:{provider_id}".encode())


def reply_box(secrets: ServerSecrets, channel: str, provider_id: str) -> Box:
    """Replies kept for a redelivery, under a key only the provider's message id opens.

    The database holds just a keyed hash of that id, so the stored replies (a close
    reply carries the reference code) stay closed to a thief who lacks the id.
    """
    # HMAC-SHA256 as the key derivation (one HKDF-Expand block with a fixed root key).
    root = secrets.subkey(Purpose.INBOUND_REPLIES)
    return Box(hmac.new(root, f"{channel}:{provider_id}".encode(), hashlib.sha256).digest())


def claim(conn: Connection, *, key: bytes, now: float) -> bool:
    """Record ``key``; False if it was already recorded (a redelivery).

    On PostgreSQL a concurrent first delivery holds the unique index entry until it
    commits, so a parallel redelivery waits here and then sees the committed row.
    """
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
    return conn.execute(_CLAIM, {"key": key, "now": now}).first() is not None


def seal_response(box: Box, key: bytes, replies: list[dict[str, Any]]) -> bytes:
    return box.encrypt(json.dumps(replies, separators=(",", ":")).encode(), key)


def claim_with_response(conn: Connection, *, key: bytes, now: float, response: bytes) -> bool:
    """Record ``key`` with replies computed before the write lock; False on a redelivery."""
    return _CLAIM_WITH_RESPONSE.first(conn, {"key": key, "now": now, "response": response}) is not None


def store_response(conn: Connection, *, box: Box, key: bytes, replies: list[dict[str, Any]]) -> None:
    conn.execute(_STORE, {"response": seal_response(box, key, replies), "key": key})


def stored_response(conn: Connection, *, box: Box, key: bytes) -> list[dict[str, Any]]:
    row = conn.execute(_STORED, {"key": key}).first()
    if row is None or row.response is None:
        return []
    return list(json.loads(box.decrypt(row.response, key)))


def purge(conn: Connection, *, before: float) -> int:
    """Forget ids (and their replies) received before ``before`` (48 hours by default)."""
    return int(conn.execute(delete(_T).where(_T.c.received_at < before)).rowcount or 0)
