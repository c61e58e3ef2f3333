"""alert repeats (one open alert per tip, danger coming back is counted)

Revision ID: 0005_alert_repeats
Revises: 0004_console
Create Date: 2026-12-08 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_alert_repeats'
down_revision = '0004_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert') as batch:
        batch.add_column(sa.Column('repeats', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('alert') as batch:
        batch.drop_column('repeats')
