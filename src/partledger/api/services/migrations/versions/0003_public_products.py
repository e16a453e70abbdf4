"""Public product records: what a design's owner discloses about its parts (GS1 GTIN, name).

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
        "public_products",
        sa.Column("design_id", sa.String(66), primary_key=True),
        sa.Column("gtin", sa.String(14), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("part_number", sa.String(100), nullable=True),
        sa.Column("revision", sa.String(50), nullable=True),
        sa.Column("material", sa.String(200), nullable=True),
        sa.Column("process", sa.String(200), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("owner", sa.String(42), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("gtin", name="uq_public_products_gtin"),
    )


def downgrade() -> None:
    op.drop_table("public_products")
