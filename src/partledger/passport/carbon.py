"""The part's carbon footprint in its passport: evidence carried in the bundle, checked offline.

When a print committed to a print-evidence manifest (``partledger.sdk.print_evidence``), the
bundle carries, base64-encoded, the manifest, the footprint document and the OEM's baseline
declaration. The verifier needs nothing else: the manifest must hash to the proven record's
``qualityReportHash``; it names the other two by hash; the footprint recomputes from its inputs
with the shipped factor set; the declaration is signed by the design's owner as proven at the
print; and the passport's UNTP ``emissionsScorecard`` says exactly what the footprint says.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from partledger.carbon import (
    CarbonError,
    Footprint,
    baseline_to_dict,
    default_factor_set,
    parse_footprint_document,
    verify_footprint_document,
)
from partledger.sdk.baseline import InvalidBaselineDeclaration, parse_baseline_declaration
from partledger.sdk.print_evidence import InvalidPrintEvidence, parse_print_evidence
from partledger.storage import BlobStore, get_bytes
from partledger.storage.errors import StorageError

__all__ = ["carbon_section", "check_carbon", "emissions_scorecard"]

MAX_BYTES = 1024 * 1024
PIECE = "H87"  # UN/CEFACT Recommendation 20 common code for "piece"
ISO_14083 = {
    "type": ["Standard"],
    "id": "urn:iso:std:iso:14083",
    "name": "ISO 14083:2023 Greenhouse gases — Quantification and reporting of greenhouse gas "
    "emissions arising from transport chain operations",
    "issuingParty": {"id": "https://www.iso.org", "name": "International Organization for "
                     "Standardization"},
}  # fmt: skip


def emissions_scorecard(footprint: Footprint) -> dict[str, Any]:
    """UNTP 0.6.1 ``EmissionsPerformance`` of one printed part: its actual logistics and print
    energy footprint (kg CO2e per piece). ``operationalScope`` is ``None``: this is not a
    cradle-to-gate footprint (material production is not included); ``primarySourcedRatio`` is
    the share of the actual figure not resting on default data."""
    return {
        "carbonFootprint": round(footprint.actual_kg_co2e, 6),
        "declaredUnit": PIECE,
        "operationalScope": "None",
        "primarySourcedRatio": round(1.0 - footprint.actual_default_share, 6),
        "reportingStandard": ISO_14083,
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def carbon_section(store: BlobStore, evidence_hash: bytes) -> dict[str, Any] | None:
    """The bundle's ``carbon`` section for a print whose evidence is a manifest (else ``None``):
    the manifest, footprint and baseline declaration, as stored, base64."""
    if evidence_hash == bytes(32):
        return None
    try:
        manifest = get_bytes(store, evidence_hash.hex(), max_bytes=MAX_BYTES)
        evidence = parse_print_evidence(manifest)
    except (StorageError, OSError, InvalidPrintEvidence):
        return None  # the auditor's claims report it; the bundle proves only what it can
    if evidence is None:
        return None
    section: dict[str, Any] = {
        "evidence": _b64(manifest),
        "footprint": _b64(get_bytes(store, evidence.footprint, max_bytes=MAX_BYTES)),
        "baseline": None,
    }
    if evidence.baseline is not None:
        section["baseline"] = _b64(get_bytes(store, evidence.baseline, max_bytes=MAX_BYTES))
    return section


Claim = Callable[[str, bool, str], None]


def check_carbon(
    section: dict[str, Any] | None,
    evidence_hash: bytes,
    design_id: str,
    owner: str,
    claim: Claim,
) -> Footprint | None:
    """Offline claims ``carbon.footprint`` and ``carbon.baseline`` over a bundle's section;
    the checked footprint (``None`` when the print carries none or it does not hold)."""
    if section is None:
        return None
    manifest = base64.b64decode(section["evidence"], validate=True)
    if hashlib.sha256(manifest).digest() != evidence_hash:
        claim("carbon.footprint", False, "the evidence in the bundle is not what the print "
              "committed to")  # fmt: skip
        return None
    try:
        evidence = parse_print_evidence(manifest)
    except InvalidPrintEvidence as exc:
        claim("carbon.footprint", False, f"the print's evidence manifest is malformed: {exc}")
        return None
    if evidence is None:
        claim("carbon.footprint", False, "the print's evidence is not a manifest")
        return None
    document = base64.b64decode(section["footprint"], validate=True)
    if hashlib.sha256(document).hexdigest() != evidence.footprint:
        claim("carbon.footprint", False, "the footprint in the bundle is not the one committed")
        return None
    try:
        footprint = parse_footprint_document(document)
        mismatches = verify_footprint_document(document, default_factor_set()).mismatches
    except CarbonError as exc:
        claim("carbon.footprint", False, f"the footprint document is invalid: {exc}")
        return None
    problems = [f"{m.field}: stated {m.stated}, recomputed {m.recomputed}" for m in mismatches]
    if footprint.baseline.design_id.lower() != design_id.lower():
        problems.append(f"its baseline is for design {footprint.baseline.design_id}")
    claim("carbon.footprint", not problems, "; ".join(problems[:5]) or (
        f"{footprint.avoided_kg_co2e:.3f} kg CO2e avoided (baseline "
        f"{footprint.baseline_kg_co2e:.3f}, actual {footprint.actual_kg_co2e:.3f}), recomputed "
        f"with {footprint.factor_set_version}"
    ))  # fmt: skip
    _check_baseline(section.get("baseline"), evidence.baseline, footprint, design_id, owner, claim)
    return None if problems else footprint


def _check_baseline(
    encoded: str | None, committed: str | None, footprint: Footprint, design_id: str,
    owner: str, claim: Claim,
) -> None:  # fmt: skip
    if committed is None or encoded is None:
        claim("carbon.baseline", False, "no baseline declared by the design's owner")
        return
    data = base64.b64decode(encoded, validate=True)
    if hashlib.sha256(data).hexdigest() != committed:
        claim("carbon.baseline", False, "the baseline declaration is not the one committed")
        return
    try:
        declaration = parse_baseline_declaration(data, committed)
    except InvalidBaselineDeclaration as exc:
        claim("carbon.baseline", False, str(exc))
        return
    ok = (
        declaration.declared_by.lower() == owner.lower()
        and declaration.design_id.lower() == design_id.lower()
        and baseline_to_dict(declaration.baseline) == baseline_to_dict(footprint.baseline)
    )
    detail = f"declared by {declaration.declared_by}; the design's owner at the print is {owner}"
    claim("carbon.baseline", ok, detail + ("" if ok else "; the footprint's baseline differs"))
