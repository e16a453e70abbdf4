"""The auditor's client: assemble a part's provenance and verify every claim on-chain.

No role is needed: every read is public. ``provenance()`` gathers design,
revision, owner, licence, hub, machine, qualification, the attestation and its
block; ``verify()`` re-checks each claim against the chain (and the blob store
when it has one) and names each claim that fails.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from partledger.chain import ids
from partledger.chain.ids import PrintRecord
from partledger.chain.ledger_errors import UnknownPrint
from partledger.chain.merkle import MerkleTree
from partledger.sdk.hub import DESIGN_STATUS, AnchoredBatch, LicenceView, read_licence
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.types import ZERO32, decode_standard, hex32, to_bytes32
from partledger.storage import blob_digest

_SELECTORS = {
    bytes(Web3.keccak(text=sig))[:4]: kind
    for sig, kind in (
        ("attestPrint((bytes32,bytes32,bytes32,bytes32,bytes32))", "direct"),
        ("attestPrintBySig((bytes32,bytes32,bytes32,bytes32,bytes32),uint256,bytes)", "relayed"),
        ("attestBatch((bytes32,bytes32,bytes32,bytes32,bytes32)[])", "batch"),
    )
}


@dataclass(frozen=True)
class Attestation:
    """How and where a print was attested."""

    kind: str  # direct | relayed | batch | merkle
    tx_hash: str
    block_number: int
    block_hash: str
    timestamp: int
    confirmations: int
    merkle_root: str | None = None
    merkle_proof: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """A part's history, from design to block."""

    design_id: str
    serial_number: str
    record: PrintRecord
    attestation: Attestation
    design: dict[str, Any]
    licence: LicenceView
    hub: dict[str, Any]
    machine: dict[str, Any]
    qualification: dict[str, Any] | None
    invalidated: bool
    recalled: bool


