"""Fixed-window counters for wrong reference codes.

Keys are keyed hashes chosen by the caller (an HMAC of the sender, and one global
constant key), never raw addresses.  ``limit`` is the number of wrong attempts
allowed per window: once ``limit`` hits are counted in the current window the key is
blocked until the window ends.  ``hit`` returns whether the key is blocked after
this hit, i.e. ``is_blocked`` as it would answer now.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from sqlalchemy import Connection

from storage.fastsql import Statement
from storage.lookups import in_list
from storage.tables import Throttle

_t = Throttle.__table__  # type: ignore[attr-defined]

# Every code attempt reads and counts (issue 11): plain SQL both SQLite and PostgreSQL accept,
# built once, so a wrong code costs no statement construction (storage/fastsql.py says why).
_HIT = Statement(
    "INSERT INTO throttle (key, window_start, count) VALUES (:key, :now, 1) ON CONFLICT (key) DO UPDATE SET"
    " count = CASE WHEN throttle.window_start <= :cutoff THEN 1 ELSE throttle.count + 1 END,"
    " window_start = CASE WHEN throttle.window_start <= :cutoff THEN :now ELSE throttle.window_start END"
    " RETURNING count"
)
_READ = Statement("SELECT window_start, count FROM throttle WHERE key = :key")


class ThrottleError(Exception):
    """Base class for the errors of this module."""


class BadThrottleArgumentsError(ThrottleError):
    """limit and window must be positive."""


def _validate(limit: int, window_seconds: float) -> None:
    if limit < 1 or window_seconds <= 0:
        raise BadThrottleArgumentsError("a throttle needs limit >= 1 and a positive window")


def hit(conn: Connection, *, key: bytes, limit: int, window_seconds: float, now: float) -> bool:
    """Count one wrong attempt; True if the key is now blocked (limit reached)."""
    _validate(limit, window_seconds)
    return count(conn, key=key, window_seconds=window_seconds, now=now) >= limit


def count(conn: Connection, *, key: bytes, window_seconds: float, now: float) -> int:
    """Count one hit in the window running (a new window once the last one ended); the count so far."""
    return int(_HIT.run(conn, {"key": key, "now": now, "cutoff": now - window_seconds}).fetchone()[0])


def is_blocked(conn: Connection, *, key: bytes, limit: int, window_seconds: float, now: float) -> bool:
    """True if ``limit`` wrong attempts were counted in the window still running."""
    _validate(limit, window_seconds)
    row = _READ.first(conn, {"key": key})
    if row is None:
        return False
    window_start, count = float(row[0]), int(row[1])  # (Row.count is the tuple method)
    return window_start > now - window_seconds and count >= limit


def failures(conn: Connection, *, key: bytes, window_seconds: float, now: float) -> int:
    """Wrong attempts counted for ``key`` in the window still running (0 when none)."""
    row = _READ.first(conn, {"key": key})
    if row is None or float(row[0]) <= now - window_seconds:
        return 0
    return int(row[1])


@lru_cache(maxsize=32)
def _read_keys(n: int) -> Statement:
    """Built once per number of open epochs: every code attempt reads its sender's counts."""
    return Statement(f"SELECT window_start, count FROM throttle WHERE key IN ({in_list(n, 'k')})")


def failures_of(conn: Connection, *, keys: Sequence[bytes], window_seconds: float, now: float) -> int:
    """Wrong attempts counted under any of ``keys`` (one sender's keys of several epochs) in their windows."""
    rows = _read_keys(len(keys)).run(conn, {f"k{i}": key for i, key in enumerate(keys)}).fetchall()
    return sum(int(r[1]) for r in rows if float(r[0]) > now - window_seconds)


def prune(conn: Connection, *, now: float, window_seconds: float) -> int:
    """Delete counters whose window ended; returns how many."""
    result = conn.execute(_t.delete().where(_t.c.window_start <= now - window_seconds))
    return int(result.rowcount or 0)
