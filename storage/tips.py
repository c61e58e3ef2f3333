"""Tip metadata rows (what triage needs to queue a tip), and on-call alerts.

The content of a tip is never here: it lives only in sealed envelopes
(``storage.sealing``).  Metadata is priority, categories, queues, status and times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Sequence

from sqlalchemy import Connection, func, select, update

from storage.fastsql import Statement
from storage.tables import Alert, Tip

_T = Tip.__table__  # type: ignore[attr-defined]
_A = Alert.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TipMeta:
    id: str
    status: str
    reason: str
    priority: str
    categories: tuple[str, ...]
    rules_version: str
    queues: tuple[str, ...]
    version: int
    created_at: float
    updated_at: float
    has_code: bool


_COLUMNS = (
    _T.c.id, _T.c.status, _T.c.reason, _T.c.priority, _T.c.categories, _T.c.rules_version,
    _T.c.queues, _T.c.version, _T.c.created_at, _T.c.updated_at, _T.c.ref_hash,
)


# The same columns for the statements every completion and code attempt runs (storage/fastsql.py).
_COLUMN_SQL = ", ".join(c.name for c in _COLUMNS)
_GET = Statement(f"SELECT {_COLUMN_SQL} FROM tip WHERE id = :id")
_BY_CODE_HASH = Statement(f"SELECT {_COLUMN_SQL} FROM tip WHERE ref_hash = :ref_hash")


def _meta(row: Sequence[Any]) -> TipMeta:
    """A row of the columns above, in their order (a Row or the driver's tuple)."""
    (tip_id, status, reason, priority, categories, rules_version, queues, version, created_at, updated_at,
     ref_hash) = row
    return TipMeta(
        id=tip_id, status=status, reason=reason, priority=priority,
        categories=tuple(c for c in categories.split(",") if c), rules_version=rules_version,
        queues=tuple(q for q in queues.split(",") if q), version=version, created_at=created_at,
        updated_at=updated_at, has_code=ref_hash is not None,
    )


class TipStatus(StrEnum):
    """Where a tip's interview stood when it was last sealed (shown to staff, plaintext metadata)."""

    OPEN = "open"  # sealed mid-interview (danger, a minor), the interview still running
    INCOMPLETE = "incomplete"  # DONE, EXIT, expiry or an unsafe self-report
    COMPLETE = "complete"  # the reporter reached the close


def new_tip_id() -> str:
    """An id for a tip not yet written (sealing can then happen before the write transaction)."""
    return uuid.uuid4().hex


def create_tip(conn: Connection, *, now: float, tip_id: str | None = None) -> str:
    tip_id = tip_id or new_tip_id()
    conn.execute(_T.insert().values(id=tip_id, status=TipStatus.OPEN, created_at=now, updated_at=now, version=0))
    return tip_id


# A completed interview's new tip, written whole in one statement (issue 11: no insert-then-update).
_INSERT_SEALED = Statement(
    "INSERT INTO tip (id, ref_hash, status, reason, priority, categories, rules_version, queues, version,"
    " created_at, updated_at, mac) VALUES (:id, :ref_hash, :status, :reason, :priority, :categories,"
    " :rules_version, :queues, :version, :now, :now, :mac)"
)


@dataclass(frozen=True)
class NewTipRow:
    """A new tip's metadata as stored (``queues`` and ``categories`` joined by commas)."""

    tip_id: str
    version: int
    status: str
    reason: str
    priority: str
    categories: str
    rules_version: str
    queues: str
    ref_hash: bytes | None


def insert_sealed(conn: Connection, row: NewTipRow, *, now: float, mac: bytes) -> None:
    """Write a new tip with its first sealed version's metadata and its MAC."""
    _INSERT_SEALED.run(conn, {
        "id": row.tip_id, "ref_hash": row.ref_hash, "status": row.status, "reason": row.reason,
        "priority": row.priority, "categories": row.categories, "rules_version": row.rules_version,
        "queues": row.queues, "version": row.version, "now": now, "mac": mac,
    })


def get_tip(conn: Connection, tip_id: str, *, for_update: bool = False) -> TipMeta | None:
    if for_update and conn.dialect.name == "postgresql":
        locked = conn.execute(select(*_COLUMNS).where(_T.c.id == tip_id).with_for_update()).first()
        return _meta(locked) if locked is not None else None
    row = _GET.first(conn, {"id": tip_id})
    return _meta(row) if row is not None else None


def find_by_code_hash(conn: Connection, code_hash: bytes) -> TipMeta | None:
    row = _BY_CODE_HASH.first(conn, {"ref_hash": code_hash})
    return _meta(row) if row is not None else None


def record_seal(
    conn: Connection,
    *,
    tip_id: str,
    version: int,
    status: str,
    reason: str,
    priority: str,
    categories: Sequence[str],
    rules_version: str,
    queues: Sequence[str],
    now: float,
    code_hash: bytes | None = None,
    expect_version: int | None = None,
) -> bool:
    """Record a sealed version's metadata; with ``expect_version``, only if the tip is still at
    that version (a version sealed before the write lock).  Returns whether the row was updated."""
    values: dict[str, object] = dict(
        version=version, status=status, reason=reason, priority=priority,
        categories=",".join(categories), rules_version=rules_version, queues=",".join(queues),
        updated_at=now,
    )
    if code_hash is not None:
        values["ref_hash"] = code_hash
    query = update(_T).where(_T.c.id == tip_id)
    if expect_version is not None:
        query = query.where(_T.c.version == expect_version)
    return bool(conn.execute(query.values(**values)).rowcount)


def count_tips(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_T)).scalar_one())


