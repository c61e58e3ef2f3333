"""Inbound provider message ids, so that a redelivered message is handled once.

The id is stored as a keyed hash under the INBOUND epoch keys (day epochs: a redelivery is
checked against every epoch still open, so one that crosses midnight is still caught).  A
Twilio message's replies ride back inline, so they are kept with it, sealed under a key
derived from the provider's id and the current INBOUND_REPLIES hour, so that a redelivery
gets the same replies again, never an empty one; only the id opens them, and only while that
hour's key lives.  A stored reply is dropped once the provider reports it delivered (the
status callback, ``forget_response``) and in any case after ``REPLY_RETENTION``
(``clear_responses``, a job): no closing reply (the one with the code) outlives Twilio's
retry window.  Telegram's replies go through the outbox, so its ids are kept with no reply.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import Connection, delete, text, update

from storage.crypto import DecryptionFailed
from storage.epoch_blobs import open_derived, seal_derived
from storage.epochs import EpochKeys
from storage.fastsql import Statement
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed
from storage.tables import Inbound

_T = Inbound.__table__  # type: ignore[attr-defined]

# Twilio retries a webhook only within its connection-override budget (seconds); ten minutes
# is generous, and the hour's key dies within two hours whatever this job does.
REPLY_RETENTION = 600.0


def inbound_keys(keys: EpochKeys, channel: str, provider_id: str) -> list[bytes]:
    """The id's keyed hash under every open INBOUND epoch, current first (a new row takes the first)."""
    return keys.macs(Purpose.INBOUND, f"{channel}:{provider_id}".encode())


def _claim_sql(n: int, *, with_response: bool) -> Statement:
    """Insert the current key unless the id is known under any open epoch; RETURNING says which.

    One statement, so the check and the insert cannot be split by another writer; on
    PostgreSQL a concurrent first delivery of the same epoch holds the unique index entry
    until it commits, so a parallel redelivery waits and then sees the committed row.
    """
    listed = ", ".join(f":k{i}" for i in range(n))
    columns, values = ("key, received_at, response", ":key, :now, :response") if with_response \
        else ("key, received_at", ":key, :now")
    return Statement(
        f"INSERT INTO inbound ({columns}) SELECT {values}"
        f" WHERE NOT EXISTS (SELECT 1 FROM inbound WHERE key IN ({listed}))"
        " ON CONFLICT (key) DO NOTHING RETURNING key"
    )


_CLAIMS: dict[tuple[int, bool], Statement] = {}  # built once per window length: the hot path reuses them


def claim(conn: Connection, *, keys: Sequence[bytes], now: float, response: bytes | None = None) -> bool:
    """Record the id (``keys[0]``), with its sealed replies if any; False if it was seen already."""
    shape = (len(keys), response is not None)
    statement = _CLAIMS.get(shape)
    if statement is None:
        statement = _CLAIMS[shape] = _claim_sql(len(keys), with_response=response is not None)
    params: dict[str, Any] = {f"k{i}": k for i, k in enumerate(keys)}
    params.update(key=keys[0], now=now)
    if response is not None:
        params["response"] = response
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
    return statement.first(conn, params) is not None


def _info(channel: str, provider_id: str) -> bytes:
    return f"{channel}:{provider_id}".encode()


# Built once: ``json.dumps(..., separators=...)`` makes a new encoder on every call (issue 11).
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def seal_response(keys: EpochKeys, channel: str, provider_id: str, key: bytes, replies: list[dict[str, Any]]) -> bytes:
    """The replies under this hour's key for the provider id, bound to the row's key."""
    plain = _ENCODE(replies).encode()
    return seal_derived(keys, Purpose.INBOUND_REPLIES, _info(channel, provider_id), plain, key)


_STORE = text("UPDATE inbound SET response = :response WHERE key = :key")


def store_response(conn: Connection, *, key: bytes, response: bytes) -> None:
    conn.execute(_STORE, {"response": response, "key": key})


def stored_response(
    conn: Connection, *, keys: EpochKeys, channel: str, provider_id: str, lookups: Sequence[bytes],
) -> tuple[bytes | None, list[dict[str, Any]]]:
    """(the row's key, the replies kept for this id); (None, []) once delivered, cleared or
    past their hour's window."""
    rows = conn.execute(_T.select().where(_T.c.key.in_(list(lookups)), _T.c.response.is_not(None)))
    for row in rows:
        try:
            plain = open_derived(keys, Purpose.INBOUND_REPLIES, _info(channel, provider_id), row.response, row.key)
        except (EpochDestroyed, DecryptionFailed):
            continue  # past its hour (a Twilio retry never comes that late), or not this id's
        return bytes(row.key), list(json.loads(plain))
    return None, []


def forget_response(conn: Connection, *, key: bytes) -> int:
    """The provider has the replies (a status callback): drop them; the id stays, so a late
    redelivery is still recognised (and gets no reply, not a new interview step)."""
    return int(conn.execute(update(_T).where(_T.c.key == key).values(response=None)).rowcount or 0)


def clear_responses(conn: Connection, *, before: float) -> int:
    """Drop the replies kept for ids received before ``before`` (``REPLY_RETENTION``).

    On SQLite (no index on received_at) this reads the table through: what the index's range
    read of every id older than ``before`` cost before, less the index."""
    result = conn.execute(
        update(_T).where(_T.c.received_at < before, _T.c.response.is_not(None)).values(response=None)
    )
    return int(result.rowcount or 0)


# SQLite keeps no index on received_at (revision 0012: one page fewer in every message's commit).
# Its rows are in arrival order instead: a new row's rowid is the largest plus one, and every
# writer stamps ``received_at`` from the one host's clock just before it inserts.  So the purge
# deletes the rows before the first one received at or after the cutoff: it reads only the rows
# it deletes (and that one), and never deletes a row received after the cutoff.  A row stamped
# a moment earlier than one inserted before it (two writers racing) goes in a later round.
_PURGE_SQLITE = text(
    "DELETE FROM inbound WHERE rowid < coalesce("
    "(SELECT rowid FROM inbound WHERE received_at >= :before ORDER BY rowid LIMIT 1),"
    " (SELECT max(rowid) + 1 FROM inbound))"
)


def purge(conn: Connection, *, before: float) -> int:
    """Forget ids (and their replies) received before ``before`` (48 hours by default)."""
    if conn.dialect.name == "sqlite":
        return int(conn.execute(_PURGE_SQLITE, {"before": before}).rowcount or 0)
    return int(conn.execute(delete(_T).where(_T.c.received_at < before)).rowcount or 0)
