"""held messages: what a sender over the abuse limits wrote, kept sealed for the worker (issue 13)

Revision ID: 0009_held_messages
Revises: 0008_oncall
Create Date: 2026-11-30 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_held_messages'
down_revision = '0008_oncall'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'held_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rate_key', sa.LargeBinary(), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.Column('held_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('held_message') as batch:
        batch.create_index('ix_held_message_rate_key', ['rate_key'], unique=False)
        batch.create_index('ix_held_message_held_at', ['held_at'], unique=False)


def downgrade() -> None:
    op.drop_table('held_message')
