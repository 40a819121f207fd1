"""day plans, offered slots and the notice id

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "scheduling"


def upgrade() -> None:
    op.add_column("inspections", sa.Column("day_plan", sa.JSON(), nullable=True), schema=S)
    op.add_column("inspections", sa.Column("offered_slots", sa.JSON(), nullable=True), schema=S)
    op.add_column("inspections", sa.Column("notice_id", sa.String(length=64), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("inspections", "notice_id", schema=S)
    op.drop_column("inspections", "offered_slots", schema=S)
    op.drop_column("inspections", "day_plan", schema=S)
