"""The auditor's carbon claims: the footprint a print committed to is there, intact, and adds up.

A print's ``qualityReportHash`` names one blob. When that blob is a print-evidence manifest
(``partledger.sdk.print_evidence``), the print committed to a footprint document: the claims
below re-read it from the store, check its hash, recompute every figure from its inputs with the
shipped factor set (``partledger.carbon``) and check it names the print's own design.
"""

from __future__ import annotations

from dataclasses import dataclass

from partledger.carbon import (
    CarbonError,
    Footprint,
    baseline_to_dict,
    default_factor_set,
    parse_footprint_document,
    verify_footprint_document,
)
from partledger.sdk.baseline import InvalidBaselineDeclaration, read_baseline_declaration
from partledger.sdk.print_evidence import InvalidPrintEvidence, PrintEvidence, parse_print_evidence
from partledger.storage import BlobStore, get_bytes
from partledger.storage.blob_store import blob_digest
from partledger.storage.errors import StorageError

MAX_FOOTPRINT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FootprintClaims:
    """The claims (name, passed, detail), and the footprint when it could be read."""

    claims: tuple[tuple[str, bool, str], ...]
    footprint: Footprint | None = None
    document_hash: str | None = None


def read_evidence(store: BlobStore, evidence_hash: str) -> PrintEvidence | None:
    """The manifest behind a print's evidence hash (``None``: a plain quality report)."""
    return parse_print_evidence(get_bytes(store, evidence_hash, max_bytes=MAX_FOOTPRINT_BYTES))


def check_footprint(
    store: BlobStore, evidence_hash: str, design_id: str, owner: str
) -> FootprintClaims:
    """Claims about the footprint a print's evidence hash (hex, no ``0x``) commits to; none when
    the print committed to a plain quality report or to nothing. ``owner``: the design's owner,
    who alone may declare its baseline."""
    if int(evidence_hash, 16) == 0:
        return FootprintClaims(())
    try:
        evidence = read_evidence(store, evidence_hash)
    except InvalidPrintEvidence as exc:
        return FootprintClaims((("print.evidence", False, f"evidence {evidence_hash}: {exc}"),))
    except (StorageError, OSError):
        return FootprintClaims(())  # blob.quality_report reports the missing or corrupt blob
    if evidence is None:
        return FootprintClaims(())
    try:
        document = get_bytes(store, evidence.footprint, max_bytes=MAX_FOOTPRINT_BYTES)
    except (StorageError, OSError) as exc:
        return FootprintClaims((("carbon.footprint", False,
                                 f"footprint document {evidence.footprint}: {exc}"),))  # fmt: skip
    try:
        footprint = parse_footprint_document(document)
        verification = verify_footprint_document(document, default_factor_set())
    except CarbonError as exc:
        return FootprintClaims(
            (("carbon.footprint", False, f"footprint document {evidence.footprint}: {exc}"),)
        )
    problems = [f"{m.field}: stated {m.stated}, recomputed {m.recomputed}"
                for m in verification.mismatches]  # fmt: skip
    if footprint.baseline.design_id.lower() != design_id.lower():
        problems.append(f"the baseline is for design {footprint.baseline.design_id}")
    detail = (
        f"{footprint.avoided_kg_co2e:.3f} kg CO2e avoided (baseline "
        f"{footprint.baseline_kg_co2e:.3f}, actual {footprint.actual_kg_co2e:.3f}; "
        f"{footprint.default_share:.0%} on default data; factors {footprint.factor_set_version})"
    )
    if problems:
        detail = "; ".join(problems[:5])
    claims = [("carbon.footprint", not problems, detail),
              _check_baseline(store, evidence, footprint, design_id, owner)]  # fmt: skip
    if evidence.quality_report is not None:
        try:
            actual = blob_digest(store, evidence.quality_report)
            detail = f"blob {evidence.quality_report} hashes to {actual}"
            claims.append(("blob.quality_report_document", actual == evidence.quality_report,
                           detail))  # fmt: skip
        except (StorageError, OSError) as exc:
            claims.append(("blob.quality_report_document", False,
                           f"blob {evidence.quality_report}: {exc}"))  # fmt: skip
    return FootprintClaims(tuple(claims), footprint, evidence.footprint)


def _check_baseline(
    store: BlobStore, evidence: PrintEvidence, footprint: Footprint, design_id: str, owner: str
) -> tuple[str, bool, str]:
    """The footprint's baseline is the one the design's owner signed, for this design."""
    name = "carbon.baseline"
    if evidence.baseline is None:
        return (name, False, "no baseline declaration: the OEM did not declare the counterfactual")
    try:
        declaration = read_baseline_declaration(store, evidence.baseline)
    except (InvalidBaselineDeclaration, StorageError, OSError) as exc:
        return (name, False, str(exc))
    if declaration.declared_by.lower() != owner.lower():
        signer = declaration.declared_by
        return (name, False, f"declared by {signer}, not by the design's owner {owner}")
    if declaration.design_id.lower() != design_id.lower():
        return (name, False, f"declared for design {declaration.design_id}")
    if baseline_to_dict(declaration.baseline) != baseline_to_dict(footprint.baseline):
        return (name, False, f"the footprint's baseline differs from the one {owner} declared")
    return (name, True, f"declared by the design's owner {owner} ({evidence.baseline})")
