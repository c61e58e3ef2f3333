"""A MAC over each tip's plaintext metadata, so a database writer cannot quietly change it.

``tip.mac`` is one encoding-version byte and ``HMAC-SHA256(subkey(Purpose.TIP_METADATA),
canonical(facts))``.  The facts are read back from the database (never taken from the
caller), so what is authenticated is exactly what is stored: the tip's id, version,
queues, priority, categories, status, reason, rules version, creation time, a hash of
its reference-code hash, the number of alerts raised for it, and (version, queue, key
id, SHA-256 of the sealed bytes) of every envelope of every version.  Swapping envelopes,
turning P1 into P4, deleting an alert or an envelope, or nulling the MAC all fail.

Whoever writes a covered field calls ``refresh`` in the same transaction.  To cover a
new field (a case status, a referral): add it to ``_gather`` and add an encoding version
to ``FIELDS`` with it; ``tipline init`` re-MACs the tips whose older MAC still verifies
(``upgrade_encoding``), so tampered tips are never laundered.

A tip without a MAC is "not yet authenticated" only until ``tipline init`` has sealed the
tips of an install (an audit-log entry, ``SEAL_ACTION``, records that it did); from then
on a missing MAC is tampering.
"""

from __future__ import annotations

import functools
import hmac
import struct
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256
from typing import Any, Iterable, Iterator, Sequence, Union

from sqlalchemy import Connection, func, select, union, update

from storage import audit
from storage.crypto import ServerSecrets
from storage.purposes import Purpose
from storage.case_tables import TipCase, TipLink, TipReferral
from storage.tables import Alert, AuditEntry, Tip, TipEnvelope
from storage.tips import NewTipRow

_T = Tip.__table__  # type: ignore[attr-defined]
_E = TipEnvelope.__table__  # type: ignore[attr-defined]
_A = Alert.__table__  # type: ignore[attr-defined]
_L = AuditEntry.__table__  # type: ignore[attr-defined]
_K = TipCase.__table__  # type: ignore[attr-defined]
_TL = TipLink.__table__  # type: ignore[attr-defined]
_R = TipReferral.__table__  # type: ignore[attr-defined]
_NO_CASE: Value = ("new", "", "", 0, "", 0.0)  # a tip without a case row is a new case

# The fields each encoding version covers, in order.  Append a version; never edit one.
FIELDS: dict[int, tuple[str, ...]] = {
    1: ("tip_id", "version", "queues", "priority", "categories", "status", "reason", "rules_version",
        "created_at", "code", "alerts", "envelopes"),
    # Casework (issue 12): the case status, its close reason, duplicate, legal hold and "no minor"
    # record, the links between tips and the referrals, which the queue and retention act on.
    2: ("tip_id", "version", "queues", "priority", "categories", "status", "reason", "rules_version",
        "created_at", "code", "alerts", "envelopes", "case", "links", "referrals"),
}
CURRENT = max(FIELDS)
SEAL_ACTION = "seal_metadata"  # audit action: this install's tips all carry a MAC from here on
_DOMAIN = b"tipline-tip-metadata"
_BATCH = 400  # tips per query (IN lists stay small on both backends)

Value = Union[str, int, float, bytes, tuple["Value", ...]]


class MacStatus(StrEnum):
    OK = "ok"
    TAMPERED = "tampered"  # the MAC does not match the stored metadata, or it was removed
    UNAUTHENTICATED = "unauthenticated"  # written before MACs existed; 'tipline init' seals it


_U32, _I64, _F64 = struct.Struct(">I").pack, struct.Struct(">q").pack, struct.Struct(">d").pack


def _encode(value: Value) -> bytes:
    """Typed, length-prefixed: no two different values share an encoding."""
    # The exact types every MAC is made of first (issue 11: one MAC per sealed tip version);
    # a subclass (a StrEnum, a bool) goes through ``_encode_any``, which says what it is.
    kind = type(value)
    if kind is str:
        raw = value.encode("utf-8")  # type: ignore[union-attr]
        return b"s" + _U32(len(raw)) + raw
    if kind is int:
        return b"i" + _I64(value)
    if kind is bytes:
        return b"b" + _U32(len(value)) + value  # type: ignore[arg-type, operator]
    if kind is float:
        return b"f" + _F64(value)
    if kind is tuple:
        return b"l" + _U32(len(value)) + b"".join([_encode(v) for v in value])  # type: ignore[arg-type, union-attr]
    return _encode_any(value)


def _encode_any(value: Value) -> bytes:
    if isinstance(value, bool):
        raise TypeError("encode a count or a string, not a bool")
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return b"s" + struct.pack(">I", len(raw)) + raw
    if isinstance(value, bytes):
        return b"b" + struct.pack(">I", len(value)) + value
    if isinstance(value, int):
        return b"i" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"f" + struct.pack(">d", value)
    return b"l" + struct.pack(">I", len(value)) + b"".join(_encode(v) for v in value)


