"""The index's tables (SQLAlchemy Core).

Every event table is append-only and keyed by the log's chain position
``(block_number, log_index)``: re-ingesting a range inserts nothing new
(``ON CONFLICT DO NOTHING``) and rolling back a reorg deletes the rows above the
common ancestor. Current state (a licence's status, a design's owner) is derived
from the events by the queries in ``partledger.index.queries``.

Hashes and ids are stored as raw bytes (``bytes32`` → 32 bytes, ``address`` → 20
bytes); ``block_time`` is the block's Unix timestamp.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

H32 = LargeBinary(32)
ADDR = LargeBinary(20)


def _position() -> list[Column[object]]:
    """The columns every event row carries: where on chain the log is."""
    return [
        Column("block_number", BigInteger, primary_key=True, autoincrement=False),
        Column("log_index", Integer, primary_key=True, autoincrement=False),
        Column("block_hash", H32, nullable=False),
        Column("block_time", BigInteger, nullable=False),
        Column("tx_hash", H32, nullable=False),
        Column("contract", ADDR, nullable=False),
    ]


sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contracts", Text, nullable=False),
    Column("start_block", BigInteger, nullable=False),
    # last block whose logs are all stored (start_block - 1 before the first range)
    Column("last_block", BigInteger, nullable=False),
    Column("last_hash", H32, nullable=True),
    # chain head seen at the last sync, and the highest final block (head - confirmations)
    Column("chain_head", BigInteger, nullable=False),
    Column("safe_block", BigInteger, nullable=False),
    Column("confirmations", Integer, nullable=False),
    Column("reorgs", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", H32, nullable=False),
    Column("parent_hash", H32, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

design_commitments = Table(
    "design_commitments",
    metadata,
    *_position(),
    Column("committer", ADDR, nullable=False),
    Column("commitment", H32, nullable=False),
    Index("ix_design_commitments_committer", "committer"),
)

designs = Table(
    "designs",
    metadata,
    *_position(),
    Column("design_id", H32, nullable=False),
    Column("registrant", ADDR, nullable=False),
    Column("content_hash", H32, nullable=False),
    Column("container_hash", H32, nullable=False),
    Column("metadata_hash", H32, nullable=False),
    Column("revises", H32, nullable=True),
    Index("ix_designs_design_id", "design_id"),
    Index("ix_designs_registrant", "registrant"),
    Index("ix_designs_content_hash", "content_hash"),
    Index("ix_designs_revises", "revises"),
)

design_events = Table(
    "design_events",
    metadata,
    *_position(),
    Column("design_id", H32, nullable=False),
    # deprecated | recalled | transfer_started | transferred | recall_recorded
    Column("kind", String(24), nullable=False),
    Column("account", ADDR, nullable=True),
    Column("new_owner", ADDR, nullable=True),
    Column("reason_hash", H32, nullable=True),
    Index("ix_design_events_design_id", "design_id", "block_number"),
    Index("ix_design_events_new_owner", "new_owner"),
)

hub_events = Table(
    "hub_events",
    metadata,
    *_position(),
    Column("hub", ADDR, nullable=False),
    # registered | details_updated | key_rotated
    Column("kind", String(24), nullable=False),
    Column("name", Text, nullable=True),
    Column("locode", LargeBinary(5), nullable=True),
    Column("key_version", BigInteger, nullable=True),
    Column("hpke_public_key", LargeBinary, nullable=True),
    Index("ix_hub_events_hub", "hub", "block_number"),
)

machine_events = Table(
    "machine_events",
    metadata,
    *_position(),
    Column("machine_id", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    # registered | retired
    Column("kind", String(24), nullable=False),
    Column("machine_hash", H32, nullable=True),
    Index("ix_machine_events_machine_id", "machine_id"),
    Index("ix_machine_events_hub", "hub"),
)

qualification_events = Table(
    "qualification_events",
    metadata,
    *_position(),
    Column("subject", H32, nullable=False),
    Column("standard", H32, nullable=False),
    # recorded | revoked
    Column("kind", String(24), nullable=False),
    Column("certifier", ADDR, nullable=False),
    Column("certificate_hash", H32, nullable=True),
    Column("valid_from", BigInteger, nullable=True),
    Column("valid_until", BigInteger, nullable=True),
    Column("reason_hash", H32, nullable=True),
    Index("ix_qualification_events_subject", "subject", "standard"),
)

licences = Table(
    "licences",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    Column("licence_index", BigInteger, nullable=False),
    Column("max_prints", BigInteger, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("required_standard", H32, nullable=True),
    Column("terms_hash", H32, nullable=False),
    Column("wrapped_key_hash", H32, nullable=False),
    Column("refund_on_invalidate", Boolean, nullable=False),
    Index("ix_licences_licence_id", "licence_id"),
    Index("ix_licences_hub", "hub"),
    Index("ix_licences_design_id", "design_id"),
)

licence_events = Table(
    "licence_events",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    # amended | suspended | resumed | revoked
    Column("kind", String(24), nullable=False),
    Column("max_prints", BigInteger, nullable=True),
    Column("valid_until", BigInteger, nullable=True),
    Column("terms_hash", H32, nullable=True),
    Column("reason_hash", H32, nullable=True),
    Index("ix_licence_events_licence_id", "licence_id", "block_number"),
)

prints = Table(
    "prints",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("serial", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    Column("machine_id", H32, nullable=False),
    Column("material_lot_hash", H32, nullable=False),
    Column("quality_report_hash", H32, nullable=False),
    Index("ix_prints_serial", "serial"),
    Index("ix_prints_licence_time", "licence_id", "block_time"),
    Index("ix_prints_hub_time", "hub", "block_time"),
)

print_invalidations = Table(
    "print_invalidations",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("serial", H32, nullable=False),
    Column("invalidated_by", ADDR, nullable=False),
    Column("reason_hash", H32, nullable=False),
    Column("refunded", Boolean, nullable=False),
    Index("ix_print_invalidations_serial", "serial"),
    Index("ix_print_invalidations_licence_id", "licence_id"),
)

print_refunds = Table(
    "print_refunds",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("serial", H32, nullable=False),
    Column("refunded_by", ADDR, nullable=False),
    Index("ix_print_refunds_serial", "serial"),
    Index("ix_print_refunds_licence_id", "licence_id"),
)
"""PrintRefunded: the design owner gave back the copy of a print the hub had invalidated."""

print_skips = Table(
    "print_skips",
    metadata,
    *_position(),
    Column("licence_id", H32, nullable=False),
    Column("serial", H32, nullable=False),
    # the skipped item's position in the submitted batch
    Column("position", BigInteger, nullable=False),
    # the item's revert data (a custom error, decodable with the ledger's ABI)
    Column("reason", LargeBinary, nullable=False),
    Index("ix_print_skips_licence_id", "licence_id"),
    Index("ix_print_skips_serial", "serial"),
)
"""PrintSkipped: ``tryAttestBatchBySig`` skipped an item (nothing attested for it)."""

batch_anchors = Table(
    "batch_anchors",
    metadata,
    *_position(),
    Column("root", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    Column("total_prints", BigInteger, nullable=False),
    # SHA-256 of the published batch document (its blob id); NULL before PrintLedger 2.0
    Column("document_hash", H32, nullable=True),
    Index("ix_batch_anchors_root", "root"),
    Index("ix_batch_anchors_hub", "hub"),
)

batch_anchor_entries = Table(
    "batch_anchor_entries",
    metadata,
    Column("block_number", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("root", H32, nullable=False),
    Column("licence_id", H32, nullable=False),
    Column("count", BigInteger, nullable=False),
    Index("ix_batch_anchor_entries_licence_id", "licence_id"),
)

anchored_prints = Table(
    "anchored_prints",
    metadata,
    # the BatchAnchored log's position, then the leaf's index in the tree
    Column("block_number", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("root", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    Column("licence_id", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("serial", H32, nullable=False),
    Column("machine_id", H32, nullable=False),
    Column("material_lot_hash", H32, nullable=False),
    Column("quality_report_hash", H32, nullable=False),
    Index("ix_anchored_prints_serial", "serial"),
    Index("ix_anchored_prints_licence_id", "licence_id"),
)
"""The leaves of anchored batches, read from their published batch documents (not from a log:
``partledger.index.documents`` fills it; rolled back with the anchor)."""

batch_documents = Table(
    "batch_documents",
    metadata,
    # the BatchAnchored log's position
    Column("block_number", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("root", H32, nullable=False),
    Column("document_hash", H32, nullable=True),
    # ingested | missing (retried on later syncs) | invalid (final)
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("checked_at", BigInteger, nullable=False),
    Index("ix_batch_documents_status", "status"),
    Index("ix_batch_documents_root", "root"),
)
"""What became of each anchor's batch document (an anchor without a row was not tried yet)."""

