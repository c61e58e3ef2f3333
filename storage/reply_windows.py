"""Reply windows: when a reporter last wrote on a channel whose provider limits replies to a window.

WhatsApp lets a business answer freely for 24 hours after the person's last message.
A row holds only an opaque conversation id and a time; rows older than the window
tell the sender nothing and are purged.  Which channels have a window is the
channels' business (``webhooks.reply_window``); this module only keeps the times.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from storage import outbox
from storage.channel_tables import ChannelWindow
from storage.fastsql import Statement

_T = ChannelWindow.__table__  # type: ignore[attr-defined]

WINDOW_SECONDS = 24 * 3600.0

# On the webhook hot path (each WhatsApp message): written once, SQL both databases accept.
_OPEN = Statement(
    "INSERT INTO channel_window (conversation_id, last_inbound_at) VALUES (:conversation_id, :now)"
    " ON CONFLICT (conversation_id) DO UPDATE SET last_inbound_at = excluded.last_inbound_at"
)


def open(conn: Connection, *, conversation_id: str, now: float) -> None:  # noqa: A001 - the window opens
    """The reporter wrote: the window is open from ``now``, and replies held for it are due."""
    _OPEN.run(conn, {"conversation_id": conversation_id, "now": now})
    outbox.release_held(conn, conversation_id=conversation_id, now=now)


def is_open(conn: Connection, *, conversation_id: str, now: float) -> bool:
    row = conn.execute(select(_T.c.last_inbound_at).where(_T.c.conversation_id == conversation_id)).first()
    return row is not None and row.last_inbound_at > now - WINDOW_SECONDS


def purge(conn: Connection, *, now: float) -> int:
    """Forget windows that have closed; returns how many."""
    return int(conn.execute(delete(_T).where(_T.c.last_inbound_at < now - WINDOW_SECONDS)).rowcount or 0)
