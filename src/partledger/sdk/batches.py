"""Merkle-anchored batches: the published batch document, its layout rules and its proofs.

A batch document lists every leaf of an anchored tree, in leaf order, with the entries (licence,
count) the anchor debited. Its SHA-256 is committed on-chain in ``BatchAnchored`` and it is kept
in the blob store under that hash, so anyone can fetch it, recompute the root, and check that
every leaf sits in its own licence's debited range and that no serial appears twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from partledger.chain.ids import PrintRecord
from partledger.chain.merkle import MerkleTree
from partledger.errors import PartLedgerError
from partledger.sdk.types import TxRef, hex32, to_bytes32
from partledger.storage import BlobStore, get_bytes

BATCH_KIND = "partledger/merkle-batch/v2"
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

__all__ = [
    "BATCH_KIND",
    "AnchoredBatch",
    "BatchDocumentError",
    "BatchEntry",
    "batch_problem",
    "layout_batch",
    "parse_batch_document",
    "read_batch_document",
]


class BatchDocumentError(PartLedgerError, ValueError):
    """A batch document is malformed or does not match its root or its layout rules."""


@dataclass(frozen=True)
class BatchEntry:
    """One licence's share of an anchored batch (leaves ``[start, start + count)``)."""

    licence_id: bytes
    design_id: bytes
    licence_index: int
    count: int


@dataclass(frozen=True)
class AnchoredBatch:
    """A Merkle-anchored batch: root, entries, every leaf in order, and the document's blob."""

    root: str
    entries: tuple[BatchEntry, ...]
    records: tuple[PrintRecord, ...]
    serial_numbers: tuple[str, ...]
    batch_blob: str
    tx: TxRef
    hub: str = ""

    @property
    def licence_ids(self) -> list[bytes]:
        return [e.licence_id for e in self.entries]

    @property
    def counts(self) -> list[int]:
        return [e.count for e in self.entries]

    def tree(self) -> MerkleTree:
        return MerkleTree.of_prints(self.records)

    def index_of(self, serial_number: str) -> int:
        """The leaf index of a serial number (``KeyError`` if absent)."""
        try:
            return self.serial_numbers.index(serial_number)
        except ValueError:
            raise KeyError(serial_number) from None

    def proof(self, serial_number: str) -> tuple[int, list[bytes], list[int], list[bytes]]:
        """The ``AnchorProof`` tuple of one part: leaf index, licence ids, counts, path."""
        index = self.index_of(serial_number)
        return index, self.licence_ids, self.counts, self.tree().proof(index)

    def slot_licence(self, index: int) -> bytes | None:
        """The licence that owns leaf ``index`` (None past the last entry)."""
        end = 0
        for entry in self.entries:
            end += entry.count
            if index < end:
                return entry.licence_id
        return None

    def document(self) -> dict[str, Any]:
        """The published JSON document (its SHA-256 goes on-chain)."""
        return {
            "kind": BATCH_KIND,
            "hub": self.hub,
            "root": self.root,
            "entries": [
                {
                    "licenceId": hex32(e.licence_id),
                    "designId": hex32(e.design_id),
                    "licenceIndex": e.licence_index,
                    "count": e.count,
                }
                for e in self.entries
            ],
            "prints": [
                {"leafIndex": i, "serialNumber": s, "record": [hex32(v) for v in r.as_tuple()]}
                for i, (s, r) in enumerate(zip(self.serial_numbers, self.records, strict=True))
            ],
        }

    def document_bytes(self) -> bytes:
        return json.dumps(self.document(), sort_keys=True, separators=(",", ":")).encode()


def layout_batch(
    hub: str,
    parts: Sequence[tuple[str, PrintRecord]],
    licence_keys: dict[bytes, tuple[bytes, int]],
) -> AnchoredBatch:
    """Order ``(serial number, record)`` pairs licence by licence (first-seen order) and build
    the batch; ``licence_keys`` maps each licence id to its (design id, licence index)."""
    if not parts:
        raise BatchDocumentError("a batch needs at least one print")
    groups: dict[bytes, list[tuple[str, PrintRecord]]] = {}
    for serial_number, record in parts:
        groups.setdefault(record.licence_id, []).append((serial_number, record))
    ordered = [pair for group in groups.values() for pair in group]
    entries = tuple(
        BatchEntry(lid, *licence_keys[lid], count=len(group)) for lid, group in groups.items()
    )
    records = tuple(r for _, r in ordered)
    return AnchoredBatch(
        root=hex32(MerkleTree.of_prints(records).root),
        entries=entries,
        records=records,
        serial_numbers=tuple(s for s, _ in ordered),
        batch_blob="",
        tx=TxRef("", 0),
        hub=hub,
    )


def parse_batch_document(data: bytes, blob_id: str = "", *, strict: bool = True) -> AnchoredBatch:
    """Parse a batch document; with ``strict`` also check it (``batch_problem``).

    Raises ``BatchDocumentError`` naming what is wrong. It does not check the chain: the caller
    compares root, entries and document hash with the ``BatchAnchored`` event.
    """
    try:
        doc = json.loads(data)
        if doc.get("kind") != BATCH_KIND:
            raise BatchDocumentError(f"not a {BATCH_KIND} document (kind {doc.get('kind')!r})")
        entries = tuple(
            BatchEntry(
                to_bytes32(e["licenceId"]), to_bytes32(e["designId"]),
                int(e["licenceIndex"]), int(e["count"]),
            )
            for e in doc["entries"]
        )  # fmt: skip
        prints = doc["prints"]
        records = tuple(PrintRecord(*(to_bytes32(v) for v in p["record"])) for p in prints)
        serials = tuple(str(p["serialNumber"]) for p in prints)
        positions = [int(p["leafIndex"]) for p in prints]
        root, hub = str(doc["root"]), str(doc.get("hub", ""))
    except BatchDocumentError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BatchDocumentError(f"malformed batch document: {exc!r}") from None
    if not records:
        raise BatchDocumentError("the batch document lists no prints")
    if positions != list(range(len(records))):
        raise BatchDocumentError("leaf indexes are not 0..n-1 in order")
    batch = AnchoredBatch(root, entries, records, serials, blob_id, TxRef("", 0), hub)
    problem = batch_problem(batch) if strict else None
    if problem is not None:
        raise BatchDocumentError(problem)
    return batch


def batch_problem(batch: AnchoredBatch) -> str | None:
    """Why a batch breaks the layout rules (None if it keeps them): every leaf in the slot range
    of its own licence, exactly as many leaves as debited, the root recomputed from the leaves."""
    debited = sum(e.count for e in batch.entries)
    if debited != len(batch.records):
        return f"entries debit {debited} prints, the document lists {len(batch.records)}"
    for i, record in enumerate(batch.records):
        owner = batch.slot_licence(i)
        if owner != record.licence_id:
            return (
                f"leaf {i} names licence {hex32(record.licence_id)}, but the slot belongs to "
                f"{hex32(owner or b'')}"
            )
    computed = hex32(batch.tree().root)
    if computed.lower() != batch.root.lower():
        return f"the leaves hash to root {computed}, the document says {batch.root}"
    return None


def read_batch_document(store: BlobStore, batch_blob: str, *, strict: bool = True) -> AnchoredBatch:
    """Read a batch document from the blob store (hash-checked) and parse it."""
    data = get_bytes(store, batch_blob, max_bytes=MAX_DOCUMENT_BYTES)
    return parse_batch_document(data, batch_blob, strict=strict)
