"""The serial rule: a (design, serial) verifies only while it has exactly one attestation.

The direct paths (``attestPrint``, batches, relayed signatures) refuse a reused serial on-chain,
but an anchor stores no serials, so a hub can put a serial that already exists (or the same
serial twice) into a tree. Two attestations of one serial mean two physical parts carry it and
nobody holding one can tell which is which: every claim of such a serial fails, whichever came
first. The auditor gathers the claims from the ``PrintAttested`` events and the published batch
documents; the indexer applies the same rule for reconciliation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

__all__ = ["SerialClaim", "genuine_claims"]


@dataclass(frozen=True)
class SerialClaim:
    """One attestation of a serial: direct (tx) or anchored (root, leaf index)."""

    design_id: bytes
    serial: bytes
    ref: Hashable


def genuine_claims(claims: Iterable[SerialClaim]) -> set[SerialClaim]:
    """The claims that are the only claim of their (design, serial)."""
    listed = list(claims)
    per_serial = Counter((c.design_id, c.serial) for c in listed)
    return {c for c in listed if per_serial[(c.design_id, c.serial)] == 1}
