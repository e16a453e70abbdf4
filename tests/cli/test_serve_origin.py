"""``partledger serve --host/--port`` is the origin sign-in binds to, not only the socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers.cli_runner import environment
from partledger.chain.local import LocalChain
from partledger.cli import app

runner = CliRunner()


@pytest.fixture
def serve_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    environment(monkeypatch, tmp_path)
    monkeypatch.delenv("PARTLEDGER_API_ORIGIN", raising=False)
    yield tmp_path
    LocalChain(tmp_path / "data" / "chain").stop()


def test_serve_port_is_the_sign_in_origin(serve_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["settings"] = app.state.runtime.settings
        seen["port"] = kwargs["port"]

    monkeypatch.setattr("uvicorn.run", fake_run)
    # the service's log handler would outlive this in-process run (on the runner's stream)
    monkeypatch.setattr("partledger.api.logs.configure_logging", lambda *a, **k: None)
    result = runner.invoke(app, ["serve", "--port", "18802"])
    assert result.exit_code == 0, result.output
    assert seen["port"] == 18802
    assert seen["settings"].api_port == 18802
    assert seen["settings"].api_siwe_domain == "127.0.0.1:18802"
