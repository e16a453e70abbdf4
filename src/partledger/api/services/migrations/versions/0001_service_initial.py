"""The service's tables: SIWE nonces, access log, relay queue, uploads.

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
        "siwe_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
        sa.Column("used_by", sa.String(42), nullable=True),
    )
    op.create_table(
        "access_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("account", sa.String(42), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("design_id", sa.String(66), nullable=False),
        sa.Column("licence_id", sa.String(66), nullable=True),
        sa.Column("hub", sa.String(42), nullable=True),
        sa.Column("oem", sa.String(42), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_access_log_oem", "access_log", ["oem", "seq"])
    op.create_index("ix_access_log_hub", "access_log", ["hub", "seq"])
    op.create_table(
        "relay_queue",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
        sa.Column("submitted_by", sa.String(42), nullable=False),
        sa.Column("hub", sa.String(42), nullable=False),
        sa.Column("design_id", sa.String(66), nullable=False),
        sa.Column("licence_id", sa.String(66), nullable=False),
        sa.Column("serial", sa.String(66), nullable=False),
        sa.Column("record", sa.LargeBinary, nullable=False),
        sa.Column("deadline", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_nonce", sa.BigInteger, nullable=True),
        sa.Column("raw_tx", sa.LargeBinary, nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("sent_at", sa.BigInteger, nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("solo", sa.Boolean, nullable=False),
        sa.UniqueConstraint("design_id", "serial", name="uq_relay_design_serial"),
    )
    op.create_index("ix_relay_status", "relay_queue", ["status", "seq"])
    op.create_table(
        "uploads",
        sa.Column("blob", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(42), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("uploads", "relay_queue", "access_log", "siwe_nonces"):
        op.drop_table(table)
