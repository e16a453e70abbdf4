"""The print hub's client: identity and machines, licensed files, print attestations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.carbon import (
    Actual,
    CarbonError,
    Footprint,
    FootprintCalculator,
    default_factor_set,
    footprint_document,
)
from partledger.chain import ids
from partledger.chain.eip712 import sign_attest_print
from partledger.chain.ids import PrintRecord
from partledger.chain.ledger_errors import UnknownHub, UnknownLicence
from partledger.crypto import DataKey, HpkePrivateKey, Identity, WrappedKey, unwrap_dek
from partledger.errors import PartLedgerError
from partledger.sdk.baseline import (
    BaselineDeclaration,
    InvalidBaselineDeclaration,
    read_baseline_declaration,
)
from partledger.sdk.batches import AnchoredBatch, layout_batch, read_batch_document
from partledger.sdk.documents import open_document
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.print_evidence import PrintEvidence, print_evidence_document
from partledger.sdk.types import TxRef, hex32, to_bytes32
from partledger.storage import BlobNotFoundError, get_bytes, put_bytes
from partledger.storage.encrypted import retrieve_decrypted

LICENCE_STATUS = ("None", "Active", "Suspended", "Revoked")
DESIGN_STATUS = ("None", "Active", "Deprecated", "Recalled")
MAX_BATCH = 100


class LicenceNotUsable(PartLedgerError, PermissionError):
    """The licence does not allow fetching the design now (the chain says why)."""


@dataclass(frozen=True)
class LicenceView:
    """A licence as the chain sees it now."""

    licence_id: str
    design_id: str
    hub: str
    licence_index: int
    max_prints: int
    printed: int
    valid_from: int
    valid_until: int
    status: str
    required_standard: bytes
    terms_hash: str
    wrapped_key_hash: str
    refund_on_invalidate: bool

    @property
    def remaining(self) -> int:
        return max(0, self.max_prints - self.printed)


@dataclass(frozen=True)
class HubRecord:
    """A hub as the chain records it (``registered`` is false for an unknown address)."""

    address: str
    registered: bool
    name: str
    locode: str
    key_version: int
    hpke_public_key: bytes

    @classmethod
    def read(cls, ledger: Ledger, hub: str) -> HubRecord:
        """The chain's record of ``hub`` (all empty when it never registered)."""
        address = Web3.to_checksum_address(hub)
        registered, locode, key_version, name, key = ledger.view(PRINT_LEDGER, "hub", address)
        return cls(
            address=address,
            registered=bool(registered),
            name=str(name),
            locode=bytes(locode).rstrip(b"\x00").decode("ascii", "replace"),
            key_version=int(key_version),
            hpke_public_key=bytes(key),
        )

    def require(self) -> HubRecord:
        """This record, or ``UnknownHub`` (the contract's error) if the hub never registered."""
        if not self.registered:
            raise UnknownHub("UnknownHub", {"hub": self.address})
        return self


class HubLocationMismatch(CarbonError):
    """A footprint's hub location is not the hub's on-chain UN/LOCODE."""


class MissingBaseline(PartLedgerError, LookupError):
    """A footprint was asked for on a licence whose terms name no carbon baseline."""


@dataclass(frozen=True)
class PrintCarbon:
    """A print's footprint and the blob id of the baseline declaration it was computed from."""

    footprint: Footprint
    baseline_declaration: str


@dataclass(frozen=True)
class PrintInput:
    """What the hub knows about one printed part."""

    licence_id: str
    serial_number: str
    machine_id: str
    material_lot: str
    quality_report: bytes | None = None
    carbon: PrintCarbon | None = None
    """The print's logistics carbon footprint and the OEM's baseline declaration it rests on
    (``Hub.print_footprint``): stored and committed with the attestation through the
    print-evidence manifest."""

    def record(self, report_hash: bytes) -> PrintRecord:
        return PrintRecord(
            licence_id=to_bytes32(self.licence_id, "licence id"),
            serial=ids.serial_hash(self.serial_number),
            machine_id=to_bytes32(self.machine_id, "machine id"),
            material_lot_hash=Web3.keccak(text=self.material_lot),
            quality_report_hash=report_hash,
        )


@dataclass(frozen=True)
class AttestedPrint:
    """A print on the ledger."""

    record: PrintRecord
    serial_number: str
    tx: TxRef


@dataclass(frozen=True)
class SignedAttestation:
    """An EIP-712 ``AttestPrint`` signed by the hub, for any relayer to submit."""

    record: PrintRecord
    deadline: int
    signature: bytes


