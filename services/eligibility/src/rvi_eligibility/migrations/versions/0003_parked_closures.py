"""parked closures: an inspection's closure that overtook its request (replay order)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_closures",
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("inspection_id", "reason", name=op.f("pk_parked_closures")),
        schema="eligibility",
    )


def downgrade() -> None:
    op.drop_table("parked_closures", schema="eligibility")
