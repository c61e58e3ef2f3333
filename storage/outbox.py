"""The outbox: replies waiting to leave, at least once and in order per conversation.

Bodies are sealed under the OUTBOX epoch keys (``storage.epochs``: they die after their
window, with every old copy of the row) and destinations with the address's period key; a
row is deleted once delivered, so delivered text does not linger.  A reply that keeps
failing becomes ``dead`` (kept for the operator, ``tipline outbox list``); so does one whose
body's epoch died before it could go (a WhatsApp reply held past the window): reported as
"body expired", never read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Sequence

from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.orm import aliased

from storage.backoff import backoff
from storage.crypto import DecryptionFailed, ServerSecrets
from storage.epoch_blobs import Sealer, UpgradeBox
from storage.epochs import EpochKeys
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed
from storage.tables import Outbox

log = logging.getLogger(__name__)

_T = Outbox.__table__  # type: ignore[attr-defined]

MAX_ATTEMPTS = 8
BASE_DELAY = 2.0
MAX_DELAY = 600.0
BODY_EXPIRED = "body expired"  # its OUTBOX epoch died before it could go (README: "Backups")


class ItemStatus(StrEnum):
    """An outbox row's status (a delivered row is deleted, so it has none)."""

    PENDING = "pending"  # waiting for its turn, its lease or its retry time
    DEAD = "dead"  # given up: kept as metadata for the operator (``tipline outbox list``)


def box(keys: EpochKeys, secrets: ServerSecrets) -> UpgradeBox:
    """Bodies and the chat log: new ones under the OUTBOX epochs; pre-upgrade rows still read."""
    return UpgradeBox(keys.box(Purpose.OUTBOX), secrets.box(Purpose.OUTBOX))


@dataclass
class OutboxItem:
    id: int
    conversation_id: str
    seq: int
    channel: str
    attempts: int
    destination: bytes = field(repr=False)
    address_period: str | None = None
    body: dict[str, Any] = field(default_factory=dict, repr=False)


