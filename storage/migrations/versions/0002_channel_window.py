"""channel window (WhatsApp 24-hour reply window)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_window',
    sa.Column('conversation_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('last_inbound_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id')
    )
    with op.batch_alter_table('channel_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_window_last_inbound_at'), ['last_inbound_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_window_last_inbound_at'))
    op.drop_table('channel_window')
