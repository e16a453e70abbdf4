"""PrintLedger 2.0: the anchors' document hash, refunds, skipped batch items, and the anchored
leaves read from the published batch documents (with each document's ingestion status).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _position() -> list[sa.Column[object]]:
    return [
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("batch_anchors") as batch:
        batch.add_column(sa.Column("document_hash", sa.LargeBinary(length=32), nullable=True))

    op.create_table(
        "print_refunds",
        *_position(),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("refunded_by", sa.LargeBinary(length=20), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_print_refunds")),
    )
    op.create_index("ix_print_refunds_serial", "print_refunds", ["serial"], unique=False)
    op.create_index("ix_print_refunds_licence_id", "print_refunds", ["licence_id"], unique=False)

    op.create_table(
        "print_skips",
        *_position(),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_print_skips")),
    )
    op.create_index("ix_print_skips_licence_id", "print_skips", ["licence_id"], unique=False)
    op.create_index("ix_print_skips_serial", "print_skips", ["serial"], unique=False)

    op.create_table(
        "anchored_prints",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("machine_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("material_lot_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("quality_report_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "block_number", "log_index", "leaf_index", name=op.f("pk_anchored_prints")
        ),
    )
    op.create_index("ix_anchored_prints_serial", "anchored_prints", ["serial"], unique=False)
    op.create_index(
        "ix_anchored_prints_licence_id", "anchored_prints", ["licence_id"], unique=False
    )

    op.create_table(
        "batch_documents",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("document_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_batch_documents")),
    )
    op.create_index("ix_batch_documents_status", "batch_documents", ["status"], unique=False)
    op.create_index("ix_batch_documents_root", "batch_documents", ["root"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_batch_documents_root", table_name="batch_documents")
    op.drop_index("ix_batch_documents_status", table_name="batch_documents")
    op.drop_table("batch_documents")
    op.drop_index("ix_anchored_prints_licence_id", table_name="anchored_prints")
    op.drop_index("ix_anchored_prints_serial", table_name="anchored_prints")
    op.drop_table("anchored_prints")
    op.drop_index("ix_print_skips_serial", table_name="print_skips")
    op.drop_index("ix_print_skips_licence_id", table_name="print_skips")
    op.drop_table("print_skips")
    op.drop_index("ix_print_refunds_licence_id", table_name="print_refunds")
    op.drop_index("ix_print_refunds_serial", table_name="print_refunds")
    op.drop_table("print_refunds")
    with op.batch_alter_table("batch_anchors") as batch:
        batch.drop_column("document_hash")
