"""The print-evidence manifest: one blob, committed on-chain, naming each document of a print.

Every attestation path (direct, batch, relayed by signature, Merkle-anchored) carries the
print's ``qualityReportHash``: the SHA-256 of one blob. A print with only a quality report
commits to the report itself (as before). A print that also carries its carbon footprint
commits to this manifest instead, canonical JSON::

    {"baseline":"<sha256>|null","footprint":"<sha256>","quality_report":"<sha256>|null",
     "type":"partledger.print-evidence","version":1}

so the footprint (and the report) cannot change after the print without the change showing:
the manifest's hash is on-chain, and it names each document by its own hash. ``baseline`` names
the OEM's signed baseline declaration the footprint was computed from
(``partledger.sdk.baseline``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from partledger.errors import PartLedgerError

__all__ = [
    "EVIDENCE_TYPE",
    "InvalidPrintEvidence",
    "PrintEvidence",
    "parse_print_evidence",
    "print_evidence_document",
]

EVIDENCE_TYPE = "partledger.print-evidence"
EVIDENCE_VERSION = 1
MAX_EVIDENCE_BYTES = 4096
_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidPrintEvidence(PartLedgerError, ValueError):
    """A blob claims to be a print-evidence manifest but is malformed."""


@dataclass(frozen=True)
class PrintEvidence:
    """The documents a print's on-chain evidence hash names (blob ids, lowercase hex)."""

    footprint: str
    quality_report: str | None = None
    baseline: str | None = None


def print_evidence_document(evidence: PrintEvidence) -> bytes:
    """The manifest's canonical bytes (sorted keys, no spaces)."""
    named = (
        ("footprint", evidence.footprint),
        ("quality_report", evidence.quality_report),
        ("baseline", evidence.baseline),
    )
    for name, value in named:
        if value is not None and not _SHA256.fullmatch(value):
            raise InvalidPrintEvidence(f"{name}: not a lowercase hex SHA-256: {value!r}")
    body = {
        "baseline": evidence.baseline,
        "footprint": evidence.footprint,
        "quality_report": evidence.quality_report,
        "type": EVIDENCE_TYPE,
        "version": EVIDENCE_VERSION,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def parse_print_evidence(blob: bytes) -> PrintEvidence | None:
    """The manifest in ``blob``; ``None`` if the blob is not one (a plain quality report).
    ``InvalidPrintEvidence`` if it says it is a manifest but is not a canonical, valid one."""
    if len(blob) > MAX_EVIDENCE_BYTES or not blob.startswith(b"{"):
        return None
    try:
        body = json.loads(blob)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("type") != EVIDENCE_TYPE:
        return None
    if body.get("version") != EVIDENCE_VERSION:
        raise InvalidPrintEvidence(f"unsupported print-evidence version {body.get('version')!r}")
    if set(body) != {"baseline", "footprint", "quality_report", "type", "version"}:
        raise InvalidPrintEvidence(f"unexpected fields: {sorted(body)}")
    footprint, report, baseline = body["footprint"], body["quality_report"], body["baseline"]
    if not isinstance(footprint, str) or any(
        v is not None and not isinstance(v, str) for v in (report, baseline)
    ):
        raise InvalidPrintEvidence("footprint, quality_report, baseline: hex SHA-256 strings")
    evidence = PrintEvidence(footprint, report, baseline)
    if print_evidence_document(evidence) != blob:
        raise InvalidPrintEvidence("the manifest is not in canonical form")
    return evidence
