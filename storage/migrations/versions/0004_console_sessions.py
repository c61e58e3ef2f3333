"""console: staff sessions, TOTP second factors, tip claims (issue 12)

Revision ID: 0004_console
Revises: 0003
Create Date: 2026-12-08 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004_console'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_session',
    sa.Column('id_hash', sa.LargeBinary(), nullable=False),
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('last_seen_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_session_expires_at'), ['expires_at'], unique=False)

    op.create_table('staff_totp',
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('last_step', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('staff_id')
    )
    op.create_table('tip_claim',
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('claimed_at', sa.Float(), nullable=False),
    sa.Column('lease_until', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('tip_id')
    )
    with op.batch_alter_table('tip_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_claim_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_claim_lease_until'), ['lease_until'], unique=False)


def downgrade() -> None:
    op.drop_table('tip_claim')
    op.drop_table('staff_totp')
    op.drop_table('staff_session')
