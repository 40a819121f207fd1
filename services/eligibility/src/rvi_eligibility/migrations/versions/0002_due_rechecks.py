"""due rechecks: facts recorded ahead of time re-check open inspections when they take effect

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('due_rechecks',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_due_rechecks')),
    sa.UniqueConstraint('enterprise_id', 'due_at', name=op.f('uq_due_rechecks_enterprise_id_due_at')),
    schema='eligibility'
    )
    op.create_index('ix_due_rechecks_pending', 'due_rechecks', ['due_at'], unique=False, schema='eligibility', postgresql_where=sa.text('done_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_due_rechecks_pending', table_name='due_rechecks', schema='eligibility', postgresql_where=sa.text('done_at IS NULL'))
    op.drop_table('due_rechecks', schema='eligibility')
