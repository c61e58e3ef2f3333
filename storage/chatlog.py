"""Telegram message ids of a conversation (sealed), kept only while they can still be deleted.

The Bot API deletes messages younger than 48 hours; older ids are useless and purged.  They
are sealed under the OUTBOX epoch keys, whose window (``storage.epochs.schedules``) covers
those 48 hours: an id whose epoch has died is past deleting anyway, and is skipped.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from storage.conversations import coarse_after
from storage.crypto import DecryptionFailed
from storage.epoch_blobs import Sealer
from storage.ratchet import EpochDestroyed
from storage.tables import ChatMessage

_T = ChatMessage.__table__  # type: ignore[attr-defined]

DELETABLE_SECONDS = 48 * 3600


def record(conn: Connection, *, box: Sealer, conversation_id: str, message_id: str, now: float) -> None:
    # Ten-minute times, as the conversation row keeps: an exact time beside a conversation id
    # would line the conversation up with the tip sealed at that moment.
    conn.execute(_T.insert().values(
        conversation_id=conversation_id, ref=box.encrypt(message_id.encode(), conversation_id.encode()),
        created_at=coarse_after(now),  # rounded up: no id leaves the deletion window early
    ))


def deletable(conn: Connection, *, box: Sealer, conversation_id: str, now: float) -> list[str]:
    """Message ids of the conversation still inside the deletion window, oldest first."""
    rows = conn.execute(
        select(_T.c.ref).where(_T.c.conversation_id == conversation_id, _T.c.created_at > now - DELETABLE_SECONDS)
        .order_by(_T.c.id)
    )
    found = []
    for row in rows:
        try:
            found.append(box.decrypt(row.ref, conversation_id.encode()).decode())
        except (EpochDestroyed, DecryptionFailed, UnicodeDecodeError):
            continue  # past its window (or altered): a message the Bot API could not delete anyway
    return found


def forget(conn: Connection, *, conversation_id: str) -> None:
    conn.execute(delete(_T).where(_T.c.conversation_id == conversation_id))


def purge(conn: Connection, *, now: float) -> int:
    return int(conn.execute(delete(_T).where(_T.c.created_at <= now - DELETABLE_SECONDS)).rowcount or 0)
