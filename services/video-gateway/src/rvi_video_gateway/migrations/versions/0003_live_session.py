"""live session: feed audio and camera probe, recording audio, checklist item results, session audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 21:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('feeds', sa.Column('audio_codec', sa.String(length=16), nullable=True), schema='video_gateway')
    op.add_column('feeds', sa.Column('probe', sa.JSON(), nullable=True), schema='video_gateway')
    op.add_column('recordings', sa.Column('audio_codec', sa.String(length=16), nullable=True), schema='video_gateway')
    op.add_column('recordings', sa.Column('audio_packets', sa.Integer(), nullable=True), schema='video_gateway')
    op.create_table('item_results',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('finding', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['video_gateway.sessions.session_id'], name=op.f('fk_item_results_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'site_id', 'item_id', name=op.f('pk_item_results')),
    schema='video_gateway'
    )
    op.create_table('session_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['video_gateway.sessions.session_id'], name=op.f('fk_session_audit_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_audit')),
    schema='video_gateway'
    )
    op.create_index(op.f('ix_video_gateway_session_audit_session_id'), 'session_audit', ['session_id'], unique=False, schema='video_gateway')


def downgrade() -> None:
    op.drop_index(op.f('ix_video_gateway_session_audit_session_id'), table_name='session_audit', schema='video_gateway')
    op.drop_table('session_audit', schema='video_gateway')
    op.drop_table('item_results', schema='video_gateway')
    op.drop_column('recordings', 'audio_packets', schema='video_gateway')
    op.drop_column('recordings', 'audio_codec', schema='video_gateway')
    op.drop_column('feeds', 'probe', schema='video_gateway')
    op.drop_column('feeds', 'audio_codec', schema='video_gateway')
