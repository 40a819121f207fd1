"""officers: the registry's office and district keys, so rosters match an office however it is named

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rvi_scheduling.rosters.offices import district_key, office_key

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "scheduling"


def upgrade() -> None:
    op.add_column("officers", sa.Column("office_key", sa.String(length=64), server_default="", nullable=False), schema=S)
    op.add_column(
        "officers", sa.Column("district_key", sa.String(length=64), server_default="", nullable=False), schema=S
    )
    officers = sa.table(
        "officers",
        sa.column("officer_id", sa.String),
        sa.column("customs_office", sa.String),
        sa.column("district", sa.String),
        sa.column("office_key", sa.String),
        sa.column("district_key", sa.String),
        schema=S,
    )
    bind = op.get_bind()
    for officer_id, office, district in bind.execute(
        sa.select(officers.c.officer_id, officers.c.customs_office, officers.c.district)
    ).all():
        bind.execute(
            officers.update()
            .where(officers.c.officer_id == officer_id)
            .values(office_key=office_key(office), district_key=district_key(district))
        )
    op.alter_column("officers", "office_key", server_default=None, schema=S)
    op.alter_column("officers", "district_key", server_default=None, schema=S)
    op.create_index(op.f("ix_scheduling_officers_office_key"), "officers", ["office_key"], schema=S)
    op.create_index(op.f("ix_scheduling_officers_district_key"), "officers", ["district_key"], schema=S)


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduling_officers_district_key"), table_name="officers", schema=S)
    op.drop_index(op.f("ix_scheduling_officers_office_key"), table_name="officers", schema=S)
    op.drop_column("officers", "district_key", schema=S)
    op.drop_column("officers", "office_key", schema=S)