@functools.lru_cache(maxsize=16)
def _named(names: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    """An encoding version's field names, each with its encoding (worked out once)."""
    return tuple((name, _encode(name)) for name in names)


def canonical(facts: dict[str, Value], *, encoding: int | None = None) -> bytes:
    """The MAC's input: the domain, the encoding version, then each covered field named."""
    encoding = CURRENT if encoding is None else encoding
    out = [_DOMAIN, struct.pack(">H", encoding)]
    for name, encoded in _named(FIELDS[encoding]):
        out.append(encoded + _encode(facts[name]))
    return b"".join(out)


def compute(secrets: ServerSecrets, facts: dict[str, Value], *, encoding: int | None = None) -> bytes:
    encoding = CURRENT if encoding is None else encoding
    digest = secrets.mac(Purpose.TIP_METADATA, canonical(facts, encoding=encoding))
    return bytes([encoding]) + digest


def _matches(secrets: ServerSecrets, facts: dict[str, Value], stored: bytes) -> bool:
    encoding = stored[0] if stored else -1
    if encoding not in FIELDS:
        return False
    return hmac.compare_digest(compute(secrets, facts, encoding=encoding), stored)


@dataclass(frozen=True)
class _Row:
    facts: dict[str, Value]
    mac: bytes | None


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _BATCH):
        yield list(ids[start:start + _BATCH])


def _gather(conn: Connection, tip_ids: Sequence[str]) -> dict[str, _Row]:
    """The covered facts of these tips as stored now (absent ids are left out)."""
    envelopes: dict[str, list[tuple[int, str, str, bytes]]] = {}
    for r in conn.execute(select(_E.c.tip_id, _E.c.version, _E.c.queue, _E.c.key_id, _E.c.envelope)
                          .where(_E.c.tip_id.in_(tip_ids))):
        envelopes.setdefault(r.tip_id, []).append(
            (int(r.version), r.queue, r.key_id, sha256(bytes(r.envelope)).digest()))
    alerts = {r.tip_id: int(r.n) for r in conn.execute(
        select(_A.c.tip_id, func.count().label("n")).where(_A.c.tip_id.in_(tip_ids)).group_by(_A.c.tip_id))}
    casework = _casework(conn, tip_ids)
    rows = {}
    for r in conn.execute(select(_T).where(_T.c.id.in_(tip_ids))):
        facts: dict[str, Value] = {
            "tip_id": r.id, "version": int(r.version), "queues": r.queues, "priority": r.priority,
            "categories": r.categories, "status": r.status, "reason": r.reason,
            "rules_version": r.rules_version, "created_at": float(r.created_at),
            "code": sha256(bytes(r.ref_hash)).digest() if r.ref_hash is not None else b"",
            "alerts": alerts.get(r.id, 0), "envelopes": tuple(sorted(envelopes.get(r.id, []))),
            "case": casework["case"].get(r.id, _NO_CASE), "links": tuple(sorted(casework["links"].get(r.id, []))),
            "referrals": tuple(sorted(casework["referrals"].get(r.id, []))),
        }
        rows[r.id] = _Row(facts, bytes(r.mac) if r.mac is not None else None)
    return rows


