"""Request (``*Create``) and response (``*Public``) bodies of the API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from partledger.passport.gs1 import normalize_gtin

Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
HexBytes = Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2}){1,4096}$")]
BlobId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Exact(BaseModel):
    """A response body built by hand (not through the model): the schema is exact, and
    ``extra="forbid"`` lets the tests catch any member the service adds but not here."""

    model_config = ConfigDict(extra="forbid")


# -- auth ---------------------------------------------------------------------------------
class NoncePublic(BaseModel):
    nonce: str
    expires_in: int


_SIWE_EXAMPLE = (
    "ledger.example.org wants you to sign in with your Ethereum account:\n"
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n\nSign in to PartLedger\n\n"
    "URI: https://ledger.example.org/v1/auth/token\nVersion: 1\nChain ID: 31337\n"
    "Nonce: 5f0c2a9e8b7d4c1aa3e6f9b2d8c4e1f0\nIssued At: 2026-06-12T09:30:00.000Z\n"
    "Expiration Time: 2026-06-12T09:35:00.000Z"
)


class TokenCreate(Strict):
    """An EIP-4361 message naming this service's origin, and its ``personal_sign``
    signature (or an EIP-1271 wallet's)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": _SIWE_EXAMPLE, "signature": "0x" + "1b" * 65}]},
    )

    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    signature: Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$")]


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_at: int
    address: str
    roles: list[str]


class BrowserTicketPublic(BaseModel):
    ticket: str
    """Single use; exchanged by the sign-in page for the auditor pages' session cookie."""
    expires_at: int
    sign_in_url: str
    """Open this in a browser: the ticket is in the fragment, which is never sent to a server."""


class MePublic(BaseModel):
    address: str
    roles: list[str]
    custodial: bool


# -- blobs ----------------------------------------------------------------------------------
class BlobPublic(BaseModel):
    sha256: str
    size: int
    kind: str


# -- designs ------------------------------------------------------------------------------
class TxPublic(BaseModel):
    tx_hash: str
    block_number: int


class DesignPublic(BaseModel):
    design_id: str
    owner: str
    registered_at: int
    status: str
    content_hash: str
    container_hash: str
    metadata_hash: str
    revises: str | None


class RegisteredDesignPublic(BaseModel):
    design_id: str
    content_sha256: str
    container_sha256: str
    metadata_hash: str
    revises: str | None
    tx: TxPublic


class DesignActionCreate(Strict):
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""


def _gtin(value: str | None) -> str | None:
    return None if value is None else normalize_gtin(value)


GtinField = Annotated[
    str | None,
    StringConstraints(pattern=r"^(\d{8}|\d{12,14})$"),
    AfterValidator(_gtin),
    Field(description="GS1 GTIN-8, -12, -13 or -14 (its check digit is checked); stored and "
          "answered as 14 digits", examples=["04006381333931"]),
]  # fmt: skip
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PublicProductCreate(Strict):
    """What the design's owner makes public about the parts printed from it (the design's own
    metadata stays encrypted). Everything is optional; a PUT replaces the whole record."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "gtin": "4006381333931", "name": "Bracket, hydraulic line",
                    "part_number": "BR-2041", "revision": "C", "material": "Ti-6Al-4V",
                    "process": "Laser powder bed fusion",
                }
            ]
        },
    )  # fmt: skip

    gtin: GtinField = None
    name: Text200 | None = None
    part_number: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    revision: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    material: Text200 | None = None
    process: Text200 | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class PublicProductPublic(Exact):
    """A design's public product record."""

    design_id: str
    gtin: str | None
    name: str | None
    part_number: str | None
    revision: str | None
    material: str | None
    process: str | None
    description: str | None
    owner: str
    updated_at: int


# -- licences -------------------------------------------------------------------------------
class LicencePublic(BaseModel):
    licence_id: str
    design_id: str
    hub: str
    licence_index: int
    max_prints: int
    printed: int
    remaining: int
    valid_from: int
    valid_until: int
    status: str
    required_standard: str | None
    terms_hash: str
    wrapped_key_hash: str
    refund_on_invalidate: bool


class LicenceCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "design_id": "0x" + "ab" * 32,
                    "hub": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                    "max_prints": 10,
                    "valid_until": 1798675200,
                    "required_standard": "ISO/ASTM 52904",
                    "terms": {"price_per_print": "EUR 40", "support": "next business day"},
                }
            ]
        },
    )

    design_id: Hex32
    hub: Address
    max_prints: int = Field(ge=1, le=2**32 - 1)
    valid_until: int = Field(ge=0, le=2**40 - 1)
    valid_from: int | None = Field(default=None, ge=0, le=2**40 - 1)
    required_standard: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    terms: dict[str, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict, max_length=100
    )
    refund_on_invalidate: bool = False


class IssuedLicencePublic(BaseModel):
    licence_id: str
    design_id: str
    hub: str
    wrapped_key_hash: str
    terms_hash: str
    tx: TxPublic


