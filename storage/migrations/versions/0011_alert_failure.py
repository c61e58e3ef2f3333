"""alert failure: the last failed send of each pushed P1 alert, for the console's /alerts

Only a short reason class ("provider refused (HTTP 400)"), when, the channel and which rota
person: never an address, never what the provider said (it may name the number).

Revision ID: 0011_alert_failure
Revises: 0010_queue_index
Create Date: 2026-11-30 05:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011_alert_failure'
down_revision = '0010_queue_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('oncall_page') as batch:
        batch.add_column(sa.Column('failed_at', sa.Float(), nullable=True))
        batch.add_column(sa.Column('failure', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('failed_channel', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('failed_member', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('oncall_page') as batch:
        for name in ('failed_member', 'failed_channel', 'failure', 'failed_at'):
            batch.drop_column(name)
