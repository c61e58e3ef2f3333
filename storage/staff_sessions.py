"""Console sessions whose unwrapped keys neither the database nor the cookie opens alone.

A login makes a random session id and a random 32-byte key.  The cookie carries both; the
row keeps only SHA-256 of the id and the session's payload (the member's unwrapped private
key, written by the console) encrypted under the key.  A copy of the database therefore
holds nothing that opens a tip, and a cookie whose row was deleted (logout, expiry) opens
nothing either.  Any process can serve any request: the state is in the row.

Errors never carry the cookie, the key or the payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select, update

from storage.crypto import Box, DecryptionFailed
from storage.staff_tables import StaffSession

_S = StaffSession.__table__  # type: ignore[attr-defined]
_TOUCH_EVERY = 15.0  # seconds: enough precision for idle expiry without a write per request


class SessionError(Exception):
    """Base class for the errors of this module."""


class NoSessionError(SessionError):
    """No usable session for this cookie: malformed, unknown, expired, or its key does not open it."""


@dataclass(frozen=True)
class OpenedSession:
    """A session whose payload was opened with its cookie's key."""

    staff_id: str
    stage: str
    locale: str
    created_at: float
    last_seen_at: float
    payload: bytes = field(repr=False)
    id_hash: bytes = field(repr=False)
    _key: bytes = field(repr=False)

    @property
    def csrf_token(self) -> str:
        """The token forms carry: derived from the cookie's key, so only this browser can know it."""
        return hmac.new(self._key, b"tipline-console-csrf", hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(cookie: str) -> tuple[bytes, bytes]:
    sid, _, key_text = cookie.partition(".")
    try:
        sid_raw, key = _unb64(sid), _unb64(key_text)
    except (binascii.Error, ValueError):
        raise NoSessionError("a malformed session cookie") from None
    if len(sid_raw) != 32 or len(key) != 32:
        raise NoSessionError("a malformed session cookie")
    return hashlib.sha256(sid_raw).digest(), key


def _aad(id_hash: bytes, staff_id: str) -> bytes:
    return b"tipline-session:" + id_hash + b":" + staff_id.encode()


def create(
    conn: Connection, *, staff_id: str, payload: bytes, stage: str, locale: str, now: float, lifetime: float
) -> str:
    """Store a new session; returns the cookie value (``id.key``), which nothing else keeps."""
    sid, key = secrets.token_bytes(32), secrets.token_bytes(32)
    id_hash = hashlib.sha256(sid).digest()
    sealed = Box(key).encrypt(payload, aad=_aad(id_hash, staff_id))
    conn.execute(_S.insert().values(
        id_hash=id_hash, staff_id=staff_id, sealed=sealed, stage=stage, locale=locale,
        created_at=now, last_seen_at=now, expires_at=now + lifetime,
    ))
    return f"{_b64(sid)}.{_b64(key)}"


def open_session(conn: Connection, *, cookie: str, now: float, idle_seconds: float) -> OpenedSession:
    """The session of ``cookie``, its idle timer renewed; an expired one is deleted (NoSessionError)."""
    id_hash, key = _parse(cookie)
    row = conn.execute(select(_S).where(_S.c.id_hash == id_hash)).first()
    if row is None:
        raise NoSessionError("no such session")
    if row.expires_at <= now or row.last_seen_at + idle_seconds <= now:
        conn.execute(delete(_S).where(_S.c.id_hash == id_hash))
        raise NoSessionError("the session expired")
    try:
        payload = Box(key).decrypt(row.sealed, aad=_aad(id_hash, row.staff_id))
    except DecryptionFailed:
        raise NoSessionError("the cookie's key does not open this session") from None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        conn.execute(update(_S).where(_S.c.id_hash == id_hash).values(last_seen_at=now))
    return OpenedSession(staff_id=row.staff_id, stage=row.stage, locale=row.locale, created_at=row.created_at,
                         last_seen_at=now, payload=payload, id_hash=id_hash, _key=key)


def reseal(conn: Connection, session: OpenedSession, *, payload: bytes, stage: str | None = None,
           locale: str | None = None) -> None:
    """Replace the session's payload (and stage or locale) under the same cookie key."""
    values: dict[str, object] = {"sealed": Box(session._key).encrypt(payload, aad=_aad(session.id_hash,
                                                                                          session.staff_id))}
    if stage is not None:
        values["stage"] = stage
    if locale is not None:
        values["locale"] = locale
    conn.execute(update(_S).where(_S.c.id_hash == session.id_hash).values(**values))


def end(conn: Connection, session: OpenedSession) -> None:
    """Log this session out: its row (and with it the only copy of its sealed keys) is deleted."""
    conn.execute(delete(_S).where(_S.c.id_hash == session.id_hash))


def end_all(conn: Connection, *, staff_id: str) -> int:
    """Log a member out everywhere; returns how many sessions ended."""
    return int(conn.execute(delete(_S).where(_S.c.staff_id == staff_id)).rowcount or 0)


def count_for(conn: Connection, *, staff_id: str) -> int:
    return len(list(conn.execute(select(_S.c.id_hash).where(_S.c.staff_id == staff_id))))


def prune(conn: Connection, *, now: float, idle_seconds: float) -> int:
    """Delete sessions past their absolute or idle limit; returns how many."""
    stale = (_S.c.expires_at <= now) | (_S.c.last_seen_at <= now - idle_seconds)
    return int(conn.execute(delete(_S).where(stale)).rowcount or 0)