class LicenceAmendCreate(Strict):
    add_prints: int = Field(default=0, ge=0, le=2**32 - 1)
    valid_until: int | None = Field(default=None, ge=0, le=2**40 - 1)
    terms_hash: Hex32 | None = None


class LicenceActionCreate(Strict):
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""


# -- hub ---------------------------------------------------------------------------------------
class MachinePublic(BaseModel):
    machine_id: str
    machine_hash: str | None
    retired: bool


class WrappedKeyPublic(BaseModel):
    licence_id: str
    wrapped_key_hash: str
    wrapped_key: str
    """The HPKE-wrapped data key, hex (``WrappedKey.from_bytes``)."""


# -- access log -------------------------------------------------------------------------------
class AccessEntryPublic(BaseModel):
    seq: int
    at: int
    account: str
    action: str
    design_id: str
    licence_id: str | None
    hub: str | None
    oem: str
    blob: str
    bytes: int
    complete: bool
    client: str
    request_id: str
    prev_hash: str
    entry_hash: str


class AccessChainPublic(BaseModel):
    entries: int
    ok: bool
    first_broken_seq: int | None
    head_hash: str
    anchored_seq: int | None = None
    """The newest log head committed on-chain (entries up to it cannot be cut off)."""


# -- prints -----------------------------------------------------------------------------------
class AttestationCreate(Strict):
    licence_id: Hex32
    serial: Hex32
    """keccak256 of the serial number (UTF-8), as signed."""
    machine_id: Hex32
    material_lot_hash: Hex32
    quality_report_hash: Hex32
    deadline: int = Field(ge=0, le=2**53 - 1)
    """Unix seconds, as signed; at most 2^53-1 (exact in JSON, fits the relay queue)."""
    signature: HexBytes


class AttestationsCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "attestations": [
                        {
                            "licence_id": "0x" + "5f" * 32,
                            "serial": "0x" + "a1" * 32,
                            "machine_id": "0x" + "c3" * 32,
                            "material_lot_hash": "0x" + "d4" * 32,
                            "quality_report_hash": "0x" + "00" * 32,
                            "deadline": 1767229200,
                            "signature": "0x" + "2b" * 65,
                        }
                    ]
                }
            ]
        },
    )

    attestations: list[AttestationCreate] = Field(min_length=1, max_length=1000)


class ReceiptPublic(BaseModel):
    receipt_id: str
    status: str
    hub: str
    design_id: str
    licence_id: str
    serial: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    error: str | None
    merkle_root: str | None = None
    merkle_proof: list[str] | None = None


class ReceiptsPublic(BaseModel):
    receipts: list[ReceiptPublic]


# -- audit ------------------------------------------------------------------------------------
class ClaimPublic(Exact):
    name: str
    passed: bool
    detail: str


class PrintRecordPublic(Exact):
    """The attested record (what the hub signed), every member a 0x-prefixed bytes32."""

    licence_id: str
    serial: str
    """keccak256 of the serial number."""
    machine_id: str
    material_lot_hash: str
    quality_report_hash: str


class AttestationPublic(Exact):
    """Where and how the print was attested."""

    kind: str
    """``direct``, ``relayed``, ``batch``, ``merkle`` (anchored) or ``contract-call``."""
    tx_hash: str
    block_number: int
    block_hash: str
    timestamp: int
    """The block's timestamp (Unix seconds)."""
    confirmations: int
    merkle_root: str | None
    merkle_proof: list[str]
    log_index: int


class ProvenanceDesignPublic(Exact):
    """The design's on-chain record when the provenance was read."""

    owner: str
    registered_at: int
    status: str
    """``Active``, ``Deprecated`` or ``Recalled``."""
    content_hash: str
    container_hash: str
    metadata_hash: str
    revises: str | None
    latest_revision: str


class ProvenanceLicencePublic(Exact):
    """The licence the print was debited from, as the chain sees it now."""

    licence_id: str
    design_id: str
    hub: str
    licence_index: int
    max_prints: int
    printed: int
    remaining: int
    valid_from: int
    valid_until: int
    status: str
    required_standard: str
    """Empty when the licence requires no qualification."""
    terms_hash: str
    wrapped_key_hash: str
    refund_on_invalidate: bool


class HubInfoPublic(Exact):
    address: str
    name: str
    locode: str
    """UN/LOCODE of the hub's site."""
    key_version: int
    """Version of the hub's published HPKE key."""


class MachineInfoPublic(Exact):
    machine_id: str
    hub: str
    retired: bool
    registered_at: int
    retired_at: int | None
    machine_hash: str


class QualificationPublic(Exact):
    """The machine's qualification record for the licence's standard in force at the print,
    replayed from the certifiers' events. Without any record before the print, only
    ``standard`` is set and ``in_force`` is false."""

    standard: str
    in_force: bool
    certifier: str | None
    certificate_hash: str | None
    valid_from: int | None
    valid_until: int | None
    revoked: bool | None
    revoked_by: str | None
    recorded_in_tx: str | None
    recorded_at_block: int | None
    judged_at: int | None
    """The moment the record was judged at: the print's block timestamp."""


