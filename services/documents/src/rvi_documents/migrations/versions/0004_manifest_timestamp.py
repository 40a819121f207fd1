"""RFC 3161 time-stamp of each session's signed evidence manifest

Revision ID: 0004
Revises: 0003
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("manifest_timestamp", sa.LargeBinary(), nullable=True), schema="documents")
    op.add_column(
        "sessions", sa.Column("manifest_timestamped_at", sa.DateTime(timezone=True), nullable=True), schema="documents"
    )


def downgrade() -> None:
    op.drop_column("sessions", "manifest_timestamped_at", schema="documents")
    op.drop_column("sessions", "manifest_timestamp", schema="documents")
