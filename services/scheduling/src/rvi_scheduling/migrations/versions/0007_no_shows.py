"""no-shows and enterprise reschedule requests counted per inspection

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "scheduling"


def upgrade() -> None:
    op.add_column("inspections", sa.Column("no_shows", sa.Integer(), server_default="0", nullable=False), schema=S)
    op.add_column(
        "inspections", sa.Column("enterprise_reschedules", sa.Integer(), server_default="0", nullable=False), schema=S
    )


def downgrade() -> None:
    op.drop_column("inspections", "enterprise_reschedules", schema=S)
    op.drop_column("inspections", "no_shows", schema=S)
