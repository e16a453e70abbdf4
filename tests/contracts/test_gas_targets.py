"""The gas targets hold: runs ``scripts/bench_gas.py --json`` (its own anvil) and checks them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from partledger.chain.compiler import project_root

TARGETS = {
    "attestPrint": 75_000,
    "attestPrintBySig": 95_000,
    "attestBatch50_per_print": 35_000,
    "merkleAnchor1000_per_print": 150,
}


@pytest.mark.timeout(120)
def test_bench_meets_every_gas_target() -> None:
    root = project_root()
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "bench_gas.py"), "--json"],
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
        cwd=root,
    )
    measured = json.loads(result.stdout)
    over = {name: measured[name] for name, limit in TARGETS.items() if measured[name] > limit}
    assert not over, f"over target: {over}"
