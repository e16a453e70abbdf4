"""Slither static analysis over contracts/ through the solc-js adapter (standard JSON).

slither-analyzer pins web3<8, so it cannot live in the project venv: install it on its own
(``pipx install slither-analyzer`` or a separate venv) and put ``slither`` on PATH or point
``PARTLEDGER_SLITHER`` at it. Without it this test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from partledger.chain.compiler import REMAPPINGS, project_root

# Validity windows, deadlines and qualification periods are business rules on block time;
# a proposer's few seconds of drift cannot matter at their granularity (hours to years).
EXCLUDED_DETECTORS = "timestamp"


def _slither() -> str | None:
    return os.environ.get("PARTLEDGER_SLITHER") or shutil.which("slither")


@pytest.mark.timeout(300)
@pytest.mark.skipif(
    _slither() is None,
    reason="slither not installed (it pins web3<8: pipx install slither-analyzer, "
    "or set PARTLEDGER_SLITHER to its binary)",
)
def test_slither_reports_no_findings() -> None:
    root: Path = project_root()
    result = subprocess.run(
        [
            str(_slither()),
            "contracts",
            "--solc",
            str(root / "scripts" / "solcjs-adapter.cjs"),
            "--solc-standard-json",
            "--solc-remaps",
            " ".join(REMAPPINGS),
            "--filter-paths",
            "node_modules",
            "--exclude",
            EXCLUDED_DETECTORS,
            "--json",
            "-",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["success"], report.get("error") or result.stderr[-2000:]
    findings = report.get("results", {}).get("detectors", [])
    assert findings == [], "\n".join(f["description"] for f in findings)