def _casework(conn: Connection, tip_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The covered casework facts of these tips: case row, linked tips, referrals."""
    found: dict[str, dict[str, Any]] = {"case": {}, "links": {}, "referrals": {}}
    for r in conn.execute(select(_K).where(_K.c.tip_id.in_(tip_ids))):
        found["case"][r.tip_id] = (r.status, r.close_reason or "", r.duplicate_of or "", int(bool(r.legal_hold)),
                                   r.no_minor_by or "", float(r.no_minor_at or 0.0))
    for r in conn.execute(select(_TL.c.tip_a, _TL.c.tip_b).where(_TL.c.tip_a.in_(tip_ids) | _TL.c.tip_b.in_(tip_ids))):
        found["links"].setdefault(r.tip_a, []).append(r.tip_b)
        found["links"].setdefault(r.tip_b, []).append(r.tip_a)
    for r in conn.execute(select(_R).where(_R.c.tip_id.in_(tip_ids))):
        found["referrals"].setdefault(r.tip_id, []).append((r.to_queue, r.versions, r.override or "", r.staff_id))
    return found


def refresh(conn: Connection, *, secrets: ServerSecrets, tip_id: str) -> None:
    """Recompute and store a tip's MAC from what is stored: call it last, in the transaction
    that wrote a covered field (the tip row, its envelopes, its alerts, its casework)."""
    row = _gather(conn, [tip_id]).get(tip_id)
    if row is not None:
        conn.execute(update(_T).where(_T.c.id == tip_id).values(mac=compute(secrets, row.facts)))


def for_new_tip(
    secrets: ServerSecrets, row: NewTipRow, *, created_at: float, alerts: int,
    envelopes: Iterable[tuple[int, str, str, bytes]],
) -> bytes:
    """The MAC of a tip this transaction creates, from the values it writes (issue 11): a new
    tip's id is fresh, so no other transaction wrote an envelope, alert or case row for it,
    and what ``refresh`` would read back is exactly these values (tests compare the two).
    ``envelopes`` are (version, queue, key id, sealed bytes)."""
    facts: dict[str, Value] = {
        "tip_id": row.tip_id, "version": row.version, "queues": row.queues, "priority": row.priority,
        "categories": row.categories, "status": row.status, "reason": row.reason,
        "rules_version": row.rules_version, "created_at": float(created_at),
        "code": sha256(row.ref_hash).digest() if row.ref_hash is not None else b"", "alerts": alerts,
        "envelopes": tuple(sorted((v, q, k, sha256(sealed).digest()) for v, q, k, sealed in envelopes)),
        "case": _NO_CASE, "links": (), "referrals": (),
    }
    return compute(secrets, facts)


def is_sealed_install(conn: Connection) -> bool:
    """True once 'tipline init' has given every tip a MAC (recorded in the audit log)."""
    return conn.execute(select(_L.c.seq).where(_L.c.action == SEAL_ACTION).limit(1)).first() is not None


def check_many(conn: Connection, *, secrets: ServerSecrets, tip_ids: Sequence[str]) -> dict[str, MacStatus]:
    """Each tip's status; never raises for a bad MAC (a missing tip is left out)."""
    sealed = is_sealed_install(conn)
    result: dict[str, MacStatus] = {}
    for chunk in _chunks(list(dict.fromkeys(tip_ids))):
        for tip_id, row in _gather(conn, chunk).items():
            result[tip_id] = _status(secrets, row, sealed)
    return result


def _status(secrets: ServerSecrets, row: _Row, sealed: bool) -> MacStatus:
    if row.mac is None:
        return MacStatus.TAMPERED if sealed else MacStatus.UNAUTHENTICATED
    return MacStatus.OK if _matches(secrets, row.facts, row.mac) else MacStatus.TAMPERED


def check(conn: Connection, *, secrets: ServerSecrets, tip_id: str) -> MacStatus:
    return check_many(conn, secrets=secrets, tip_ids=[tip_id]).get(tip_id, MacStatus.TAMPERED)


def _all_ids(conn: Connection) -> list[str]:
    return [r.id for r in conn.execute(select(_T.c.id).order_by(_T.c.created_at, _T.c.id))]


def failing(conn: Connection, *, secrets: ServerSecrets) -> dict[str, MacStatus]:
    """Every tip whose metadata does not verify, oldest first (for 'tipline audit verify')."""
    statuses = check_many(conn, secrets=secrets, tip_ids=_all_ids(conn))
    return {tip_id: status for tip_id, status in statuses.items() if status is not MacStatus.OK}


def seal_install(conn: Connection, *, secrets: ServerSecrets, now: float) -> int:
    """Once per install ('tipline init'): MAC the tips written before MACs existed, then record in
    the audit log that every tip has one.  Later runs change nothing (a MAC removed afterwards is
    tampering, never re-sealed).  Returns how many tips were sealed."""
    if is_sealed_install(conn):
        return 0
    missing = [r.id for r in conn.execute(select(_T.c.id).where(_T.c.mac.is_(None)))]
    for tip_id in missing:
        refresh(conn, secrets=secrets, tip_id=tip_id)
    audit.append(conn, secrets=secrets, actor="cli", action=SEAL_ACTION, subject=str(len(missing)), now=now)
    return len(missing)


def upgrade_encoding(conn: Connection, *, secrets: ServerSecrets, tip_ids: Iterable[str] | None = None) -> int:
    """Re-MAC under the current encoding the tips whose MAC verifies under an older one (after a
    field was added).  A tip that does not verify keeps its old MAC and stays flagged."""
    ids = list(tip_ids) if tip_ids is not None else _all_ids(conn)
    upgraded = 0
    for chunk in _chunks(ids):
        for tip_id, row in _gather(conn, chunk).items():
            if row.mac and row.mac[0] != CURRENT and _matches(secrets, row.facts, row.mac):
                conn.execute(update(_T).where(_T.c.id == tip_id).values(mac=compute(secrets, row.facts)))
                upgraded += 1
    return upgraded


# Audit actions whose subject is a tip id: a tip they name must still exist.
_TIP_ACTIONS = ("open_tip", "ask", "claim", "release")


def missing_tips(conn: Connection) -> list[str]:
    """Tip ids that envelopes, alerts or the audit log name but whose tip row is gone: a tip
    deleted with its row (its MAC goes with it) is found only this way."""
    named = union(
        select(_E.c.tip_id.label("tip_id")), select(_A.c.tip_id.label("tip_id")),
        select(_L.c.subject.label("tip_id")).where(_L.c.action.in_(_TIP_ACTIONS)),
    ).subquery()
    rows = conn.execute(select(named.c.tip_id).where(named.c.tip_id.not_in(select(_T.c.id))).order_by(named.c.tip_id))
    return [r.tip_id for r in rows]
