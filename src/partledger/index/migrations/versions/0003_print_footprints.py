"""Print footprints: the carbon footprint of each print, read from its print-evidence manifest
and footprint document in the blob store (with each print's ingestion status).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_footprints",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("evidence_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("footprint_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("report_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("baseline_kg", sa.Float(), nullable=True),
        sa.Column("actual_kg", sa.Float(), nullable=True),
        sa.Column("avoided_kg", sa.Float(), nullable=True),
        sa.Column("default_kg", sa.Float(), nullable=True),
        sa.Column("electricity_kg", sa.Float(), nullable=True),
        sa.Column("feedstock_kg", sa.Float(), nullable=True),
        sa.Column("last_mile_kg", sa.Float(), nullable=True),
        sa.Column("factor_set_version", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "block_number", "log_index", "leaf_index", name=op.f("pk_print_footprints")
        ),
    )
    op.create_index(
        "ix_print_footprints_design_time",
        "print_footprints",
        ["design_id", "block_time"],
        unique=False,
    )
    op.create_index(
        "ix_print_footprints_hub_time", "print_footprints", ["hub", "block_time"], unique=False
    )
    op.create_index(
        "ix_print_footprints_block_time", "print_footprints", ["block_time"], unique=False
    )
    op.create_index("ix_print_footprints_status", "print_footprints", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_print_footprints_status", table_name="print_footprints")
    op.drop_index("ix_print_footprints_block_time", table_name="print_footprints")
    op.drop_index("ix_print_footprints_hub_time", table_name="print_footprints")
    op.drop_index("ix_print_footprints_design_time", table_name="print_footprints")
    op.drop_table("print_footprints")
