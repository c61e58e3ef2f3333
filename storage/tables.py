"""SQLModel tables.  Columns holding anything a reporter gave are ciphertext.

Times are seconds since the epoch (float): portable between SQLite and
PostgreSQL and cheap to compare on the hot path.  The hot path uses these
tables through SQLAlchemy Core (``Model.__table__``), not the ORM.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _blob(nullable: bool = False, unique: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(LargeBinary, nullable=nullable, unique=unique, index=index)


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    # HMAC of "channel:address" under the server lookup key; deleted with the row.
    lookup: bytes = Field(sa_column=_blob(unique=True), repr=False)
    channel: str = Field(max_length=16)
    state: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the server data key
    # Only expires_at is indexed: every message rewrites the timers and the status, and
    # each index on them is one more page written (and fsynced) per message.  The purge
    # job scans this small table (a week of conversations).  The optimistic save sets
    # expires_at and lookup only when they change (conversations.save_if_unchanged).
    status: str = Field(default="active", max_length=16)  # a conversations.RowStatus
    # The tip of an interview in progress (so expiry can seal into it).  Cleared when the
    # interview ends: from then on the link lives only in the state, sealed under a key
    # derived from the reporter's address, which the database does not hold.
    tip_id: str | None = Field(default=None, max_length=32)
    created_at: float
    updated_at: float
    expires_at: float = Field(index=True)  # idle expiry: seal what was given
    purge_at: float  # end of the follow-up window: delete the row
    revision: int = 0


class Inbound(SQLModel, table=True):
    """A provider message id seen once (keyed hash), with the replies it got, for redelivery.

    Every message inserts one row.  On SQLite the table is kept in arrival order (its rowid),
    which ``storage.inbound.purge`` walks, so ``received_at`` has no index there: one page fewer
    in each message's commit (revision 0012).  PostgreSQL keeps its index.
    """

    __table_args__ = (Index("ix_inbound_received_at", "received_at").ddl_if(dialect="postgresql"),)
    key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True), repr=False)
    received_at: float
    response: bytes | None = Field(default=None, sa_column=_blob(nullable=True), repr=False)


class Outbox(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=32, index=True)
    seq: int
    channel: str = Field(max_length=16)
    destination: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the address's period key
    address_period: str | None = Field(default=None, max_length=16)
    body: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the server data key
    status: str = Field(default="pending", max_length=16, index=True)  # an outbox.ItemStatus
    attempts: int = 0
    next_attempt_at: float = Field(index=True)
    last_error: str | None = Field(default=None, max_length=64)
    created_at: float


class OptOut(SQLModel, table=True):
    """Addresses (keyed hash) that sent a carrier opt-out word: the line sends them nothing."""

    lookup: bytes = Field(sa_column=Column(LargeBinary, primary_key=True), repr=False)
    at: float


class Tip(SQLModel, table=True):
    # The queue's order (P1 first, then oldest): a pull walks it and stops at the first free tip.
    __table_args__ = (Index("ix_tip_queue_order", "priority", "created_at"),)
    id: str = Field(primary_key=True, max_length=32)
    # Slow keyed hash of the reference code; the code itself is never stored.
    ref_hash: bytes | None = Field(default=None, sa_column=_blob(nullable=True, unique=True), repr=False)
    status: str = Field(default="open", max_length=16, index=True)  # storage.tips.TipStatus
    reason: str = Field(default="", max_length=32)
    priority: str = Field(default="P4", max_length=4, index=True)
    categories: str = Field(default="", max_length=128)
    rules_version: str = Field(default="", max_length=32)
    queues: str = Field(default="", max_length=256)
    version: int = 0  # bumped at every seal
    created_at: float
    updated_at: float
    # Encoding byte + HMAC over the metadata above, the envelopes and the alerts (storage.tip_mac).
    mac: bytes | None = Field(default=None, sa_column=_blob(nullable=True), repr=False)


class TipEnvelope(SQLModel, table=True):
    """One sealed copy of a tip version for one queue key."""

    __table_args__ = (UniqueConstraint("tip_id", "version", "key_id"),)
    id: int | None = Field(default=None, primary_key=True)
    tip_id: str = Field(max_length=32, index=True)
    version: int
    queue: str = Field(max_length=64, index=True)
    key_id: str = Field(max_length=32)
    envelope: bytes = Field(sa_column=_blob(), repr=False)
    created_at: float


class Queue(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=64)
    title: str = Field(default="", max_length=128)
    created_at: float


class QueueKey(SQLModel, table=True):
    key_id: str = Field(primary_key=True, max_length=32)
    queue: str = Field(max_length=64, index=True)
    public_key: bytes = Field(sa_column=_blob())
    created_at: float
    retired_at: float | None = None


class Staff(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    username: str = Field(max_length=64, unique=True)
    is_admin: bool = False
    public_key: bytes = Field(sa_column=_blob())
    # Private key wrapped by a key derived from the passphrase (Argon2id + server pepper).
    wrapped_private: bytes = Field(sa_column=_blob(), repr=False)
    kdf: str = Field(max_length=128)  # "argon2id:t=..,m=..,p=..:<salt hex>"
    created_at: float


class Grant(SQLModel, table=True):
    """A queue private key, sealed to one member's public key."""

    __table_args__ = (UniqueConstraint("staff_id", "key_id"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=32, index=True)
    key_id: str = Field(max_length=32, index=True)
    wrapped: bytes = Field(sa_column=_blob(), repr=False)
    granted_by: str | None = Field(default=None, max_length=32)
    created_at: float


class PeriodKey(SQLModel, table=True):
    """Per-period keys that seal addresses; destroying one erases its addresses."""

    period: str = Field(primary_key=True, max_length=16)
    wrapped: bytes | None = Field(default=None, sa_column=_blob(nullable=True), repr=False)
    created_at: float
    destroy_after: float = Field(index=True)
    destroyed_at: float | None = None


class Alert(SQLModel, table=True):
    """An on-call alert raised in the same transaction as an urgent tip."""

    id: int | None = Field(default=None, primary_key=True)
    tip_id: str = Field(max_length=32, index=True)
    priority: str = Field(max_length=4)
    reason: str = Field(max_length=32)
    created_at: float
    acknowledged_at: float | None = None
    # Danger came back this often while the alert was open (one alert per tip).
    repeats: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AuditEntry(SQLModel, table=True):
    seq: int = Field(primary_key=True)
    at: float
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    subject: str = Field(default="", max_length=64)
    mac: bytes = Field(sa_column=_blob())  # HMAC over (prev mac, this entry) with a key the DB does not hold


class StaffQuestion(SQLModel, table=True):
    """A question staff left for a reporter, shown when they send their reference code."""

    id: int | None = Field(default=None, primary_key=True)
    tip_id: str = Field(max_length=32, index=True)
    body: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the server data key
    created_at: float
    delivered_at: float | None = None


class Throttle(SQLModel, table=True):
    """Counters for wrong reference codes and for the abuse limits, per sender (keyed hash) and global.

    On SQLite a ``WITHOUT ROWID`` table (revision 0012): the random key is the B-tree's own, so a
    new counter writes one B-tree, not a table and its key's index.
    """

    __table_args__ = {"sqlite_with_rowid": False}
    key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True), repr=False)
    window_start: float
    count: int = 0


class ChatMessage(SQLModel, table=True):
    """Telegram message ids in a chat (sealed), so EXIT can delete them within the 48-hour limit."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=32, index=True)
    ref: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the server key: the message id
    created_at: float = Field(index=True)


class ProviderDeletion(SQLModel, table=True):
    """Provider copies to delete (Twilio message log), retried until the provider lets go."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    ref: bytes = Field(sa_column=_blob(), repr=False)  # AEAD under the server key: the provider's message id
    attempts: int = 0
    next_attempt_at: float = Field(index=True)
    created_at: float


class ServerSecretCheck(SQLModel, table=True):
    """One row: a keyed fingerprint of the server secret the line was set up with, so a
    process started with another secret (a second host without the secrets folder)
    refuses to start instead of splitting the line."""

    id: int = Field(default=1, primary_key=True)
    fingerprint: bytes = Field(sa_column=_blob(), repr=False)  # HMAC under a key derived from the secret
    created_at: float
