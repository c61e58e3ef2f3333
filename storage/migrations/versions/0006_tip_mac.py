"""tip metadata MAC (issue 9): tip.mac, written by 'tipline init' for tips that predate it

Revision ID: 0006_tip_mac
Revises: 0005_alert_repeats
Create Date: 2026-11-30 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_tip_mac'
down_revision = '0005_alert_repeats'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: existing tips get their MAC from 'tipline init' (storage.tip_mac.seal_install),
    # which needs the server secret that migrations never see.
    with op.batch_alter_table('tip') as batch:
        batch.add_column(sa.Column('mac', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tip') as batch:
        batch.drop_column('mac')
