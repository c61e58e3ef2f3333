"""queue order index: tips by (priority, created_at), so a pull walks the queue in order

Without it PostgreSQL joins every tip of the member's queues and sorts them for each pull:
claim-next grew 15-fold from 1,000 to 50,000 stored tips (bench/queue.py).

Revision ID: 0010_queue_index
Revises: 0009_held_messages
Create Date: 2026-11-30 02:00:00
"""
from alembic import op


revision = '0010_queue_index'
down_revision = '0009_held_messages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tip_queue_order', 'tip', ['priority', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_tip_queue_order', table_name='tip')
