"""Run the reconciler for the API (report only; repairs stay an operator's CLI action)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from partledger.api.services.errors import Unavailable
from partledger.api.services.metrics import Metrics
from partledger.index import Indexer
from partledger.reconcile import Options, Reconciler
from partledger.sdk import Ledger


class ReconciliationService:
    """One reconciliation at a time; the findings count feeds the metrics."""

    def __init__(self, ledger: Ledger, quarantine_dir: Path, metrics: Metrics) -> None:
        self.ledger = ledger
        self.quarantine_dir = quarantine_dir
        self.metrics = metrics
        self._lock = threading.Lock()

    def report(self, indexer: Indexer | None, *, deep: bool) -> dict[str, Any]:
        """Compare chain, index and blob store now; ``deep`` re-hashes every blob."""
        if indexer is None:
            raise Unavailable("reconciliation needs the service's indexer (api_indexer)")
        with self._lock:
            reconciler = Reconciler(
                self.ledger, indexer, quarantine_dir=self.quarantine_dir,
                options=Options(deep=deep),
            )  # fmt: skip
            report = reconciler.run()
        self.metrics.reconciliation_findings.set(sum(1 for f in report.findings if f.severity > 0))
        return {**report.to_json(), "deep": deep}
