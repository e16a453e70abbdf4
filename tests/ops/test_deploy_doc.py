"""docs/deploy.md cannot drift: its alert rules and metrics table name only metrics a running
service exports at /metrics, and its settings table names only real settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from api.support import make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from web3 import Web3

from helpers.world import World
from partledger.api.app import create_app
from partledger.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": (),
}
# PromQL words that look like metric names in an expression
PROMQL = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "rate", "irate", "increase", "delta", "changes", "absent", "min_over_time",
    "max_over_time", "avg_over_time", "histogram_quantile", "and", "or", "unless", "bool",
    "offset", "le", "time", "vector", "scalar", "clamp_min", "clamp_max",
}  # fmt: skip


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n{title}\n")
    following = re.search(r"\n#{1,3} ", text[start + len(title) + 2 :])
    end = start + len(title) + 2 + following.start() if following else len(text)
    return text[start:end]


def alert_rules() -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml")
    blocks = re.findall(r"```yaml\n(.*?)```", section("### Alert rules"), re.S)
    assert len(blocks) == 1
    document = yaml.safe_load(blocks[0])
    rules: list[dict[str, Any]] = [r for g in document["groups"] for r in g["rules"]]
    return rules


def metric_names(expr: str) -> set[str]:
    """Identifiers in a PromQL expression that name series (not functions, labels, keywords)."""
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr))
    return {n for n in names if n not in PROMQL and not re.fullmatch(r"\d+[smhdwy]?", n)}


def top_level_alternatives(regex: str) -> list[str]:
    """``a|b(c|d)`` -> ``["a", "b(c|d)"]``."""
    parts, depth, current = [], 0, ""
    for char in regex:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


@pytest.fixture
def running(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> tuple[str, set[str]]:
    """What a running service's /metrics answers, and its route templates (the values the
    latency histogram's ``route`` label takes)."""
    runtime = make_runtime(w3, world)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        client.get("/health")
        text = client.get("/metrics").text
        routes = set(client.get("/openapi.json").json()["paths"])
    return text, routes | {"unmatched"}


@pytest.fixture
def scraped(running: tuple[str, set[str]]) -> str:
    return running[0]


@pytest.fixture
def routes(running: tuple[str, set[str]]) -> set[str]:
    return running[1]


@pytest.fixture
def exported(scraped: str) -> set[str]:
    """Every series name the service exports (with the suffixes of its counters and
    histograms, which appear only once a label set has been observed)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(scraped):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture
def metrics(scraped: str) -> set[str]:
    """The service's metrics as one documents them (counters with ``_total``)."""
    return {
        family.name + ("_total" if family.type == "counter" else "")
        for family in text_string_to_metric_families(scraped)
        if not family.name.endswith("_created")
    }


def test_every_metric_in_the_alert_rules_is_exported_by_the_service(exported: set[str]) -> None:
    rules = alert_rules()
    wanted = {"indexer", "relay", "5xx", "chain", "store"}
    described = " ".join(r["alert"].lower() for r in rules)
    assert all(word in described for word in wanted), described
    used = set()
    for rule in rules:
        names = metric_names(str(rule["expr"]))
        assert names, rule["alert"]
        assert names <= exported, (rule["alert"], names - exported)
        used |= names
    assert all(name.startswith("partledger_") for name in used)


def test_every_route_matcher_in_the_alert_rules_matches_a_real_route(routes: set[str]) -> None:
    for rule in alert_rules():
        for op, pattern in re.findall(r'route\s*(=~|!=|=)\s*"([^"]*)"', str(rule["expr"])):
            regex = re.escape(pattern) if op in ("=", "!=") else pattern
            for alternative in top_level_alternatives(regex):
                assert any(re.fullmatch(alternative, r) for r in routes), (
                    rule["alert"],
                    alternative,
                )


def test_the_metrics_table_lists_exactly_the_service_metrics(metrics: set[str]) -> None:
    listed = set(re.findall(r"^\| `(partledger_[a-z_]+)`", section("### Metrics"), re.M))
    assert listed == {m for m in metrics if m.startswith("partledger_")}


def test_the_settings_table_names_real_settings_and_their_environment_variables() -> None:
    table = section("## Settings that matter")
    rows = re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| (.*?) \|", table, re.M)
    assert rows
    fields = Settings.model_fields
    documented = set()
    for names, variables in rows:
        for name, variable in zip(
            re.findall(r"`([a-z_]+)`", names), re.findall(r"`([A-Z_]+)`", variables), strict=True
        ):
            assert name in fields, name
            assert variable == "PARTLEDGER_" + name.upper()
            documented.add(name)
    assert {"database_url", "service_database_url", "blob_url", "confirmations"} <= documented
