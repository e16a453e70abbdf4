"""Run the reconciler for the API (report only; repairs stay an operator's CLI action)."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from partledger.api.services.metrics import Metrics
from partledger.index import Indexer, IndexerConfig
from partledger.reconcile import Options, Reconciler
from partledger.sdk import Ledger


class ReconciliationService:
    """One reconciliation at a time; the findings count feeds the metrics."""

    def __init__(
        self, ledger: Ledger, index_url: str, quarantine_dir: Path, metrics: Metrics
    ) -> None:
        self.ledger = ledger
        self.index_url = index_url
        self.quarantine_dir = quarantine_dir
        self.metrics = metrics
        self._lock = threading.Lock()

    def report(
        self, indexer: Indexer | None, *, deep: bool, index_writer: bool = True
    ) -> dict[str, Any]:
        """Compare chain, index and blob store now; ``deep`` re-hashes every blob.

        Without an indexer in this process (one may run beside the service), the index
        database is opened read-only for the run; an unsynced index shows as a finding.
        A replica that only reads a shared index (``index_writer`` false) writes nothing
        to it: the writing replica ingests the documents the checks would refresh.
        """
        with self._lock, ExitStack() as stack:
            if indexer is None:
                rpc_url = str(getattr(self.ledger.w3.provider, "endpoint_uri", ""))
                config = IndexerConfig.from_deployment(
                    self.ledger.deployment, rpc_url, self.index_url
                )
                indexer = stack.enter_context(Indexer(config))
            reconciler = Reconciler(
                self.ledger, indexer, quarantine_dir=self.quarantine_dir,
                options=Options(deep=deep),
                index_kept_by=None if index_writer else "the index-writer replica",
            )  # fmt: skip
            report = reconciler.run()
        self.metrics.reconciliation_findings.set(sum(1 for f in report.findings if f.severity > 0))
        return {**report.to_json(), "deep": deep}
