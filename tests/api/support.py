"""Helpers of the API tests: a TestClient over the real app, SIWE sign-in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import METADATA, STANDARD, World
from partledger.config import Settings
from partledger.crypto import DEFAULT_SEGMENT_SIZE, ContainerHeader
from partledger.runtime import Runtime
from partledger.siwe import SiweMessage, format_time

__all__ = ["METADATA", "STANDARD"]

SERVICE_DB_ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
both_engines = pytest.mark.parametrize("service_db_url", SERVICE_DB_ENGINES, indirect=True)
"""Run a test on SQLite and on PostgreSQL: the ``service_db_url`` fixture (tests/api/conftest.py)
and the ``service`` fixture over it follow the parameter."""


def container_like(size: int) -> bytes:
    """A valid container header followed by ``size`` random bytes: what the service checks
    of an uploaded container (it holds no key to check the segments)."""
    header = ContainerHeader(
        segment_size=DEFAULT_SEGMENT_SIZE,
        key_id=os.urandom(16),
        salt=os.urandom(16),
        nonce_prefix=os.urandom(7),
    )
    return header.to_bytes() + os.urandom(size)


@dataclass
class Service:
    client: TestClient
    world: World
    accounts: list[LocalAccount]
    custodial: bool

    def nonce(self) -> str:
        return str(self.client.get("/v1/auth/nonce").json()["nonce"])

    def message(self, account: LocalAccount, **overrides: Any) -> str:
        now = datetime.now(UTC)
        fields: dict[str, Any] = {
            "domain": "testserver",
            "address": account.address,
            "uri": "http://testserver/v1/auth/token",
            "chain_id": 31337,
            "nonce": self.nonce(),
            "issued_at": format_time(now),
            "statement": "Sign in to PartLedger",
            "expiration_time": format_time(now + timedelta(minutes=5)),
        }
        fields.update(overrides)
        return SiweMessage(**fields).to_text()

    def sign_in(self, account: LocalAccount, message: str | None = None) -> Any:
        text = message or self.message(account)
        signature = account.sign_message(encode_defunct(text=text)).signature
        return self.client.post(
            "/v1/auth/token", json={"message": text, "signature": "0x" + bytes(signature).hex()}
        )

    def headers(self, account: LocalAccount) -> dict[str, str]:
        response = self.sign_in(account)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_runtime(w3: Web3, world: World, **settings: Any) -> Runtime:
    options: dict[str, Any] = {
        "data_dir": world.data_dir / "data",
        "api_indexer": False,
        "api_rate_per_second": 10_000,
        "api_rate_burst": 10_000,
        "relay_window_ms": 0,
        "api_origin": "http://testserver",  # what TestClient talks to
    }
    options.update(settings)
    return Runtime(Settings(**options), w3, world.ledger.deployment, None)
