"""on-call rota, enrolment links and alert pages (issue 12, never miss a P1)

Revision ID: 0008_oncall
Revises: 0005_alert_repeats
Create Date: 2026-11-30 01:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008_oncall'
down_revision = '0007_cases'
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table('oncall_key',
    sa.Column('key_id', _text(32), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key_id')
    )
    op.create_table('oncall_rota',
    sa.Column('id', _text(32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', _text(64), nullable=False),
    sa.Column('channel', _text(16), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=True),
    sa.Column('locale', _text(16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('oncall_rota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncall_rota_position'), ['position'], unique=False)
    op.create_table('oncall_enrolment',
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('member_id', _text(32), nullable=False),
    sa.Column('locale', _text(16), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('used_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('oncall_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncall_enrolment_member_id'), ['member_id'], unique=False)
    op.create_table('oncall_page',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('tip_id', _text(32), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.Column('lease_until', sa.Float(), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('last_sent_at', sa.Float(), nullable=True),
    sa.Column('done_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('alert_id')
    )
    with op.batch_alter_table('oncall_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncall_page_tip_id'), ['tip_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oncall_page_next_at'), ['next_at'], unique=False)


def downgrade() -> None:
    op.drop_table('oncall_page')
    op.drop_table('oncall_enrolment')
    op.drop_table('oncall_rota')
    op.drop_table('oncall_key')
