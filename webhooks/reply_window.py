"""WhatsApp's 24-hour rule, in one place.

A business may answer a WhatsApp user freely for 24 hours after the user's last
message; outside that window only approved templates go.  So an inbound WhatsApp
message opens the window (and releases replies held for it), and a reply whose
window is closed is held, without counting an attempt, until the reporter writes
again.  ``storage.reply_windows`` keeps the times.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from bot.types import WHATSAPP
from storage import outbox, reply_windows

WINDOWED = frozenset({WHATSAPP})
HOLD_RECHECK = 3600.0  # a held reply is looked at again (or released at once when the reporter writes)


def inbound(conn: Connection, *, channel: str, conversation_id: str, now: float) -> None:
    """The reporter wrote on ``channel``."""
    if channel in WINDOWED:
        reply_windows.open(conn, conversation_id=conversation_id, now=now)


def hold_if_closed(conn: Connection, *, channel: str, item_id: int, conversation_id: str, now: float) -> bool:
    """True (and the item is held) if the channel's window for this conversation is closed."""
    if channel not in WINDOWED or reply_windows.is_open(conn, conversation_id=conversation_id, now=now):
        return False
    outbox.hold(conn, item_id=item_id, until=now + HOLD_RECHECK)
    return True


def purge(db: Engine, *, now: float) -> int:
    with db.begin() as conn:
        return reply_windows.purge(conn, now=now)
