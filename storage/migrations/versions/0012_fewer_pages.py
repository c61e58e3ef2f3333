"""fewer pages per message on SQLite: no received_at index on inbound; throttle and channel_window WITHOUT ROWID

Every webhook's commit appends each page it changed to SQLite's WAL and fsyncs it (issue 11).
Measured on a mid-interview message (7.8 WAL frames, read back from the WAL): the index on
inbound.received_at was one whole page of them, and only the purge job reads it; the purge
now walks the table in arrival order (its rowid) instead (storage/inbound.py).  The throttle
counters and the reply windows are keyed by a random blob or id: as WITHOUT ROWID tables that
key is the B-tree's own, so a new row writes one B-tree, not a table plus its key's index.

SQLite only: PostgreSQL keeps its schema (it has no rowid tables, and its purge uses the index).
The rows are copied as they are.

Revision ID: 0012_fewer_pages
Revises: 0011_alert_failure
Create Date: 2026-11-30 12:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_fewer_pages'
down_revision = '0011_alert_failure'
branch_labels = None
depends_on = None


def _throttle(name: str, *, rowid: bool) -> None:
    op.create_table(name,
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('window_start', sa.Float(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    sqlite_with_rowid=rowid,
    )


def _channel_window(name: str, *, rowid: bool) -> None:
    op.create_table(name,
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('last_inbound_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id'),
    sqlite_with_rowid=rowid,
    )


def _rebuild(*, rowid: bool) -> None:
    """Copy throttle and channel_window into tables of the other kind (SQLite cannot alter it)."""
    _throttle('throttle_rebuilt', rowid=rowid)
    op.execute("INSERT INTO throttle_rebuilt (key, window_start, count) SELECT key, window_start, count FROM throttle")
    op.drop_table('throttle')
    op.rename_table('throttle_rebuilt', 'throttle')
    _channel_window('channel_window_rebuilt', rowid=rowid)
    op.execute("INSERT INTO channel_window_rebuilt (conversation_id, last_inbound_at)"
               " SELECT conversation_id, last_inbound_at FROM channel_window")
    op.drop_index('ix_channel_window_last_inbound_at', table_name='channel_window')
    op.drop_table('channel_window')
    op.rename_table('channel_window_rebuilt', 'channel_window')
    op.create_index('ix_channel_window_last_inbound_at', 'channel_window', ['last_inbound_at'], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.drop_index('ix_inbound_received_at', table_name='inbound')
    _rebuild(rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _rebuild(rowid=True)
    op.create_index('ix_inbound_received_at', 'inbound', ['received_at'], unique=False)
