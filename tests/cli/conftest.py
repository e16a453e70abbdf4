"""The CLI driven through Typer's runner, each test on its own embedded anvil and data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli_runner import Cli, environment
from partledger.chain.local import LocalChain


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A fresh data directory with its chain running in the background."""
    environment(monkeypatch, tmp_path)
    runner = Cli(tmp_path)
    up = runner.run("chain", "up")
    assert up.exit_code == 0, up.output
    try:
        yield runner
    finally:
        LocalChain(tmp_path / "data" / "chain").stop()
