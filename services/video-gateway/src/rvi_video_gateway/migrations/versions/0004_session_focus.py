"""session focus: the site and checklist item the officers are on, for the enterprise's screen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('session_focus',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['video_gateway.sessions.session_id'], name=op.f('fk_session_focus_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_focus')),
    schema='video_gateway'
    )


def downgrade() -> None:
    op.drop_table('session_focus', schema='video_gateway')
