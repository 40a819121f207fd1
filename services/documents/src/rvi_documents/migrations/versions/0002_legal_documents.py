"""legal documents: numbers, revisions, signing order, sealing retries

Revision ID: 0002
Revises: 0001
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "revisions",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("slot", sa.String(length=128), nullable=True),
        sa.Column("signer_subject", sa.String(length=255), nullable=True),
        sa.Column("signer_name", sa.String(length=255), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "number", name=op.f("pk_revisions")),
        schema="documents",
    )
    op.create_table(
        "counters",
        sa.Column("customs", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customs", "year", "kind", name=op.f("pk_counters")),
        schema="documents",
    )
    # The first cut's PDFs become revision 0 of their documents; nothing is rewritten.
    op.execute(
        "INSERT INTO documents.revisions (document_id, number, sha256, size_bytes, pdf, created_at)"
        " SELECT document_id, 0, sha256, size_bytes, pdf, issued_at FROM documents.documents"
    )
    with op.batch_alter_table("documents", schema="documents") as batch:
        batch.drop_column("pdf")
        batch.drop_column("signed_sha256")
        batch.drop_column("signature")
        batch.add_column(sa.Column("number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("customs", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("current_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("signing_order", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("signed_slots", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("seal_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("seal_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("next_seal_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sessions", sa.Column("results", sa.JSON(), nullable=True), schema="documents")
    op.create_index(
        op.f("ix_documents_documents_next_seal_at"), "documents", ["next_seal_at"], unique=False, schema="documents"
    )


def downgrade() -> None:
    raise NotImplementedError("revisions cannot be folded back into one PDF column")