class AnchorPublic(Exact):
    """Where a Merkle-anchored print sits: anchor root, slot, proof, batch document."""

    root: str
    leaf_index: int
    anchored_at: int
    licence_ids: list[str]
    counts: list[int]
    path: list[str]
    """The RFC 9162 audit path of the leaf."""
    document_hash: str
    """Blob id of the published batch document."""
    document_problem: str | None
    """Why the batch document does not describe this anchor (null when it does)."""


class SerialClaimPublic(Exact):
    """One attestation of the serial anywhere (direct, relayed, batch, or an anchored leaf)."""

    kind: str
    tx_hash: str
    block_number: int
    root: str | None
    leaf_index: int | None
    description: str


_H = "0x" + "ab" * 32
_A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PROVENANCE_EXAMPLE: dict[str, Any] = {
    "design_id": _H,
    "serial_number": "SN-0001",
    "record": {
        "licence_id": _H, "serial": _H, "machine_id": _H,
        "material_lot_hash": _H, "quality_report_hash": _H,
    },
    "attestation": {
        "kind": "relayed", "tx_hash": _H, "block_number": 1234, "block_hash": _H,
        "timestamp": 1767225600, "confirmations": 13, "merkle_root": None,
        "merkle_proof": [], "log_index": 0,
    },
    "design": {
        "owner": _A, "registered_at": 1767139200, "status": "Active", "content_hash": _H,
        "container_hash": _H, "metadata_hash": _H, "revises": None, "latest_revision": _H,
    },
    "licence": {
        "licence_id": _H, "design_id": _H, "hub": _A, "licence_index": 0, "max_prints": 10,
        "printed": 1, "remaining": 9, "valid_from": 1767139200, "valid_until": 1798675200,
        "status": "Active", "required_standard": "ISO/ASTM 52904", "terms_hash": _H,
        "wrapped_key_hash": _H, "refund_on_invalidate": False,
    },
    "hub": {"address": _A, "name": "Hub Milano", "locode": "ITMIL", "key_version": 1},
    "machine": {
        "machine_id": _H, "hub": _A, "retired": False, "registered_at": 1767139200,
        "retired_at": None, "machine_hash": _H,
    },
    "qualification": {
        "standard": "ISO/ASTM 52904", "in_force": True, "certifier": _A,
        "certificate_hash": _H, "valid_from": 1767139200, "valid_until": 1798675200,
        "revoked": False, "revoked_by": None, "recorded_in_tx": _H,
        "recorded_at_block": 1200, "judged_at": 1767225600,
    },
    "invalidated": False,
    "recalled": False,
    "refunded": False,
    "anchor": None,
    "serial_claims": [
        {
            "kind": "direct", "tx_hash": _H, "block_number": 1234, "root": None,
            "leaf_index": None, "description": f"direct attestation in tx {_H} (block 1234)",
        }
    ],
    "unreadable_batches": [],
    "verified": True,
    "claims": [
        {"name": "print.serial_unique", "passed": True,
         "detail": "the only attestation of this serial"},
    ],
}  # fmt: skip


class ProvenancePublic(Exact):
    """A part's provenance, each claim re-verified; ``verified`` only if all passed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PROVENANCE_EXAMPLE]})

    design_id: str
    serial_number: str
    record: PrintRecordPublic
    attestation: AttestationPublic
    design: ProvenanceDesignPublic
    licence: ProvenanceLicencePublic
    hub: HubInfoPublic
    machine: MachineInfoPublic
    qualification: QualificationPublic | None
    """Null when the licence requires no qualification."""
    invalidated: bool
    recalled: bool
    refunded: bool
    """The OEM confirmed the print's invalidation and the copy went back to the licence."""
    anchor: AnchorPublic | None
    """Set for a Merkle-anchored print."""
    serial_claims: list[SerialClaimPublic]
    """Every attestation of this serial; more than one fails ``print.serial_unique``."""
    unreadable_batches: list[str]
    """Anchors whose batch document is missing or invalid (their leaves could not be read)."""
    verified: bool
    claims: list[ClaimPublic]


class EventPublic(BaseModel):
    event: str
    block_number: int
    log_index: int
    tx_hash: str
    args: dict[str, Any]


class EventsPublic(BaseModel):
    events: list[EventPublic]
    next_after_block: int | None


class ReadyPublic(BaseModel):
    status: str
    checks: dict[str, str]
    indexer_lag: int | None
    relayer_queue_depth: int | None


class FindingPublic(BaseModel):
    check: str
    severity: str
    message: str
    ids: dict[str, str]
    repairable: bool


class ReconciliationPublic(BaseModel):
    clean: bool
    seconds: float
    deep: bool
    checked: dict[str, int]
    findings: list[FindingPublic]
