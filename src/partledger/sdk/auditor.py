"""The auditor's client: assemble a part's provenance and verify every claim on-chain.

No role is needed: every read is public. ``provenance()`` gathers design,
revision, owner, licence, hub, machine, the qualification in force at the print,
the attestation and its block, and every other attestation of the same serial
(direct or in a published batch document); ``verify()`` re-checks each claim
against the chain (and the blob store when it has one) and names each claim that
fails. A part verifies only if its serial has exactly one attestation, and an
anchored part only with its batch document, in the slot its licence was debited.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from partledger.chain import ids
from partledger.chain.ids import PrintRecord
from partledger.chain.ledger_errors import UnknownLicence, UnknownPrint
from partledger.sdk.batches import AnchoredBatch
from partledger.sdk.evidence import AnchorEvidence, ChainEvidence, SerialClaimRef
from partledger.sdk.footprint_check import FootprintClaims, check_footprint
from partledger.sdk.hub import DESIGN_STATUS, LicenceView, read_licence
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.types import ZERO32, decode_standard, hex32, to_bytes32
from partledger.storage import blob_digest

_SELECTORS = {
    bytes(Web3.keccak(text=sig))[:4]: kind
    for sig, kind in (
        ("attestPrint((bytes32,bytes32,bytes32,bytes32,bytes32))", "direct"),
        ("attestPrintBySig((bytes32,bytes32,bytes32,bytes32,bytes32),uint256,bytes)", "relayed"),
        ("attestBatch((bytes32,bytes32,bytes32,bytes32,bytes32)[])", "batch"),
        (
            "attestBatchBySig((bytes32,bytes32,bytes32,bytes32,bytes32)[],uint256[],bytes[])",
            "relayed",
        ),
        (
            "tryAttestBatchBySig((bytes32,bytes32,bytes32,bytes32,bytes32)[],uint256[],bytes[])",
            "relayed",
        ),
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
    log_index: int = 0


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
    refunded: bool = False
    anchor: AnchorEvidence | None = None
    serial_claims: tuple[SerialClaimRef, ...] = ()
    unreadable_batches: tuple[str, ...] = ()


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
        """The part's provenance and every attestation of its serial.

        Anchored parts are found through the published batch documents of the anchors of the
        design's licensed hubs; ``batch`` names one explicitly (it must be anchored on-chain).
        """
        design = to_bytes32(design_id, "design id")
        serial = ids.serial_hash(serial_number)
        evidence = ChainEvidence(self.ledger)
        direct = evidence.direct_claims(design, serial)
        anchored, unreadable = evidence.anchored_claims(design, serial)
        chosen: tuple[SerialClaimRef, AnchorEvidence | None] | None = None
        if batch is not None:
            given = evidence.anchored_claim_in(batch, serial_number)
            if given is None:
                raise UnknownPrint("UnknownPrint", {"designId": design, "serial": serial})
            if not any(c.root == given[0].root for c, _ in anchored):
                anchored.append(given)
            chosen = given
        claims = [*direct, *(c for c, _ in anchored)]
        if not claims:
            raise UnknownPrint("UnknownPrint", {"designId": design, "serial": serial})
        if chosen is None:
            chosen = (direct[0], None) if direct else anchored[0]
        claim, anchor = chosen
        attestation = self._attestation(claim.tx_hash, claim.block_number)
        attestation = dataclasses.replace(attestation, log_index=claim.log_index)
        if anchor is not None:
            attestation = dataclasses.replace(
                attestation, kind="merkle", merkle_root=anchor.root, merkle_proof=anchor.path
            )
        return self._assemble(
            design, serial_number, claim.record, attestation, evidence,
            anchor=anchor, claims=tuple(claims), unreadable=tuple(unreadable),
        )  # fmt: skip

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

    def _assemble(
        self,
        design: bytes,
        serial_number: str,
        record: PrintRecord,
        attestation: Attestation,
        evidence: ChainEvidence,
        *,
        anchor: AnchorEvidence | None,
        claims: tuple[SerialClaimRef, ...],
        unreadable: tuple[str, ...],
    ) -> Provenance:
        view = self.ledger.view
        d = view(REGISTRY, "design", design)
        try:
            licence = read_licence(self.ledger, hex32(record.licence_id))
        except UnknownLicence:  # a leaf naming a licence that was never issued is no print
            raise UnknownPrint(
                "UnknownPrint", {"designId": design, "serial": record.serial}
            ) from None
        hub_address = ids.hub_of_licence(record.licence_id)
        h = view(PRINT_LEDGER, "hub", hub_address)
        m = view(PRINT_LEDGER, "machine", record.machine_id)
        qualification = None
        if licence.required_standard != ZERO32:
            position = (attestation.block_number, attestation.log_index)
            found = evidence.qualification_at(
                record.machine_id, licence.required_standard, position, attestation.timestamp
            )
            qualification = {"standard": decode_standard(licence.required_standard)}
            qualification.update(found or {"in_force": False, "certifier": None})
        _attested, invalidated, recalled = view(PRINT_LEDGER, "printStatus", design, record.serial)
        refunded = bool(view(PRINT_LEDGER, "isPrintRefunded", design, record.serial))
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
                "registered_at": int(m[2]),
                "retired_at": int(m[3]) or None,
                "machine_hash": hex32(m[4]),
            },
            qualification=qualification,
            # an anchored print has no on-chain record to invalidate: its status is the design's
            invalidated=bool(invalidated) and anchor is None,
            recalled=bool(recalled) or DESIGN_STATUS[d[2]] == "Recalled",
            refunded=refunded and anchor is None,
            anchor=anchor,
            serial_claims=claims,
            unreadable_batches=unreadable,
        )

    # -- verifying ---------------------------------------------------------------------------
    def check(
        self, design_id: str, serial_number: str, *, batch: AnchoredBatch | None = None
    ) -> Verification:
        """Provenance and verification in one step: a serial nobody attested is a result too,
        one failed claim ``print.on_ledger`` ("not on the ledger — NOT VERIFIED")."""
        try:
            found = self.provenance(design_id, serial_number, batch=batch)
        except UnknownPrint:
            return Verification((_claim(
                "print.on_ledger", False,
                f"part {serial_number!r} of design {design_id} is not on the ledger — "
                "NOT VERIFIED",
            ),))  # fmt: skip
        return self.verify(found)

    def verify(self, p: Provenance, *, check_blobs: bool = True) -> Verification:
        """Re-check every claim of ``p`` against the chain (and the blob store)."""
        claims = [
            self._check_record(p),
            *self._check_batch_document(p),
            self._check_serial_unique(p),
            self._check_in_service(p),
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
            carbon = self.footprint(p)
            claims += [_claim(*c) for c in carbon.claims]
        return Verification(tuple(claims))

    def footprint(self, p: Provenance) -> FootprintClaims:
        """The carbon footprint the print committed to (and its claims), if any."""
        return check_footprint(
            self.ledger.store, p.record.quality_report_hash.hex(), p.design_id, p.design["owner"]
        )

    def _check_record(self, p: Provenance) -> Claim:
        design = to_bytes32(p.design_id)
        if p.anchor is not None:
            a = p.anchor
            ok = self.ledger.view(
                PRINT_LEDGER, "verifyAnchoredPrint", to_bytes32(a.root),
                p.record.as_tuple(), a.proof_args(),
            )  # fmt: skip
            return _claim(
                "print.record", bool(ok),
                f"leaf {a.leaf_index} of anchor {a.root}: in the slot range debited from its "
                f"licence, machine in service at the anchor, RFC 9162 proof"
                + ("" if ok else " — refused by verifyAnchoredPrint"),
            )  # fmt: skip
        stored = bytes(self.ledger.view(PRINT_LEDGER, "printCommitment", design, p.record.serial))
        expected = ids.print_commitment(p.record)
        return _claim(
            "print.record", stored == expected,
            f"on-chain commitment {hex32(stored)}, record hashes to {hex32(expected)}",
        )  # fmt: skip

    def _check_batch_document(self, p: Provenance) -> list[Claim]:
        if p.anchor is None:
            return []
        problem = p.anchor.document_problem
        return [
            _claim(
                "print.batch_document",
                problem is None,
                problem
                or f"document {p.anchor.document_hash} committed on-chain: every leaf "
                "in its licence's slot, root recomputed",
            )
        ]

    def _check_serial_unique(self, p: Provenance) -> Claim:
        claims = p.serial_claims
        detail = (
            "the only attestation of this serial"
            if len(claims) == 1
            else f"{len(claims)} attestations of this serial: "
            + "; ".join(c.describe() for c in claims)
        )
        if p.unreadable_batches:
            detail += f" ({len(p.unreadable_batches)} anchor(s) without a readable document)"
        return _claim("print.serial_unique", len(claims) == 1, detail)

    def _check_in_service(self, p: Provenance) -> Claim:
        problems = [
            text for flag, text in (
                (p.invalidated, "invalidated (scrapped or failed QA)"),
                (p.recalled, "its design is recalled"),
            ) if flag
        ]  # fmt: skip
        return _claim(
            "print.in_service", not problems, "; ".join(problems) or "not invalidated or recalled"
        )

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
        q = p.qualification or {}
        if q.get("certifier") is None:
            return _claim(
                "machine.qualification", False,
                f"no {decode_standard(standard)} record before the print",
            )  # fmt: skip
        return _claim(
            "machine.qualification", bool(q["in_force"]),
            f"{q['standard']} by {q['certifier']} (recorded in block {q['recorded_at_block']}), "
            f"valid {q['valid_from']}..{q['valid_until']}, print at {q['judged_at']}"
            + (f", revoked by {q['revoked_by']} before the print" if q["revoked"] else ""),
        )  # fmt: skip

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
