"""The README's run command: /health on a deployed local ledger, same ledger after a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from partledger.chain.local import LocalChain, free_port

ROOT = Path(__file__).resolve().parents[1]


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh"), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _health(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"the run command exited with {proc.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                data: dict[str, Any] = json.loads(r.read())
                return data
        except OSError:
            time.sleep(0.2)
    pytest.fail("the service did not answer /health")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) is not None


def test_run_command_serves_health_and_restarts_with_the_same_ledger(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PARTLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PARTLEDGER_CHAIN_PORT": str(free_port()),
        "PARTLEDGER_PASSPHRASE": "unused",
    }
    env.pop("PARTLEDGER_RPC_URL", None)
    port = free_port()
    first = _start(env, port)
    try:
        before = _health(port, first)
        assert before["status"] == "ok" and before["chain_id"] == 31337
        assert set(before["contracts"]) == {"DesignRegistry", "PrintLedger"}
        demo = subprocess.run(
            [sys.executable, "-m", "partledger.cli", "--json", "demo"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert demo.returncode == 0, demo.stdout + demo.stderr
        design_id = json.loads(demo.stdout)["provenance"]["design_id"]
        during = _health(port, first)
    finally:
        _stop(first)
    assert LocalChain(tmp_path / "data" / "chain").running() is None, "anvil outlived the service"

    second = _start(env, port)
    try:
        after = _health(port, second)
        shown = subprocess.run(
            [sys.executable, "-m", "partledger.cli", "--json", "design", "show", design_id],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        _stop(second)
    assert after["contracts"] == before["contracts"]
    assert after["block_number"] >= during["block_number"] > before["block_number"]
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert json.loads(shown.stdout)["status"] == "Active"
