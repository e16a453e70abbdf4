"""Request (``*Create``) and response (``*Public``) bodies of the API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
HexBytes = Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2}){1,4096}$")]
BlobId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- auth ---------------------------------------------------------------------------------
class NoncePublic(BaseModel):
    nonce: str
    expires_in: int


class TokenCreate(Strict):
    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    signature: Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$")]


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_at: int
    address: str
    roles: list[str]


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
    deadline: int = Field(ge=0, le=2**64 - 1)
    signature: HexBytes


class AttestationsCreate(Strict):
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
class ClaimPublic(BaseModel):
    name: str
    passed: bool
    detail: str


class ProvenancePublic(BaseModel):
    design_id: str
    serial_number: str
    record: dict[str, str]
    attestation: dict[str, Any]
    design: dict[str, Any]
    licence: dict[str, Any]
    hub: dict[str, Any]
    machine: dict[str, Any]
    qualification: dict[str, Any] | None
    invalidated: bool
    recalled: bool
    refunded: bool = False
    anchor: dict[str, Any] | None = None
    serial_claims: list[dict[str, Any]] = []
    unreadable_batches: list[str] = []
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
