"""High-level clients, one per role: Oem, Hub, Certifier, Auditor, Admin."""

from __future__ import annotations

from partledger.sdk.admin import Admin, Role
from partledger.sdk.auditor import Attestation, Auditor, Claim, Provenance, Verification
from partledger.sdk.batches import AnchoredBatch, BatchDocumentError
from partledger.sdk.certifier import Certifier
from partledger.sdk.claims import SerialClaim, genuine_claims
from partledger.sdk.evidence import AnchorEvidence, SerialClaimRef
from partledger.sdk.hub import (
    AttestedPrint,
    Hub,
    LicenceNotUsable,
    LicenceView,
    PrintInput,
    SignedAttestation,
    load_batch,
    read_licence,
    relay_attestation,
)
from partledger.sdk.journal import Intent, Journal, JournalError
from partledger.sdk.ledger import Ledger
from partledger.sdk.oem import (
    DesignAlreadyRegistered,
    DesignKeyUnavailable,
    DesignMetadata,
    IssuedLicence,
    Oem,
    RegisteredDesign,
)
from partledger.sdk.remote import ServiceClient, ServiceError
from partledger.sdk.types import InvalidIdentifier, TxRef

__all__ = [
    "Admin",
    "AnchorEvidence",
    "AnchoredBatch",
    "Attestation",
    "AttestedPrint",
    "Auditor",
    "BatchDocumentError",
    "Certifier",
    "Claim",
    "DesignAlreadyRegistered",
    "DesignKeyUnavailable",
    "DesignMetadata",
    "Hub",
    "Intent",
    "InvalidIdentifier",
    "IssuedLicence",
    "Journal",
    "JournalError",
    "Ledger",
    "LicenceNotUsable",
    "LicenceView",
    "Oem",
    "PrintInput",
    "Provenance",
    "RegisteredDesign",
    "Role",
    "SerialClaim",
    "SerialClaimRef",
    "ServiceClient",
    "ServiceError",
    "SignedAttestation",
    "TxRef",
    "Verification",
    "genuine_claims",
    "load_batch",
    "read_licence",
    "relay_attestation",
]