def list_tips(conn: Connection, *, limit: int = 1000) -> list[TipMeta]:
    order = (_T.c.priority, _T.c.created_at)
    return [_meta(row) for row in conn.execute(select(*_COLUMNS).order_by(*order).limit(limit))]


def raise_alert(conn: Connection, *, tip_id: str, priority: str, reason: str, now: float) -> bool:
    """The on-call alert, in the same transaction as the urgent tip it is about.

    One open alert per tip (INTAKE decision 12): while one is open, danger coming back
    counts a repeat on it instead of paging again.  Returns True when a new alert was raised.
    """
    counted = conn.execute(
        update(_A).where(_A.c.tip_id == tip_id, _A.c.acknowledged_at.is_(None))
        .values(repeats=_A.c.repeats + 1).returning(_A.c.id)
    ).first()
    if counted is not None:
        return False
    conn.execute(_A.insert().values(tip_id=tip_id, priority=priority, reason=reason, created_at=now, repeats=0))
    return True


def acknowledge_alert(conn: Connection, *, alert_id: int, now: float) -> bool:
    """Mark an alert seen; False if there is no such open alert."""
    row = conn.execute(
        update(_A).where(_A.c.id == alert_id, _A.c.acknowledged_at.is_(None)).values(acknowledged_at=now)
        .returning(_A.c.id)
    ).first()
    return row is not None


@dataclass(frozen=True)
class OpenAlert:
    id: int
    tip_id: str
    priority: str
    reason: str
    created_at: float
    repeats: int  # how often danger came back while the alert was open


def open_alert_list(conn: Connection) -> list[OpenAlert]:
    """Open alerts, oldest first, with their repeat counts."""
    query = select(_A.c.id, _A.c.tip_id, _A.c.priority, _A.c.reason, _A.c.created_at, _A.c.repeats).where(
        _A.c.acknowledged_at.is_(None)
    ).order_by(_A.c.id)
    return [OpenAlert(r.id, r.tip_id, r.priority, r.reason, r.created_at, int(r.repeats or 0))
            for r in conn.execute(query)]


def open_alerts(conn: Connection) -> list[tuple[int, str, str, str, float]]:
    query = select(_A.c.id, _A.c.tip_id, _A.c.priority, _A.c.reason, _A.c.created_at).where(
        _A.c.acknowledged_at.is_(None)
    ).order_by(_A.c.id)
    return [(row.id, row.tip_id, row.priority, row.reason, row.created_at) for row in conn.execute(query)]
