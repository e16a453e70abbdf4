"""Reconciliation of chain, index and blob store: findings, report, safe repair."""

from __future__ import annotations

from partledger.reconcile.checks import Options, blob_state, referenced_blobs
from partledger.reconcile.findings import Finding, RepairOutcome, Report, Severity
from partledger.reconcile.quarantine import Quarantine, QuarantinedBlob, QuarantineError
from partledger.reconcile.reconciler import CHECKS, Reconciler, reingest_from

__all__ = [
    "CHECKS",
    "Finding",
    "Options",
    "Quarantine",
    "QuarantineError",
    "QuarantinedBlob",
    "Reconciler",
    "RepairOutcome",
    "Report",
    "Severity",
    "blob_state",
    "referenced_blobs",
    "reingest_from",
]
