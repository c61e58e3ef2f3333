"""Tables the channels (webhooks/) add to the schema (revision 0002)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ChannelWindow(SQLModel, table=True):
    """When a reporter last wrote on a channel with a reply window (WhatsApp: 24 hours).

    Only an opaque conversation id and a time; rows older than the window carry no
    information the sender needs and are purged by it.
    """

    __tablename__ = "channel_window"
    # On SQLite keyed by the (random) conversation id itself, not a rowid and an index on the
    # id: a reporter's first message on the channel writes one B-tree fewer (revision 0012).
    __table_args__ = {"sqlite_with_rowid": False}
    conversation_id: str = Field(primary_key=True, max_length=32)
    last_inbound_at: float = Field(index=True)
