"""What the blocks the index does not hold yet refer to, read from the chain itself.

The orphan check judges blobs against the index. Blocks after the index's checkpoint (not
yet synced, above the confirmation depth, or kept by a service replica that has not caught
up) may register the very designs, licences and prints whose blobs would then look
orphaned. Their logs are read here and every 32-byte word in them (topics and data) counts
as a reference: a superset of the hashes the events carry, so nothing referenced is ever
judged an orphan. Print-evidence manifests and Merkle batch documents among those words are
opened for the blobs they name, as the indexer does.
"""

from __future__ import annotations

from sqlalchemy import Engine
from web3 import Web3

from partledger.index.store import Store
from partledger.sdk.batches import MAX_DOCUMENT_BYTES, BatchDocumentError, read_batch_document
from partledger.sdk.ledger import Ledger
from partledger.sdk.print_evidence import (
    MAX_EVIDENCE_BYTES,
    InvalidPrintEvidence,
    parse_print_evidence,
)
from partledger.storage import StorageError, get_bytes


def unindexed_references(ledger: Ledger, engine: Engine, max_blocks: int) -> set[str] | None:
    """Blob ids the blocks after the index's checkpoint may refer to (lowercase hex).

    ``None`` when they cannot be read cheaply: the index never synced, or is more than
    ``max_blocks`` behind the chain head (the caller then judges no blob an orphan)."""
    with engine.connect() as conn:
        state = Store(engine.dialect.name).load_state(conn)
    if state is None:
        return None
    head = ledger.w3.eth.block_number
    if head <= state.last_block:
        return set()
    if head - state.last_block > max_blocks:
        return None
    logs = ledger.w3.eth.get_logs({
        "fromBlock": state.last_block + 1,
        "toBlock": head,
        "address": [Web3.to_checksum_address(a) for a in state.contracts],
    })  # fmt: skip
    words: set[str] = set()
    for log in logs:
        words.update(bytes(topic).hex() for topic in log["topics"][1:])
        data = bytes(log["data"])
        words.update(data[i : i + 32].hex() for i in range(0, len(data) - 31, 32))
    return words | _named_by_documents(ledger, words)


def _named_by_documents(ledger: Ledger, words: set[str]) -> set[str]:
    """Blobs named by the batch documents and print-evidence manifests among ``words``
    (each stored word small enough to be one is opened; a design container never is)."""
    store = ledger.store
    small: set[str] = set()
    for word in words:
        try:
            if store.stat(word).size <= MAX_DOCUMENT_BYTES:
                small.add(word)
        except StorageError:
            continue  # not a stored blob: an address, an id, a count
    reports = set(small)  # a direct print's quality-report hash may name a manifest
    for word in small:
        try:
            batch = read_batch_document(store, word, strict=False)
        except (BatchDocumentError, StorageError, ValueError):
            continue
        reports.update(bytes(r.quality_report_hash).hex() for r in batch.records)
    named = reports - small
    for report in reports:
        named |= _named_by_manifest(ledger, report)
    return named


def _named_by_manifest(ledger: Ledger, blob: str) -> set[str]:
    """The documents a print-evidence manifest names (nothing if ``blob`` is not one)."""
    try:
        evidence = parse_print_evidence(get_bytes(ledger.store, blob, max_bytes=MAX_EVIDENCE_BYTES))
    except (InvalidPrintEvidence, StorageError, ValueError):
        return set()
    if evidence is None:
        return set()
    return {h for h in (evidence.footprint, evidence.quality_report, evidence.baseline) if h}
