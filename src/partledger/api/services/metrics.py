"""Prometheus metrics of one service instance (own registry, so tests can build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_latency = Histogram(
            "partledger_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
        )
        self.relayer_queue_depth = Gauge(
            "partledger_relayer_queue_depth",
            "Signed attestations accepted but not yet mined.",
            registry=self.registry,
        )
        self.relayed_prints = Counter(
            "partledger_relayed_prints_total",
            "Relayed attestations by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.relayer_leader = Gauge(
            "partledger_relayer_leader",
            "1 if this replica is the leader (runs the relayer and anchor writer), else 0.",
            registry=self.registry,
        )
        self.indexer_lag = Gauge(
            "partledger_indexer_lag_blocks",
            "Chain head minus the last indexed block.",
            registry=self.registry,
        )
        self.reconciliation_findings = Gauge(
            "partledger_reconciliation_findings",
            "Divergences found by the last reconciliation run.",
            registry=self.registry,
        )
        self.transfer_bytes = Counter(
            "partledger_transfer_bytes_total",
            "Bytes uploaded and downloaded.",
            ["direction"],
            registry=self.registry,
        )
