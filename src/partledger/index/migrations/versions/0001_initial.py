"""Initial index schema: sync state, block window, one table per event family.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account", sa.LargeBinary(length=20), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_admin_events")),
    )
    op.create_table(
        "batch_anchor_entries",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "block_number", "log_index", "position", name=op.f("pk_batch_anchor_entries")
        ),
    )
    op.create_index(
        "ix_batch_anchor_entries_licence_id", "batch_anchor_entries", ["licence_id"], unique=False
    )
    op.create_table(
        "batch_anchors",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("total_prints", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_batch_anchors")),
    )
    op.create_index("ix_batch_anchors_hub", "batch_anchors", ["hub"], unique=False)
    op.create_index("ix_batch_anchors_root", "batch_anchors", ["root"], unique=False)
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("parent_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_blocks")),
    )
    op.create_table(
        "design_commitments",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("committer", sa.LargeBinary(length=20), nullable=False),
        sa.Column("commitment", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_design_commitments")),
    )
    op.create_index(
        "ix_design_commitments_committer", "design_commitments", ["committer"], unique=False
    )
    op.create_table(
        "design_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account", sa.LargeBinary(length=20), nullable=True),
        sa.Column("new_owner", sa.LargeBinary(length=20), nullable=True),
        sa.Column("reason_hash", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_design_events")),
    )
    op.create_index(
        "ix_design_events_design_id", "design_events", ["design_id", "block_number"], unique=False
    )
    op.create_index("ix_design_events_new_owner", "design_events", ["new_owner"], unique=False)
    op.create_table(
        "designs",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("registrant", sa.LargeBinary(length=20), nullable=False),
        sa.Column("content_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("container_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("metadata_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("revises", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_designs")),
    )
    op.create_index("ix_designs_content_hash", "designs", ["content_hash"], unique=False)
    op.create_index("ix_designs_design_id", "designs", ["design_id"], unique=False)
    op.create_index("ix_designs_registrant", "designs", ["registrant"], unique=False)
    op.create_index("ix_designs_revises", "designs", ["revises"], unique=False)
    op.create_table(
        "hub_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("locode", sa.LargeBinary(length=5), nullable=True),
        sa.Column("key_version", sa.BigInteger(), nullable=True),
        sa.Column("hpke_public_key", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_hub_events")),
    )
    op.create_index("ix_hub_events_hub", "hub_events", ["hub", "block_number"], unique=False)
    op.create_table(
        "licence_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("max_prints", sa.BigInteger(), nullable=True),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("terms_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("reason_hash", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_licence_events")),
    )
    op.create_index(
        "ix_licence_events_licence_id",
        "licence_events",
        ["licence_id", "block_number"],
        unique=False,
    )
    op.create_table(
        "licences",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_index", sa.BigInteger(), nullable=False),
        sa.Column("max_prints", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("required_standard", sa.LargeBinary(length=32), nullable=True),
        sa.Column("terms_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("wrapped_key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("refund_on_invalidate", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_licences")),
    )
    op.create_index("ix_licences_design_id", "licences", ["design_id"], unique=False)
    op.create_index("ix_licences_hub", "licences", ["hub"], unique=False)
    op.create_index("ix_licences_licence_id", "licences", ["licence_id"], unique=False)
    op.create_table(
        "machine_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("machine_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("machine_hash", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_machine_events")),
    )
    op.create_index("ix_machine_events_hub", "machine_events", ["hub"], unique=False)
    op.create_index("ix_machine_events_machine_id", "machine_events", ["machine_id"], unique=False)
    op.create_table(
        "print_invalidations",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("invalidated_by", sa.LargeBinary(length=20), nullable=False),
        sa.Column("reason_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("refunded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_print_invalidations")),
    )
    op.create_index(
        "ix_print_invalidations_licence_id", "print_invalidations", ["licence_id"], unique=False
    )
    op.create_index(
        "ix_print_invalidations_serial", "print_invalidations", ["serial"], unique=False
    )
    op.create_table(
        "prints",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("licence_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("design_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("machine_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("material_lot_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("quality_report_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_prints")),
    )
    op.create_index("ix_prints_hub_time", "prints", ["hub", "block_time"], unique=False)
    op.create_index("ix_prints_licence_time", "prints", ["licence_id", "block_time"], unique=False)
    op.create_index("ix_prints_serial", "prints", ["serial"], unique=False)
    op.create_table(
        "qualification_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("subject", sa.LargeBinary(length=32), nullable=False),
        sa.Column("standard", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("certifier", sa.LargeBinary(length=20), nullable=False),
        sa.Column("certificate_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("valid_from", sa.BigInteger(), nullable=True),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("reason_hash", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_qualification_events")),
    )
    op.create_index(
        "ix_qualification_events_subject",
        "qualification_events",
        ["subject", "standard"],
        unique=False,
    )
    op.create_table(
        "raw_logs",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("topic0", sa.LargeBinary(length=32), nullable=True),
        sa.Column("topics", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_raw_logs")),
    )
    op.create_index("ix_raw_logs_topic0", "raw_logs", ["topic0"], unique=False)
    op.create_table(
        "role_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("role", sa.LargeBinary(length=32), nullable=False),
        sa.Column("account", sa.LargeBinary(length=20), nullable=True),
        sa.Column("sender", sa.LargeBinary(length=20), nullable=True),
        sa.Column("previous_admin_role", sa.LargeBinary(length=32), nullable=True),
        sa.Column("new_admin_role", sa.LargeBinary(length=32), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_role_events")),
    )
    op.create_index("ix_role_events_account", "role_events", ["account"], unique=False)
    op.create_index("ix_role_events_role", "role_events", ["role"], unique=False)
    op.create_table(
        "signature_cancellations",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("hub", sa.LargeBinary(length=20), nullable=False),
        sa.Column("new_nonce", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "block_number", "log_index", name=op.f("pk_signature_cancellations")
        ),
    )
    op.create_index(
        "ix_signature_cancellations_hub", "signature_cancellations", ["hub"], unique=False
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contracts", sa.Text(), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("chain_head", sa.BigInteger(), nullable=False),
        sa.Column("safe_block", sa.BigInteger(), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("reorgs", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_index("ix_signature_cancellations_hub", table_name="signature_cancellations")
    op.drop_table("signature_cancellations")
    op.drop_index("ix_role_events_role", table_name="role_events")
    op.drop_index("ix_role_events_account", table_name="role_events")
    op.drop_table("role_events")
    op.drop_index("ix_raw_logs_topic0", table_name="raw_logs")
    op.drop_table("raw_logs")
    op.drop_index("ix_qualification_events_subject", table_name="qualification_events")
    op.drop_table("qualification_events")
    op.drop_index("ix_prints_serial", table_name="prints")
    op.drop_index("ix_prints_licence_time", table_name="prints")
    op.drop_index("ix_prints_hub_time", table_name="prints")
    op.drop_table("prints")
    op.drop_index("ix_print_invalidations_serial", table_name="print_invalidations")
    op.drop_index("ix_print_invalidations_licence_id", table_name="print_invalidations")
    op.drop_table("print_invalidations")
    op.drop_index("ix_machine_events_machine_id", table_name="machine_events")
    op.drop_index("ix_machine_events_hub", table_name="machine_events")
    op.drop_table("machine_events")
    op.drop_index("ix_licences_licence_id", table_name="licences")
    op.drop_index("ix_licences_hub", table_name="licences")
    op.drop_index("ix_licences_design_id", table_name="licences")
    op.drop_table("licences")
    op.drop_index("ix_licence_events_licence_id", table_name="licence_events")
    op.drop_table("licence_events")
    op.drop_index("ix_hub_events_hub", table_name="hub_events")
    op.drop_table("hub_events")
    op.drop_index("ix_designs_revises", table_name="designs")
    op.drop_index("ix_designs_registrant", table_name="designs")
    op.drop_index("ix_designs_design_id", table_name="designs")
    op.drop_index("ix_designs_content_hash", table_name="designs")
    op.drop_table("designs")
    op.drop_index("ix_design_events_new_owner", table_name="design_events")
    op.drop_index("ix_design_events_design_id", table_name="design_events")
    op.drop_table("design_events")
    op.drop_index("ix_design_commitments_committer", table_name="design_commitments")
    op.drop_table("design_commitments")
    op.drop_table("blocks")
    op.drop_index("ix_batch_anchors_root", table_name="batch_anchors")
    op.drop_index("ix_batch_anchors_hub", table_name="batch_anchors")
    op.drop_table("batch_anchors")
    op.drop_index("ix_batch_anchor_entries_licence_id", table_name="batch_anchor_entries")
    op.drop_table("batch_anchor_entries")
    op.drop_table("admin_events")
