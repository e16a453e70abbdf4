"""The service's own tables (SQLite by default, PostgreSQL): nonces, access log, relay queue,
public product records.

They are separate from the event index (which the indexer owns and rebuilds from the
chain): what lives here cannot be rebuilt from the chain, so it is kept durably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)

from partledger.index.db import migrate, normalize_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "service_alembic_version"
metadata = MetaData()

siwe_nonces = Table(
    "siwe_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Column("used_by", String(42), nullable=True),
)

access_log = Table(
    "access_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("account", String(42), nullable=False),
    Column("action", String(32), nullable=False),
    Column("design_id", String(66), nullable=False),
    Column("licence_id", String(66), nullable=True),
    Column("hub", String(42), nullable=True),
    Column("oem", String(42), nullable=False),
    Column("blob", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("client", String(128), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False, unique=True),
    Index("ix_access_log_oem", "oem", "seq"),
    Index("ix_access_log_hub", "hub", "seq"),
)

relay_queue = Table(
    "relay_queue",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", Integer, nullable=False, unique=True),
    Column("submitted_at", BigInteger, nullable=False),
    Column("submitted_by", String(42), nullable=False),
    Column("hub", String(42), nullable=False),
    Column("design_id", String(66), nullable=False),
    Column("licence_id", String(66), nullable=False),
    Column("serial", String(66), nullable=False),
    Column("record", LargeBinary, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),  # queued | sent | mined | failed
    Column("tx_nonce", BigInteger, nullable=True),
    Column("raw_tx", LargeBinary, nullable=True),
    Column("tx_hash", String(66), nullable=True),
    Column("sent_at", BigInteger, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("block_hash", String(66), nullable=True),
    Column("error", Text, nullable=True),
    # sent alone (attestPrintBySig) rather than in an attestBatchBySig transaction: after
    # its batch reverted (all or nothing), each print is retried on its own
    Column("solo", Boolean, nullable=False, default=False),
    UniqueConstraint("design_id", "serial", name="uq_relay_design_serial"),
    Index("ix_relay_status", "status", "seq"),
)

access_anchors = Table(
    "access_anchors",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("head_hash", String(64), nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
)

uploads = Table(
    "uploads",
    metadata,
    Column("blob", String(64), primary_key=True),
    Column("account", String(42), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
)

public_products = Table(
    "public_products",
    metadata,
    # what a design's owner chose to make public about its parts (the design's metadata
    # itself stays encrypted): the product's GS1 GTIN (14 digits) and its description
    Column("design_id", String(66), primary_key=True),
    Column("gtin", String(14), nullable=True),
    Column("name", String(200), nullable=True),
    Column("part_number", String(100), nullable=True),
    Column("revision", String(50), nullable=True),
    Column("material", String(200), nullable=True),
    Column("process", String(200), nullable=True),
    Column("description", Text, nullable=True),
    Column("owner", String(42), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("gtin", name="uq_public_products_gtin"),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def open_service_database(url: str) -> Engine:
    """The service database, migrated to the newest schema."""
    parsed = normalize_url(url)
    engine = create_engine(parsed, pool_pre_ping=True)
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine, script_location=MIGRATIONS_DIR)
    return engine