class Hub:
    """Acts for one print hub identity on a ``Ledger``."""

    def __init__(
        self,
        ledger: Ledger,
        identity: Identity,
        *,
        previous_keys: Sequence[HpkePrivateKey] = (),
    ) -> None:
        self.ledger = ledger
        self.identity = identity
        self.account: LocalAccount = Account.from_key(identity.eth_private_key)
        self._keys = {k.public_key().fingerprint: k for k in (*previous_keys, identity.hpke_key)}
        self._calculator = FootprintCalculator(default_factor_set())

    @property
    def address(self) -> str:
        return str(self.account.address)

    def _tx(self, fn: str, *args: Any) -> TxRef:
        sent = self.ledger.transact(self.account, PRINT_LEDGER, fn, *args)
        return TxRef(sent.tx_hash, sent.block_number)

    # -- identity and machines ---------------------------------------------------------
    def register(self, name: str, locode: str) -> TxRef:
        """Publish this hub: name, UN/LOCODE and HPKE public key (needs the hub role)."""
        public = self.identity.hpke_public_key.to_bytes()
        return self._tx("registerHub", name, ids.short_code(locode, 5), public)

    def rotate_key(self, new_key: HpkePrivateKey) -> TxRef:
        """Publish a new HPKE key; old keys stay usable for licences wrapped to them."""
        tx = self._tx("rotateHubKey", new_key.public_key().to_bytes())
        self._keys[new_key.public_key().fingerprint] = new_key
        return tx

    def register_machine(self, maker: str, model: str, serial_number: str) -> str:
        """Register a machine; returns its id (hash of hub and maker/model/serial)."""
        machine_hash = ids.machine_hash(maker, model, serial_number)
        self._tx("registerMachine", machine_hash)
        return hex32(ids.machine_id(self.address, machine_hash))

    def retire_machine(self, machine_id: str) -> TxRef:
        return self._tx("retireMachine", to_bytes32(machine_id, "machine id"))

    # -- licences ------------------------------------------------------------------------
    def licence(self, licence_id: str) -> LicenceView:
        """One licence as the chain sees it now."""
        return read_licence(self.ledger, licence_id)

    def licences(self) -> list[LicenceView]:
        """Every licence issued to this hub, with remaining prints."""
        event = self.ledger.prints.events.LicenceIssued()
        logs = event.get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters={"hub": self.address}
        )
        return [self.licence(hex32(log["args"]["licenceId"])) for log in logs]

    def fetch_design(
        self,
        licence_id: str,
        destination: Path | BinaryIO,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> str:
        """Download and decrypt a licensed design, verifying every hash against the chain.

        Refused unless the licence is usable now. One read of the container checks
        its hash, every segment and the plaintext hash. ``on_progress(n)`` reports
        container bytes read. Returns the plaintext SHA-256.
        """
        licence = self.licence(licence_id)
        if licence.hub != self.address:
            raise LicenceNotUsable(f"licence {licence_id} belongs to hub {licence.hub}")
        self._require_usable(licence)
        design = self.ledger.view(REGISTRY, "design", to_bytes32(licence.design_id))
        content_hash, container_hash = bytes(design[3]).hex(), bytes(design[4]).hex()
        dek = self._licence_key(licence_id, licence)
        return retrieve_decrypted(
            self.ledger.store, container_hash, dek, destination,
            expected_plaintext_sha256=content_hash, verify_container=True,
            on_progress=on_progress,
        )  # fmt: skip

    def _licence_key(self, licence_id: str, licence: LicenceView) -> DataKey:
        """The design key, unwrapped from this hub's wrapped copy for the licence."""
        wrapped = WrappedKey.from_bytes(get_bytes(self.ledger.store, licence.wrapped_key_hash[2:]))
        key = self._keys.get(wrapped.recipient, self.identity.hpke_key)
        return unwrap_dek(
            wrapped,
            key,
            design_id=to_bytes32(licence.design_id),
            licence_id=to_bytes32(licence_id),
        )

    def licence_terms(self, licence_id: str) -> dict[str, Any]:
        """The licence's sealed terms document (only the OEM and this hub can read it); its
        hash is on-chain."""
        licence = self.licence(licence_id)
        if licence.hub != self.address:
            raise LicenceNotUsable(f"licence {licence_id} belongs to hub {licence.hub}")
        dek = self._licence_key(licence_id, licence)
        return open_document(self.ledger.store, licence.terms_hash[2:], dek)

    def carbon_baseline(self, licence_id: str) -> BaselineDeclaration | None:
        """The OEM's signed baseline named in the licence terms (``carbon_baseline``), checked:
        signed by the design's owner, for the licence's design. ``None`` if the OEM named none."""
        terms = self.licence_terms(licence_id).get("terms", {})
        blob = terms.get("carbon_baseline") if isinstance(terms, dict) else None
        if blob is None:
            return None
        declaration = read_baseline_declaration(self.ledger.store, str(blob))
        licence = self.licence(licence_id)
        owner = self.ledger.view(REGISTRY, "design", to_bytes32(licence.design_id))[0]
        if declaration.declared_by != owner or declaration.design_id != licence.design_id.lower():
            raise InvalidBaselineDeclaration(
                f"the licence names baseline {blob}, declared by {declaration.declared_by} for "
                f"design {declaration.design_id}: not the design's owner {owner} and design"
            )
        return declaration

    def print_footprint(self, licence_id: str, actual: Actual) -> PrintCarbon:
        """This print's footprint from the OEM's declared baseline and the hub's actual inputs
        (``MissingBaseline`` if the licence names no baseline)."""
        declaration = self.carbon_baseline(licence_id)
        if declaration is None:
            raise MissingBaseline(
                f"licence {licence_id} names no carbon baseline: the OEM declares one "
                "(partledger carbon baseline) and names it in the licence terms"
            )
        on_chain = HubRecord.read(self.ledger, self.address).locode
        if actual.hub_locode.upper() != on_chain.upper():
            raise HubLocationMismatch(
                f"the print's hub location {actual.hub_locode!r} is not this hub's on-chain "
                f"UN/LOCODE {on_chain!r}"
            )
        footprint = self._calculator.for_print(declaration.baseline, actual)
        return PrintCarbon(footprint, declaration.blob_id)

    def container_size(self, licence_id: str) -> int | None:
        """Bytes of the stored container of a licence's design, if stored (for progress)."""
        licence = self.licence(licence_id)
        design = self.ledger.view(REGISTRY, "design", to_bytes32(licence.design_id))
        try:
            return self.ledger.store.stat(bytes(design[4]).hex()).size
        except BlobNotFoundError:
            return None  # fetch_design reports it, after the licence checks

    def _require_usable(self, licence: LicenceView) -> None:
        if problems := licence_problems(self.ledger, licence):
            raise LicenceNotUsable(f"licence {licence.licence_id}: " + "; ".join(problems))

    # -- prints ----------------------------------------------------------------------------
    def _report_hash(self, report: bytes | None) -> bytes:
        if report is None:
            return b"\x00" * 32
        return to_bytes32(put_bytes(self.ledger.store, report).sha256)

    def evidence_hash(self, part: PrintInput) -> bytes:
        """Store the print's documents; the hash its attestation commits to: the quality
        report's, or (with a footprint) the print-evidence manifest's naming both."""
        if part.carbon is None:
            return self._report_hash(part.quality_report)
        store = self.ledger.store
        footprint = put_bytes(store, footprint_document(part.carbon.footprint)).sha256
        report = None
        if part.quality_report is not None:
            report = put_bytes(store, part.quality_report).sha256
        evidence = PrintEvidence(footprint, report, part.carbon.baseline_declaration)
        manifest = print_evidence_document(evidence)
        return to_bytes32(put_bytes(store, manifest).sha256)

    def attest_print(self, part: PrintInput) -> AttestedPrint:
        """Attest one print from the hub's own account (quality report stored as a blob)."""
        record = part.record(self.evidence_hash(part))
        sent = self.ledger.transact(self.account, PRINT_LEDGER, "attestPrint", record.as_tuple())
        return AttestedPrint(record, part.serial_number, TxRef(sent.tx_hash, sent.block_number))

    def attest_prints(self, parts: Sequence[PrintInput]) -> list[AttestedPrint]:
        """Attest many prints, ``MAX_BATCH`` per transaction, each batch all-or-nothing."""
        out: list[AttestedPrint] = []
        for start in range(0, len(parts), MAX_BATCH):
            chunk = parts[start : start + MAX_BATCH]
            records = [p.record(self.evidence_hash(p)) for p in chunk]
            sent = self.ledger.transact(
                self.account, PRINT_LEDGER, "attestBatch", [r.as_tuple() for r in records]
            )
            tx = TxRef(sent.tx_hash, sent.block_number)
            out += [
                AttestedPrint(r, p.serial_number, tx) for r, p in zip(records, chunk, strict=True)
            ]
        return out

    def sign_attestation(self, part: PrintInput, *, deadline: int) -> SignedAttestation:
        """Sign a print for relayed submission (no transaction, no gas for the hub)."""
        record = part.record(self.evidence_hash(part))
        nonce = self.ledger.view(PRINT_LEDGER, "nonces", self.address)
        signature = sign_attest_print(
            self.account, record, nonce, deadline,
            self.ledger.w3.eth.chain_id, self.ledger.deployment.address(PRINT_LEDGER),
        )  # fmt: skip
        return SignedAttestation(record, deadline, signature)

    def anchor_batch(self, parts: Sequence[PrintInput]) -> AnchoredBatch:
        """Anchor many prints as one Merkle root; per-licence counts are debited on-chain.

        Leaves are laid out licence by licence (each licence's prints fill the range its entry
        debits); the batch document listing every leaf is published to the blob store first and
        its SHA-256 is committed with the root, so auditors can check every slot and serial.
        """
        records = [(p.serial_number, p.record(self.evidence_hash(p))) for p in parts]
        keys: dict[bytes, tuple[bytes, int]] = {}
        for _, record in records:
            if record.licence_id not in keys:
                view = self.licence(hex32(record.licence_id))
                keys[record.licence_id] = (to_bytes32(view.design_id), view.licence_index)
        batch = layout_batch(self.address, records, keys)
        blob = put_bytes(self.ledger.store, batch.document_bytes())
        entries = [(e.design_id, e.licence_index, e.count) for e in batch.entries]
        sent = self.ledger.transact(
            self.account, PRINT_LEDGER, "anchorBatch",
            to_bytes32(batch.root), entries, bytes.fromhex(blob.sha256),
        )  # fmt: skip
        return dataclasses.replace(
            batch, batch_blob=blob.sha256, tx=TxRef(sent.tx_hash, sent.block_number)
        )

    def invalidate_print(self, record: PrintRecord, reason: bytes) -> TxRef:
        """Invalidate a print (scrapped, failed QA); ``reason`` is hashed on-chain."""
        if not reason:
            raise ValueError("an invalidation needs a reason")
        return self._tx("invalidatePrint", record.as_tuple(), Web3.keccak(reason))

    def cancel_signatures(self) -> TxRef:
        """Invalidate every outstanding signed attestation of this hub."""
        return self._tx("cancelSignatures")


def relay_attestation(ledger: Ledger, relayer: LocalAccount, signed: SignedAttestation) -> TxRef:
    """Submit a hub-signed attestation from any funded account."""
    sent = ledger.transact(
        relayer, PRINT_LEDGER, "attestPrintBySig",
        signed.record.as_tuple(), signed.deadline, signed.signature,
    )  # fmt: skip
    return TxRef(sent.tx_hash, sent.block_number)


def load_batch(ledger: Ledger, batch_blob: str) -> AnchoredBatch:
    """Read an anchored batch's published document from the ledger's blob store (parsed only:
    the auditor checks its layout and that the chain committed it)."""
    return read_batch_document(ledger.store, batch_blob, strict=False)


def licence_problems(ledger: Ledger, licence: LicenceView) -> list[str]:
    """Why the chain, now, would not let the hub use ``licence`` (empty: usable)."""
    now = ledger.now()
    problems = []
    if licence.status != "Active":
        problems.append(f"status is {licence.status}")
    if now < licence.valid_from:
        problems.append(f"not valid before {_iso(licence.valid_from)} (now {_iso(now)})")
    if now > licence.valid_until:
        problems.append(f"expired at {_iso(licence.valid_until)} (now {_iso(now)})")
    if licence.remaining == 0:
        problems.append(f"all {licence.max_prints} prints used")
    if ledger.view(PRINT_LEDGER, "isDesignRecalled", to_bytes32(licence.design_id)):
        problems.append("the design is recalled")
    return problems


def _iso(seconds: int) -> str:
    """Unix seconds as ISO 8601 UTC, for messages people read."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_licence(ledger: Ledger, licence_id: str) -> LicenceView:
    """A licence as the chain sees it now (``UnknownLicence`` if it does not exist)."""
    lid = to_bytes32(licence_id, "licence id")
    raw = ledger.view(PRINT_LEDGER, "licence", lid)
    if raw[5] == 0:
        raise UnknownLicence("UnknownLicence", {"licenceId": lid})
    design = bytes(raw[0])
    hub = ids.hub_of_licence(lid)
    index = next(
        i for i in range(ledger.view(PRINT_LEDGER, "licenceCount", design))
        if ids.licence_id(design, hub, i) == lid
    )  # fmt: skip
    return LicenceView(
        licence_id=hex32(lid),
        design_id=hex32(design),
        hub=hub,
        licence_index=index,
        max_prints=int(raw[1]),
        printed=int(raw[2]),
        valid_from=int(raw[3]),
        valid_until=int(raw[4]),
        status=LICENCE_STATUS[raw[5]],
        required_standard=bytes(raw[8]),
        terms_hash=hex32(raw[9]),
        wrapped_key_hash=hex32(raw[10]),
        refund_on_invalidate=bool(raw[6]),
    )
