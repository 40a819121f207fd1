"""service of documents, pre-inspection uploads, comments and disputes

Revision ID: 0003
Revises: 0002
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema="documents") as batch:
        batch.add_column(sa.Column("service_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("served_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("service_overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("announced", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index(
        op.f("ix_documents_documents_service_due_at"), "documents", ["service_due_at"], unique=False, schema="documents"
    )
    op.create_table(
        "service_addresses",
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("confirmation_upload_id", sa.Uuid(), nullable=True),
        sa.Column("confirmation_sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_service_addresses")),
        schema="documents",
    )
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proof_kind", sa.String(length=32), nullable=True),
        sa.Column("proof_sha256", sa.String(length=64), nullable=True),
        sa.Column("proof", sa.LargeBinary(), nullable=True),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.Column("witness", sa.String(length=255), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveries")),
        schema="documents",
    )
    op.create_index(op.f("ix_documents_deliveries_document_id"), "deliveries", ["document_id"], schema="documents")
    op.create_index(op.f("ix_documents_deliveries_inspection_id"), "deliveries", ["inspection_id"], schema="documents")
    op.create_table(
        "uploads",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=255), nullable=True),
        sa.Column("original_location", sa.Text(), nullable=True),
        sa.Column("marked_copy_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_uploads")),
        schema="documents",
    )
    op.create_index(op.f("ix_documents_uploads_inspection_id"), "uploads", ["inspection_id"], schema="documents")
    op.create_index(op.f("ix_documents_uploads_enterprise_id"), "uploads", ["enterprise_id"], schema="documents")
    op.create_table(
        "comments",
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("dispute", sa.Boolean(), nullable=False),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comments")),
        schema="documents",
    )
    op.create_index(op.f("ix_documents_comments_document_id"), "comments", ["document_id"], schema="documents")


def downgrade() -> None:
    for table in ("comments", "uploads", "deliveries", "service_addresses"):
        op.drop_table(table, schema="documents")
    op.drop_index(op.f("ix_documents_documents_service_due_at"), table_name="documents", schema="documents")
    with op.batch_alter_table("documents", schema="documents") as batch:
        for column in ("announced", "service_overdue_at", "read_at", "served_at", "service_due_at"):
            batch.drop_column(column)
