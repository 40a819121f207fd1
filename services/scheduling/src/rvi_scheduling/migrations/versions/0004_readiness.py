"""readiness on record: documents asked for and uploaded, last passed equipment test

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "scheduling"


def upgrade() -> None:
    op.add_column("inspections", sa.Column("required_documents", sa.JSON(), nullable=True), schema=S)
    op.add_column("inspections", sa.Column("uploaded_documents", sa.JSON(), nullable=True), schema=S)
    op.add_column(
        "inspections", sa.Column("equipment_passed_at", sa.DateTime(timezone=True), nullable=True), schema=S
    )


def downgrade() -> None:
    op.drop_column("inspections", "equipment_passed_at", schema=S)
    op.drop_column("inspections", "uploaded_documents", schema=S)
    op.drop_column("inspections", "required_documents", schema=S)