def enqueue(
    conn: Connection,
    *,
    box: Sealer,
    conversation_id: str,
    channel: str,
    destination: bytes,
    address_period: str | None,
    messages: Sequence[dict[str, Any]],
    now: float,
) -> list[int]:
    """Append messages after the conversation's last queued one; returns their ids."""
    last = conn.execute(
        select(func.max(_T.c.seq)).where(_T.c.conversation_id == conversation_id)
    ).scalar()
    seq = int(last or 0)
    ids = []
    for message in messages:
        seq += 1
        body = box.encrypt(json.dumps(message, separators=(",", ":")).encode(), f"{conversation_id}:{seq}".encode())
        result = conn.execute(
            _T.insert().values(
                conversation_id=conversation_id, seq=seq, channel=channel, destination=destination,
                address_period=address_period, body=body, status=ItemStatus.PENDING.value, attempts=0,
                next_attempt_at=now, created_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    return ids


def due(conn: Connection, *, box: Sealer, now: float, limit: int = 50) -> list[OutboxItem]:
    """The next deliverable message of each conversation (earlier ones block later ones).

    An item whose body no longer opens (its epoch died, or it was altered) is made dead here,
    with the reason as its error, and the conversation's next item follows in a later round.
    """
    earlier = aliased(_T)
    blocked = (
        select(earlier.c.id)
        .where(
            earlier.c.conversation_id == _T.c.conversation_id,
            earlier.c.seq < _T.c.seq,
            earlier.c.status == ItemStatus.PENDING.value,
        )
        .exists()
    )
    query = (
        select(_T)
        .where(and_(_T.c.status == ItemStatus.PENDING.value, _T.c.next_attempt_at <= now, ~blocked))
        .order_by(_T.c.next_attempt_at, _T.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    items = []
    for row in list(conn.execute(query)):
        body = _open_body(box, row.body, f"{row.conversation_id}:{row.seq}".encode())
        if isinstance(body, str):
            failed(conn, item_id=row.id, attempts=row.attempts, error=body, now=now, permanent=True)
            log.warning("outbox item dead", extra={"item": row.id, "channel": row.channel, "error": body})
            continue
        items.append(
            OutboxItem(
                id=row.id, conversation_id=row.conversation_id, seq=row.seq, channel=row.channel,
                attempts=row.attempts, destination=row.destination, address_period=row.address_period,
                body=body,
            )
        )
    return items


def _open_body(box: Sealer, blob: bytes, aad: bytes) -> dict[str, Any] | str:
    """The body, or why it cannot be read (the item's error)."""
    try:
        body = json.loads(box.decrypt(blob, aad))
    except EpochDestroyed:
        return BODY_EXPIRED
    except (DecryptionFailed, ValueError):
        return "body unreadable"
    return body if isinstance(body, dict) else "body unreadable"


def delivered(conn: Connection, *, item_id: int) -> None:
    """Delivered: the row (body and destination) is deleted."""
    conn.execute(delete(_T).where(_T.c.id == item_id))


def failed(
    conn: Connection, *, item_id: int, attempts: int, error: str, now: float,
    retry_after: float | None = None, permanent: bool = False,
) -> ItemStatus:
    """Record a failed attempt; returns the new status (pending or dead).

    A dead letter keeps only its metadata for the operator: its body (which may carry a
    reference code) and its destination are wiped, so it links no address to a tip.
    """
    attempts += 1
    status = ItemStatus.DEAD if permanent or attempts >= MAX_ATTEMPTS else ItemStatus.PENDING
    values: dict[str, Any] = dict(
        attempts=attempts, last_error=error[:64], status=status.value,
        next_attempt_at=now + backoff(attempts, base=BASE_DELAY, cap=MAX_DELAY, retry_after=retry_after),
    )
    if status is ItemStatus.DEAD:
        values.update(body=b"", destination=b"")
    conn.execute(update(_T).where(_T.c.id == item_id).values(**values))
    return status


def purge(conn: Connection, *, before: float) -> int:
    """Forget outbox rows created before ``before`` (the follow-up window): their address
    keys are destroyed by then, so they could never be delivered."""
    return int(conn.execute(delete(_T).where(_T.c.created_at < before)).rowcount or 0)


def pending_by_channel(conn: Connection) -> dict[str, int]:
    """How many replies wait to be sent, per channel (a worker without a channel's settings says so)."""
    query = select(_T.c.channel, func.count()).where(_T.c.status == ItemStatus.PENDING.value).group_by(_T.c.channel)
    return {str(channel): int(n) for channel, n in conn.execute(query)}


def cancel_conversation(conn: Connection, *, conversation_id: str) -> int:
    """Drop everything queued for a conversation (after a carrier opt-out)."""
    return int(conn.execute(delete(_T).where(_T.c.conversation_id == conversation_id)).rowcount or 0)


@dataclass(frozen=True)
class OutboxSummary:
    id: int
    conversation_id: str
    seq: int
    channel: str
    status: str
    attempts: int
    last_error: str | None
    created_at: float
    next_attempt_at: float


def list_items(conn: Connection, *, status: ItemStatus | str | None = None) -> list[OutboxSummary]:
    """Metadata only: never bodies or destinations."""
    query = select(
        _T.c.id, _T.c.conversation_id, _T.c.seq, _T.c.channel, _T.c.status, _T.c.attempts,
        _T.c.last_error, _T.c.created_at, _T.c.next_attempt_at,
    ).order_by(_T.c.id)
    if status:
        query = query.where(_T.c.status == ItemStatus(status).value)
    return [OutboxSummary(*row) for row in conn.execute(query)]


# -- used by the delivery loop (webhooks/sender.py) ----------------------------------

HOLD_NOTE = "held: reply window closed"


def lease(conn: Connection, *, item_ids: Sequence[int], until: float) -> None:
    """Take items for one delivery attempt: no other sender picks them again before ``until``
    (a sender that dies mid-send leaves them to be retried then: at least once)."""
    if item_ids:
        conn.execute(update(_T).where(_T.c.id.in_(list(item_ids))).values(next_attempt_at=until))


def release(conn: Connection, *, item_ids: Sequence[int], now: float) -> int:
    """Give leased items back unsent (a stopping sender): due again at once, no attempt counted."""
    if not item_ids:
        return 0
    result = conn.execute(update(_T).where(_T.c.id.in_(list(item_ids)), _T.c.status == ItemStatus.PENDING.value)
                          .values(next_attempt_at=now))
    return int(result.rowcount or 0)


def hold(conn: Connection, *, item_id: int, until: float, note: str = HOLD_NOTE) -> None:
    """Keep an item pending without counting an attempt (the channel's reply window is closed)."""
    conn.execute(update(_T).where(_T.c.id == item_id).values(next_attempt_at=until, last_error=note[:64]))


def release_held(conn: Connection, *, conversation_id: str, now: float) -> int:
    """Make a conversation's held items due now (the reporter wrote again)."""
    result = conn.execute(
        update(_T)
        .where(_T.c.conversation_id == conversation_id, _T.c.status == ItemStatus.PENDING.value,
               _T.c.last_error == HOLD_NOTE)
        .values(next_attempt_at=now, last_error=None)
    )
    return int(result.rowcount or 0)
