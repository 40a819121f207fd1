"""officer rosters, absences and team assignments

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
S = "scheduling"


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("credential_no", sa.String(length=64), nullable=False),
        sa.Column("credential_valid_from", sa.Date(), nullable=False),
        sa.Column("credential_valid_until", sa.Date(), nullable=False),
        sa.Column("customs_office", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("officer_id", name=op.f("pk_officers")),
        sa.UniqueConstraint("credential_no", name=op.f("uq_officers_credential_no")),
        schema=S,
    )
    op.create_index(op.f("ix_scheduling_officers_customs_office"), "officers", ["customs_office"], schema=S)
    op.create_index(op.f("ix_scheduling_officers_district"), "officers", ["district"], schema=S)
    op.create_table(
        "officer_absences",
        sa.Column("absence_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["scheduling.officers.officer_id"],
            name=op.f("fk_officer_absences_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("absence_id", name=op.f("pk_officer_absences")),
        schema=S,
    )
    op.create_index(op.f("ix_scheduling_officer_absences_officer_id"), "officer_absences", ["officer_id"], schema=S)
    op.create_table(
        "assignments",
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("inspection_id", "officer_id", name=op.f("pk_assignments")),
        schema=S,
    )
    op.create_index("ix_assignments_officer_time", "assignments", ["officer_id", "starts_at"], schema=S)


def downgrade() -> None:
    op.drop_table("assignments", schema=S)
    op.drop_table("officer_absences", schema=S)
    op.drop_table("officers", schema=S)
