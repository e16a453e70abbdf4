"""What the chain and the published batch documents say about one serial, and when.

The auditor judges a part from this evidence: every attestation of its (design, serial) on the
direct paths (``PrintAttested`` events) and in anchored batches (the documents whose SHA-256 the
``BatchAnchored`` events commit), and the qualification record that was in force at the print's
exact position in the chain (replayed from the certifiers' events, not read as it is now).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hexbytes import HexBytes

from partledger.chain.ids import PrintRecord
from partledger.sdk.batches import (
    AnchoredBatch,
    BatchDocumentError,
    batch_problem,
    read_batch_document,
)
from partledger.sdk.ledger import Ledger
from partledger.sdk.types import hex32
from partledger.storage import BlobNotFoundError, StorageError

__all__ = ["AnchorEvidence", "ChainEvidence", "SerialClaimRef"]

Position = tuple[int, int]  # (block number, log index)


@dataclass(frozen=True)
class AnchorEvidence:
    """Where an anchored print sits: its anchor, slot and proof, and its batch document."""

    root: str
    leaf_index: int
    anchored_at: int
    licence_ids: tuple[str, ...]
    counts: tuple[int, ...]
    path: tuple[str, ...]
    document_hash: str
    document_problem: str | None = None

    def proof_args(self) -> tuple[int, int, list[bytes], list[int], list[bytes]]:
        """The ``AnchorProof`` tuple for ``verifyAnchoredPrint``."""
        return (
            self.leaf_index,
            self.anchored_at,
            [bytes.fromhex(x[2:]) for x in self.licence_ids],
            list(self.counts),
            [bytes.fromhex(x[2:]) for x in self.path],
        )


@dataclass(frozen=True)
class SerialClaimRef:
    """One attestation of a serial, on the direct paths or in an anchored batch."""

    kind: str  # direct | merkle
    tx_hash: str
    block_number: int
    log_index: int
    record: PrintRecord
    root: str | None = None
    leaf_index: int | None = None

    def describe(self) -> str:
        where = f"tx {self.tx_hash} (block {self.block_number})"
        if self.root is not None:
            return f"leaf {self.leaf_index} of anchor {self.root}, {where}"
        return f"{self.kind} attestation in {where}"


class ChainEvidence:
    """Reads claims and qualification history from the chain and the blob store."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._documents: dict[str, tuple[AnchoredBatch | None, str | None]] = {}

    def _logs(self, event: str, **filters: Any) -> list[Any]:
        logs = getattr(self.ledger.prints.events, event)().get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters=filters
        )
        return sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))

    def direct_claims(self, design: bytes, serial: bytes) -> list[SerialClaimRef]:
        """Every ``PrintAttested`` of (design, serial), oldest first."""
        return [
            SerialClaimRef(
                "direct",
                HexBytes(log["transactionHash"]).to_0x_hex(),
                int(log["blockNumber"]),
                int(log["logIndex"]),
                PrintRecord(
                    bytes(log["args"]["licenceId"]),
                    serial,
                    bytes(log["args"]["machineId"]),
                    bytes(log["args"]["materialLotHash"]),
                    bytes(log["args"]["qualityReportHash"]),
                ),
            )
            for log in self._logs("PrintAttested", designId=design, serial=serial)
        ]

    def anchored_claims(
        self, design: bytes, serial: bytes
    ) -> tuple[list[tuple[SerialClaimRef, AnchorEvidence]], list[str]]:
        """Every leaf of (design, serial) in the published documents of anchors by hubs licensed
        for the design; and the roots of those anchors whose documents cannot be read."""
        licences = {bytes(log["args"]["licenceId"]): log for log in
                    self._logs("LicenceIssued", designId=design)}  # fmt: skip
        hubs = sorted({log["args"]["hub"] for log in licences.values()})
        found: list[tuple[SerialClaimRef, AnchorEvidence]] = []
        unreadable: list[str] = []
        for hub in hubs:
            for log in self._logs("BatchAnchored", hub=hub):
                args = log["args"]
                if not set(map(bytes, args["licenceIds"])) & set(licences):
                    continue
                batch, problem = self._document(log)
                if batch is None:
                    unreadable.append(f"{hex32(args['root'])}: {problem}")
                    continue
                for index, record in enumerate(batch.records):
                    if record.serial == serial and record.licence_id in licences:
                        claim, evidence = self._anchored_claim(log, batch, index)
                        found.append((claim, _with_problem(evidence, problem)))
        return found, unreadable

    def anchored_claim_in(
        self, batch: AnchoredBatch, serial_number: str
    ) -> tuple[SerialClaimRef, AnchorEvidence] | None:
        """The claim of ``serial_number`` in a given batch (its anchor must be on-chain)."""
        if serial_number not in batch.serial_numbers:
            return None
        logs = self._logs("BatchAnchored", root=bytes.fromhex(batch.root[2:]))
        if not logs:
            return None
        log = logs[0]
        published, problem = self._document(log)
        claim, evidence = self._anchored_claim(log, batch, batch.index_of(serial_number))
        if published is None:
            problem = f"the published document: {problem}"
        elif published.document_bytes() != batch.document_bytes():
            problem = "the given document differs from the one committed on-chain"
        return claim, _with_problem(evidence, problem or batch_problem(batch))

    def _document(self, log: Any) -> tuple[AnchoredBatch | None, str | None]:
        """The batch document committed by an anchor, and what is wrong with it (if anything)."""
        args = log["args"]
        root = hex32(args["root"])
        if root not in self._documents:
            blob = bytes(args["documentHash"]).hex()
            try:
                batch = read_batch_document(self.ledger.store, blob, strict=False)
                problem = batch_problem(batch) or _document_mismatch(batch, args)
                self._documents[root] = (batch, problem)
            except BlobNotFoundError:
                self._documents[root] = (None, f"batch document {blob} is not published")
            except (BatchDocumentError, StorageError) as exc:
                self._documents[root] = (None, f"batch document {blob} is unreadable: {exc}")
        return self._documents[root]

    def _anchored_claim(
        self, log: Any, batch: AnchoredBatch, index: int
    ) -> tuple[SerialClaimRef, AnchorEvidence]:
        args = log["args"]
        block = self.ledger.w3.eth.get_block(log["blockNumber"])
        claim = SerialClaimRef(
            "merkle",
            HexBytes(log["transactionHash"]).to_0x_hex(),
            int(log["blockNumber"]),
            int(log["logIndex"]),
            batch.records[index],
            hex32(args["root"]),
            index,
        )
        evidence = AnchorEvidence(
            root=hex32(args["root"]),
            leaf_index=index,
            anchored_at=int(block["timestamp"]),
            licence_ids=tuple(hex32(x) for x in args["licenceIds"]),
            counts=tuple(int(c) for c in args["counts"]),
            path=tuple(hex32(x) for x in batch.tree().proof(index)),
            document_hash=hex32(args["documentHash"]),
        )
        return claim, evidence

    def qualification_at(
        self, subject: bytes, standard: bytes, position: Position, timestamp: int
    ) -> dict[str, Any] | None:
        """The qualification record of (subject, standard) in force just before ``position``
        (None if none was ever recorded before it), replayed from the certifiers' events."""
        recorded = self._logs("QualificationRecorded", subject=subject, standard=standard)
        revoked = self._logs("QualificationRevoked", subject=subject, standard=standard)
        before = [log for log in recorded if _position(log) < position]
        if not before:
            return None
        last = before[-1]
        args = last["args"]
        revocations = [log for log in revoked if _position(last) < _position(log) < position]
        valid_from, valid_until = int(args["validFrom"]), int(args["validUntil"])
        return {
            "certifier": args["certifier"],
            "certificate_hash": hex32(args["certificateHash"]),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "revoked": bool(revocations),
            "revoked_by": revocations[0]["args"]["by"] if revocations else None,
            "recorded_in_tx": HexBytes(last["transactionHash"]).to_0x_hex(),
            "recorded_at_block": int(last["blockNumber"]),
            "in_force": not revocations and valid_from <= timestamp <= valid_until,
            "judged_at": timestamp,
        }


def _position(log: Any) -> Position:
    return int(log["blockNumber"]), int(log["logIndex"])


def _with_problem(evidence: AnchorEvidence, problem: str | None) -> AnchorEvidence:
    return replace(evidence, document_problem=problem)


def _document_mismatch(batch: AnchoredBatch, args: Any) -> str | None:
    """Why a parsed document does not describe this anchor (None if it does)."""
    if batch.root.lower() != hex32(args["root"]).lower():
        return f"the document's root {batch.root} is not the anchored root"
    if batch.licence_ids != list(map(bytes, args["licenceIds"])) or batch.counts != [
        int(c) for c in args["counts"]
    ]:
        return "the document's entries differ from the anchored licences and counts"
    return None