print_footprints = Table(
    "print_footprints",
    metadata,
    # the print's position: its PrintAttested log (leaf_index -1), or its anchor's
    # BatchAnchored log and its leaf in the batch
    Column("block_number", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("block_time", BigInteger, nullable=False),
    Column("serial", H32, nullable=False),
    Column("design_id", H32, nullable=False),
    Column("licence_id", H32, nullable=False),
    Column("hub", ADDR, nullable=False),
    # the print's qualityReportHash: the print-evidence manifest (or a plain quality report)
    Column("evidence_hash", H32, nullable=False),
    # SHA-256 of the footprint document the manifest names (NULL: no manifest, or unread)
    Column("footprint_hash", H32, nullable=True),
    # SHA-256 of the quality report the manifest names (NULL: none named, or no manifest)
    Column("report_hash", H32, nullable=True),
    # kg CO2e from the footprint document (NULL unless status is ingested)
    Column("baseline_kg", Float, nullable=True),
    Column("actual_kg", Float, nullable=True),
    Column("avoided_kg", Float, nullable=True),
    # kg of baseline + actual resting on default-tier data: default_share x (baseline + actual)
    Column("default_kg", Float, nullable=True),
    Column("electricity_kg", Float, nullable=True),
    Column("feedstock_kg", Float, nullable=True),
    Column("last_mile_kg", Float, nullable=True),
    Column("factor_set_version", String(64), nullable=True),
    # ingested | none (a plain quality report: no footprint) | missing (retried on later
    # syncs) | invalid (final)
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("checked_at", BigInteger, nullable=False),
    Index("ix_print_footprints_design_time", "design_id", "block_time"),
    Index("ix_print_footprints_hub_time", "hub", "block_time"),
    Index("ix_print_footprints_block_time", "block_time"),
    Index("ix_print_footprints_status", "status"),
)
"""The carbon footprint of each print whose evidence was read (``partledger.index.footprints``
fills it from the blob store; rolled back with the print's position)."""

signature_cancellations = Table(
    "signature_cancellations",
    metadata,
    *_position(),
    Column("hub", ADDR, nullable=False),
    Column("new_nonce", BigInteger, nullable=False),
    Index("ix_signature_cancellations_hub", "hub"),
)

role_events = Table(
    "role_events",
    metadata,
    *_position(),
    # granted | revoked | admin_changed
    Column("kind", String(24), nullable=False),
    Column("role", H32, nullable=False),
    Column("account", ADDR, nullable=True),
    Column("sender", ADDR, nullable=True),
    Column("previous_admin_role", H32, nullable=True),
    Column("new_admin_role", H32, nullable=True),
    Index("ix_role_events_account", "account"),
    Index("ix_role_events_role", "role"),
)

admin_events = Table(
    "admin_events",
    metadata,
    *_position(),
    # paused | unpaused | print_ledger_set
    Column("kind", String(24), nullable=False),
    Column("account", ADDR, nullable=True),
)

raw_logs = Table(
    "raw_logs",
    metadata,
    *_position(),
    Column("topic0", H32, nullable=True),
    Column("topics", LargeBinary, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index("ix_raw_logs_topic0", "topic0"),
)
"""Logs of the followed contracts that match no known event (kept, so nothing is lost)."""

EVENT_TABLES: tuple[Table, ...] = (
    design_commitments,
    designs,
    design_events,
    hub_events,
    machine_events,
    qualification_events,
    licences,
    licence_events,
    prints,
    print_invalidations,
    print_refunds,
    print_skips,
    batch_anchors,
    batch_anchor_entries,
    signature_cancellations,
    role_events,
    admin_events,
    raw_logs,
    # derived from the anchors' batch documents; after batch_anchors, so that a rollback
    # racing a document ingestion in another process waits for it, then removes its leaves
    anchored_prints,
    batch_documents,
    # derived from the prints' evidence blobs; last, after the prints it describes
    print_footprints,
)
"""Every table whose rows hang off a log position (rolled back on reorg)."""

PER_ANCHOR_TABLES: tuple[Table, ...] = (
    batch_anchor_entries,
    anchored_prints,
    batch_documents,
    print_footprints,
)
"""Event tables whose rows are not one per log (several per anchor, or derived from one)."""

LOG_TABLES: tuple[Table, ...] = tuple(
    t for t in EVENT_TABLES if all(t is not p for p in PER_ANCHOR_TABLES)
)
"""The event tables holding exactly one row per indexed log."""
