"""Append-only, tamper-evident audit log.

Each entry carries ``mac = HMAC(secrets.subkey(Purpose.AUDIT), prev_mac || canonical(entry))``
(the first entry chains from 32 zero bytes).  The key is not in the database, so a
database writer cannot forge entries: an edited entry breaks its own MAC, a deleted
entry leaves a gap in ``seq`` (or, renumbered, breaks the chain), and truncation of
the newest entries is caught against a head (``"seq:mac_hex"``) the operator exports
and keeps outside the database.

Actors and subjects are opaque ids (staff username, queue name, tip id), never codes,
addresses or message text.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from hashlib import sha256

from sqlalchemy import Connection, func, select, text

from storage.crypto import ServerSecrets
from storage.tables import AuditEntry
from storage.purposes import Purpose

_audit_t = AuditEntry.__table__  # type: ignore[attr-defined]
_GENESIS = bytes(32)
_PG_LOCK_ID = 0x7469706C  # "tipl": advisory lock serialising appends on PostgreSQL


class AuditError(Exception):
    """Base class for the errors of this module."""


class AuditTamperedError(AuditError):
    """The audit log does not verify: an entry was edited, deleted or truncated."""


class BadHeadError(AuditError):
    """An exported head is not of the form ``seq:mac_hex``."""


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    last_seq: int
    failed_seq: int | None = None
    problem: str | None = None  # "edited" | "missing" | "truncated" | "head-mismatch"
    detail: str = ""

    def raise_for_problem(self) -> None:
        if not self.ok:
            raise AuditTamperedError(self.detail)


def _field(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


def canonical(seq: int, at: float, actor: str, action: str, subject: str) -> bytes:
    """Unambiguous encoding of one entry: fixed-width numbers, length-prefixed strings."""
    return (
        b"tipline-audit-v1"
        + struct.pack(">q", seq)
        + struct.pack(">d", float(at))
        + _field(actor)
        + _field(action)
        + _field(subject)
    )


def _mac(key: bytes, prev: bytes, seq: int, at: float, actor: str, action: str, subject: str) -> bytes:
    return hmac.new(key, prev + canonical(seq, at, actor, action, subject), sha256).digest()


def append(conn: Connection, *, secrets: ServerSecrets, actor: str, action: str, subject: str = "", now: float) -> int:
    """Append one entry; returns its seq."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
    last = conn.execute(select(_audit_t.c.seq, _audit_t.c.mac).order_by(_audit_t.c.seq.desc()).limit(1)).first()
    seq, prev = (1, _GENESIS) if last is None else (int(last.seq) + 1, bytes(last.mac))
    mac = _mac(secrets.subkey(Purpose.AUDIT), prev, seq, now, actor, action, subject)
    conn.execute(_audit_t.insert().values(seq=seq, at=now, actor=actor, action=action, subject=subject, mac=mac))
    return seq


def head(conn: Connection, *, secrets: ServerSecrets) -> str:
    """The exportable head ``"seq:mac_hex"`` (``"0:"`` for an empty log).

    The newest entry is checked against its predecessor first, so a forged newest
    entry is not exported as a trusted head (AuditTamperedError)."""
    rows = list(conn.execute(select(_audit_t).order_by(_audit_t.c.seq.desc()).limit(2)))
    if not rows:
        return "0:"
    last = rows[0]
    prev = bytes(rows[1].mac) if len(rows) > 1 and rows[1].seq == last.seq - 1 else None
    if prev is None and last.seq == 1:
        prev = _GENESIS
    key = secrets.subkey(Purpose.AUDIT)
    expected = None if prev is None else _mac(key, prev, last.seq, last.at, last.actor, last.action, last.subject)
    if expected is None or not hmac.compare_digest(expected, bytes(last.mac)):
        raise AuditTamperedError(f"the newest audit entry (seq {last.seq}) does not verify")
    return f"{last.seq}:{bytes(last.mac).hex()}"


def _parse_head(value: str) -> tuple[int, bytes]:
    seq_text, sep, mac_hex = value.strip().partition(":")
    try:
        if not sep:
            raise ValueError
        return int(seq_text), bytes.fromhex(mac_hex)
    except ValueError:
        raise BadHeadError("an audit head looks like '123:<hex>'") from None


def verify(conn: Connection, *, secrets: ServerSecrets, head: str | None = None) -> AuditReport:
    """Recompute the whole chain; with ``head``, also check nothing after it was cut."""
    key = secrets.subkey(Purpose.AUDIT)
    expected_head = _parse_head(head) if head else None
    prev = _GENESIS
    expected_seq = 1
    count = 0
    last_seq = 0
    head_mac_seen: bytes | None = None
    for row in conn.execute(select(_audit_t).order_by(_audit_t.c.seq)):
        if row.seq != expected_seq:
            return AuditReport(
                False, count, last_seq, expected_seq, "missing",
                f"audit entry {expected_seq} is missing (next entry is {row.seq})",
            )
        mac = bytes(row.mac)
        if not hmac.compare_digest(_mac(key, prev, row.seq, row.at, row.actor, row.action, row.subject), mac):
            return AuditReport(
                False, count, last_seq, row.seq, "edited",
                f"audit entry {row.seq} does not match its MAC (edited, or the chain before it was altered)",
            )
        if expected_head is not None and row.seq == expected_head[0]:
            head_mac_seen = mac
        prev = mac
        count += 1
        last_seq = row.seq
        expected_seq += 1
    if expected_head is not None and expected_head[0] > 0:
        head_seq, head_mac = expected_head
        if last_seq < head_seq:
            return AuditReport(
                False, count, last_seq, last_seq + 1, "truncated",
                f"the log ends at entry {last_seq} but the exported head is entry {head_seq}",
            )
        if head_mac_seen is None or not hmac.compare_digest(head_mac_seen, head_mac):
            return AuditReport(
                False, count, last_seq, head_seq, "head-mismatch",
                f"audit entry {head_seq} differs from the exported head",
            )
    return AuditReport(True, count, last_seq)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_audit_t)).scalar() or 0)


@dataclass(frozen=True)
class Entry:
    """One audit line: when, who (a username or "cli"), what, on what (a tip id, a queue...)."""

    seq: int
    at: float
    actor: str
    action: str
    subject: str


def entries(conn: Connection, *, actor: str | None = None, action: str | None = None, subject: str | None = None,
            since: float | None = None, limit: int = 200) -> list[Entry]:
    """The newest ``limit`` entries matching every filter given, oldest first."""
    stmt = select(_audit_t.c.seq, _audit_t.c.at, _audit_t.c.actor, _audit_t.c.action, _audit_t.c.subject)
    for column, value in ((_audit_t.c.actor, actor), (_audit_t.c.action, action), (_audit_t.c.subject, subject)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(_audit_t.c.at >= since)
    rows = conn.execute(stmt.order_by(_audit_t.c.seq.desc()).limit(limit)).all()
    return [Entry(int(r.seq), float(r.at), str(r.actor), str(r.action), str(r.subject)) for r in reversed(rows)]
