"""Event indexer: mirror every ledger event into SQL (SQLite by default, PostgreSQL).

>>> config = IndexerConfig.from_deployment(deployment, rpc_url, "sqlite:///index.db")
>>> with Indexer(config) as indexer:
...     indexer.sync_once()
>>> IndexReader(indexer.engine).provenance(serial_hash("SN-0001"))
"""

from __future__ import annotations

from partledger.index.db import normalize_url, open_database
from partledger.index.decode import HANDLERS, LogDecoder
from partledger.index.documents import (
    BatchDocument,
    DocumentReader,
    DocumentsReport,
    ingest_batch_documents,
)
from partledger.index.errors import (
    DecodeError,
    IndexerError,
    IndexMismatch,
    RangeTooLarge,
    ReorgTooDeep,
    RpcRequestError,
    RpcUnavailable,
)
from partledger.index.fetch import AdaptiveSpan
from partledger.index.indexer import Indexer, IndexerConfig, Reorg, SyncReport, ledger_abis
from partledger.index.queries import (
    AnchoredPrintRecord,
    BatchDocumentStatus,
    ChainPosition,
    DesignView,
    HubView,
    IndexReader,
    IndexStatus,
    InvalidationRecord,
    LicenceView,
    MachineView,
    PrintRecord,
    Provenance,
    QualificationView,
    hub_subject,
    serial_hash,
)
from partledger.index.store import SyncState

__all__ = [
    "HANDLERS",
    "AdaptiveSpan",
    "AnchoredPrintRecord",
    "BatchDocument",
    "BatchDocumentStatus",
    "ChainPosition",
    "DecodeError",
    "DesignView",
    "DocumentReader",
    "DocumentsReport",
    "HubView",
    "IndexMismatch",
    "IndexReader",
    "IndexStatus",
    "Indexer",
    "IndexerConfig",
    "IndexerError",
    "InvalidationRecord",
    "LicenceView",
    "LogDecoder",
    "MachineView",
    "PrintRecord",
    "Provenance",
    "QualificationView",
    "RangeTooLarge",
    "Reorg",
    "ReorgTooDeep",
    "RpcRequestError",
    "RpcUnavailable",
    "SyncReport",
    "SyncState",
    "hub_subject",
    "ingest_batch_documents",
    "ledger_abis",
    "normalize_url",
    "open_database",
    "serial_hash",
]