@dataclass(frozen=True)
class Claim:
    """One verified statement."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """The per-claim outcome of ``Auditor.verify``."""

    claims: tuple[Claim, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.claims)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.claims if not c.passed]


class Auditor:
    """Reads and verifies provenance; needs no role and no key."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # -- assembling ------------------------------------------------------------------------
    def provenance(
        self, design_id: str, serial_number: str, *, batch: AnchoredBatch | None = None
    ) -> Provenance:
        """The part's provenance; Merkle-anchored parts need the hub's ``batch``."""
        design = to_bytes32(design_id, "design id")
        serial = ids.serial_hash(serial_number)
        logs = self.ledger.prints.events.PrintAttested().get_logs(
            from_block=self.ledger.deployment.start_block,
            argument_filters={"designId": design, "serial": serial},
        )
        if logs:
            log = logs[-1]
            args = log["args"]
            record = PrintRecord(
                bytes(args["licenceId"]), serial, bytes(args["machineId"]),
                bytes(args["materialLotHash"]), bytes(args["qualityReportHash"]),
            )  # fmt: skip
            attestation = self._attestation(log["transactionHash"], log["blockNumber"])
        elif batch is not None and serial_number in batch.serial_numbers:
            index = batch.serial_numbers.index(serial_number)
            record = batch.records[index]
            attestation = self._anchor_attestation(batch, index)
        else:
            raise UnknownPrint("UnknownPrint", {"designId": design, "serial": serial})
        return self._assemble(design, serial_number, record, attestation)

    def _attestation(self, tx_hash: Any, block_number: int) -> Attestation:
        tx = self.ledger.w3.eth.get_transaction(tx_hash)
        kind = _SELECTORS.get(bytes(tx["input"])[:4], "contract-call")
        block = self.ledger.w3.eth.get_block(block_number)
        return Attestation(
            kind=kind,
            tx_hash=HexBytes(tx_hash).to_0x_hex(),
            block_number=int(block_number),
            block_hash=HexBytes(block["hash"]).to_0x_hex(),
            timestamp=int(block["timestamp"]),
            confirmations=self.ledger.w3.eth.block_number - int(block_number) + 1,
        )

    def _anchor_attestation(self, batch: AnchoredBatch, index: int) -> Attestation:
        root = to_bytes32(batch.root)
        logs = self.ledger.prints.events.BatchAnchored().get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters={"root": root}
        )
        if not logs:
            raise UnknownPrint("UnknownPrint", {"root": root})
        base = self._attestation(logs[0]["transactionHash"], logs[0]["blockNumber"])
        proof = MerkleTree.of_prints(batch.records).proof(index)
        return dataclasses.replace(
            base, kind="merkle", merkle_root=batch.root, merkle_proof=tuple(map(hex32, proof))
        )

    def _assemble(
        self, design: bytes, serial_number: str, record: PrintRecord, attestation: Attestation
    ) -> Provenance:
        view = self.ledger.view
        d = view(REGISTRY, "design", design)
        licence = read_licence(self.ledger, hex32(record.licence_id))
        hub_address = ids.hub_of_licence(record.licence_id)
        h = view(PRINT_LEDGER, "hub", hub_address)
        m = view(PRINT_LEDGER, "machine", record.machine_id)
        qualification = None
        if licence.required_standard != ZERO32:
            q = view(PRINT_LEDGER, "qualification", record.machine_id, licence.required_standard)
            qualification = {
                "standard": decode_standard(licence.required_standard),
                "certifier": q[0],
                "valid_from": int(q[1]),
                "valid_until": int(q[2]),
                "revoked": bool(q[3]),
                "certificate_hash": hex32(q[4]),
            }
        _attested, invalidated, recalled = view(PRINT_LEDGER, "printStatus", design, record.serial)
        return Provenance(
            design_id=hex32(design),
            serial_number=serial_number,
            record=record,
            attestation=attestation,
            design={
                "owner": d[0],
                "registered_at": int(d[1]),
                "status": DESIGN_STATUS[d[2]],
                "content_hash": hex32(d[3]),
                "container_hash": hex32(d[4]),
                "metadata_hash": hex32(d[5]),
                "revises": hex32(d[6]) if bytes(d[6]) != ZERO32 else None,
                "latest_revision": hex32(view(REGISTRY, "latestRevision", design)),
            },
            licence=licence,
            hub={
                "address": hub_address,
                "name": h[3],
                "locode": bytes(h[1]).decode(errors="replace"),
                "key_version": int(h[2]),
            },
            machine={
                "machine_id": hex32(record.machine_id),
                "hub": m[0],
                "retired": bool(m[1]),
                "machine_hash": hex32(m[2]),
            },
            qualification=qualification,
            invalidated=bool(invalidated),
            recalled=bool(recalled) or DESIGN_STATUS[d[2]] == "Recalled",
        )

    # -- verifying ---------------------------------------------------------------------------
    def verify(self, p: Provenance, *, check_blobs: bool = True) -> Verification:
        """Re-check every claim of ``p`` against the chain (and the blob store)."""
        claims = [
            self._check_record(p),
            self._check_block(p),
            _claim(
                "licence.design", p.licence.design_id == p.design_id,
                f"licence {p.licence.licence_id} is for design {p.licence.design_id}",
            ),
            _claim(
                "licence.hub", ids.hub_of_licence(p.record.licence_id) == p.hub["address"],
                f"licence issued to {ids.hub_of_licence(p.record.licence_id)}",
            ),
            self._check_machine(p),
            self._check_qualification(p),
            self._check_design(p),
        ]  # fmt: skip
        if check_blobs:
            claims += self._check_blobs(p)
        return Verification(tuple(claims))

    def _check_record(self, p: Provenance) -> Claim:
        design = to_bytes32(p.design_id)
        if p.attestation.kind == "merkle":
            assert p.attestation.merkle_root is not None
            ok = self.ledger.view(
                PRINT_LEDGER, "verifyAnchoredPrint", to_bytes32(p.attestation.merkle_root),
                p.record.as_tuple(), [to_bytes32(x) for x in p.attestation.merkle_proof],
            )  # fmt: skip
            return _claim("print.record", bool(ok), f"Merkle proof to {p.attestation.merkle_root}")
        stored = bytes(self.ledger.view(PRINT_LEDGER, "printCommitment", design, p.record.serial))
        expected = ids.print_commitment(p.record)
        return _claim(
            "print.record", stored == expected,
            f"on-chain commitment {hex32(stored)}, record hashes to {hex32(expected)}",
        )  # fmt: skip

    def _check_block(self, p: Provenance) -> Claim:
        block = self.ledger.w3.eth.get_block(p.attestation.block_number)
        canonical = HexBytes(block["hash"]).to_0x_hex()
        receipt = self.ledger.w3.eth.get_transaction_receipt(p.attestation.tx_hash)  # type: ignore[arg-type]
        ok = canonical == p.attestation.block_hash and receipt["status"] == 1
        ok = ok and HexBytes(receipt["blockHash"]).to_0x_hex() == canonical
        return _claim(
            "attestation.block", ok,
            f"tx {p.attestation.tx_hash} in canonical block {p.attestation.block_number}",
        )  # fmt: skip

    def _check_machine(self, p: Provenance) -> Claim:
        m = self.ledger.view(PRINT_LEDGER, "machine", p.record.machine_id)
        return _claim(
            "machine.hub", m[0] == p.hub["address"] and p.machine["hub"] == m[0],
            f"machine {hex32(p.record.machine_id)} belongs to {m[0]}",
        )  # fmt: skip

    def _check_qualification(self, p: Provenance) -> Claim:
        standard = p.licence.required_standard
        if standard == ZERO32:
            return _claim("machine.qualification", True, "the licence requires none")
        q = self.ledger.view(PRINT_LEDGER, "qualification", p.record.machine_id, standard)
        at = p.attestation.timestamp
        in_window = int(q[0], 16) != 0 and q[1] <= at <= q[2]
        revoked_before = bool(q[3]) and self._revoked_before(p, standard)
        return _claim(
            "machine.qualification", in_window and not revoked_before,
            f"{decode_standard(standard)} valid {q[1]}..{q[2]}, print at {at}"
            + (", revoked before the print" if revoked_before else ""),
        )  # fmt: skip

    def _revoked_before(self, p: Provenance, standard: bytes) -> bool:
        logs = self.ledger.prints.events.QualificationRevoked().get_logs(
            from_block=self.ledger.deployment.start_block,
            to_block=p.attestation.block_number,
            argument_filters={"subject": p.record.machine_id, "standard": standard},
        )
        return bool(logs)

    def _check_design(self, p: Provenance) -> Claim:
        d = self.ledger.view(REGISTRY, "design", to_bytes32(p.design_id))
        same = hex32(d[3]) == p.design["content_hash"] and hex32(d[4]) == p.design["container_hash"]
        return _claim(
            "design.registered", same and d[0] == p.design["owner"],
            f"design {p.design_id} owned by {d[0]}, status {DESIGN_STATUS[d[2]]}",
        )  # fmt: skip

    def _check_blobs(self, p: Provenance) -> list[Claim]:
        wanted = {
            "blob.container": p.design["container_hash"],
            "blob.metadata": p.design["metadata_hash"],
            "blob.wrapped_key": p.licence.wrapped_key_hash,
            "blob.terms": p.licence.terms_hash,
        }
        if p.record.quality_report_hash != ZERO32:
            wanted["blob.quality_report"] = hex32(p.record.quality_report_hash)
        return [self._check_blob(name, value[2:]) for name, value in wanted.items()]

    def _check_blob(self, name: str, blob_id: str) -> Claim:
        if not self.ledger.store.exists(blob_id):
            return _claim(name, False, f"blob {blob_id} is missing from the store")
        actual = blob_digest(self.ledger.store, blob_id)
        return _claim(name, actual == blob_id, f"blob {blob_id} hashes to {actual}")


def _claim(name: str, passed: bool, detail: str) -> Claim:
    return Claim(name, bool(passed), detail)
