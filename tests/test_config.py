"""Settings come from PARTLEDGER_* variables, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from partledger.config import Settings


def test_defaults_are_the_embedded_local_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATA_DIR", "RPC_URL", "NETWORK", "DATABASE_URL"):
        monkeypatch.delenv(f"PARTLEDGER_{name}", raising=False)
    settings = Settings()
    assert settings.data_dir == tmp_path / ".partledger"
    assert settings.uses_local_chain
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / '.partledger' / 'index.sqlite3'}"
    assert settings.deployment_path() == tmp_path / ".partledger" / "deployments" / "local.json"


def test_environment_overrides_every_location(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PARTLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PARTLEDGER_RPC_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("PARTLEDGER_NETWORK", "besu-eu")
    monkeypatch.setenv("PARTLEDGER_DATABASE_URL", "postgresql://127.0.0.1/test")
    settings = Settings()
    assert settings.blob_dir == tmp_path / "data" / "blobs"
    assert not settings.uses_local_chain
    assert settings.sqlalchemy_url == "postgresql://127.0.0.1/test"
    assert settings.deployment_path(tmp_path / "deployments") == (
        tmp_path / "deployments" / "besu-eu.json"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PARTLEDGER_RPC_URL", "not a url"),
        ("PARTLEDGER_NETWORK", "../etc"),
        ("PARTLEDGER_CHAIN_PORT", "70000"),
    ],
)
def test_bad_values_are_rejected_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=variable.removeprefix("PARTLEDGER_").lower()):
        Settings()


def test_deployer_key_is_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTLEDGER_DEPLOYER_KEY", "0x" + "ab" * 32)
    assert "abab" not in repr(Settings())
