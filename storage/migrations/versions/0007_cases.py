"""cases: case status, notes, links, referrals, reads, interpreters (issue 12)

Revision ID: 0007_cases
Revises: 0005_alert_repeats
Create Date: 2026-11-30 01:17:17.187512
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007_cases'
down_revision = '0006_tip_mac'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_note',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_tip_id'), ['tip_id'], unique=False)

    op.create_table('case_note_envelope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('note_id', 'key_id')
    )
    with op.batch_alter_table('case_note_envelope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_envelope_note_id'), ['note_id'], unique=False)

    op.create_table('interpretation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('interpreter', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('done_at', sa.Float(), nullable=True),
    sa.Column('note_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('interpretation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interpretation_interpreter'), ['interpreter'], unique=False)
        batch_op.create_index(batch_op.f('ix_interpretation_tip_id'), ['tip_id'], unique=False)

    op.create_table('staff_language',
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.PrimaryKeyConstraint('staff_id', 'language')
    )
    op.create_table('tip_case',
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('duplicate_of', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('no_minor_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('no_minor_at', sa.Float(), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('tip_id')
    )
    with op.batch_alter_table('tip_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_case_status'), ['status'], unique=False)

    op.create_table('tip_link',
    sa.Column('tip_a', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tip_b', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('tip_a', 'tip_b')
    )
    with op.batch_alter_table('tip_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_link_tip_b'), ['tip_b'], unique=False)

    op.create_table('tip_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_queue', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('versions', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('notes', sa.Integer(), nullable=False),
    sa.Column('reason_note', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('override', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tip_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_referral_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_seen',
    sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tip_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('staff_id', 'tip_id')
    )


def downgrade() -> None:
    op.drop_table('tip_seen')
    with op.batch_alter_table('tip_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_referral_tip_id'))

    op.drop_table('tip_referral')
    with op.batch_alter_table('tip_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_link_tip_b'))

    op.drop_table('tip_link')
    with op.batch_alter_table('tip_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_case_status'))

    op.drop_table('tip_case')
    op.drop_table('staff_language')
    with op.batch_alter_table('interpretation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interpretation_tip_id'))
        batch_op.drop_index(batch_op.f('ix_interpretation_interpreter'))

    op.drop_table('interpretation')
    with op.batch_alter_table('case_note_envelope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_envelope_note_id'))

    op.drop_table('case_note_envelope')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_tip_id'))

    op.drop_table('case_note')
