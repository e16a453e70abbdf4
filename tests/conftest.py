"""Shared fixtures: one real anvil chain per test session, snapshots per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from replicas.support import postgres_available, scratch_database
from web3 import Web3

from helpers.world import World, build_world
from partledger.chain.connect import connect
from partledger.chain.local import LocalChain, dev_account


@pytest.fixture(scope="session")
def anvil() -> Iterator[LocalChain]:
    """A running ephemeral anvil (nothing persisted), shared by the session."""
    chain = LocalChain(None).start()
    try:
        yield chain
    finally:
        chain.stop()


@pytest.fixture(scope="session")
def w3(anvil: LocalChain) -> Web3:
    """Web3 over HTTP to the session's anvil."""
    return connect(anvil.rpc_url)


@pytest.fixture(scope="session")
def dev_accounts() -> list[LocalAccount]:
    """anvil's ten funded accounts (default mnemonic), with their private keys."""
    return [dev_account(i) for i in range(10)]


@pytest.fixture
def snapshot(w3: Web3) -> Iterator[None]:
    """Revert the chain to its state before the test."""
    snapshot_id = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield
    finally:
        w3.provider.make_request("evm_revert", [snapshot_id])  # type: ignore[arg-type]


@pytest.fixture
def world(
    w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path, snapshot: None
) -> Iterator[World]:
    """A deployed ledger with an onboarded OEM, two hubs, a machine and a certifier."""
    built = build_world(w3, dev_accounts, tmp_path)
    yield built
    built.ledger.journal.close()


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """The URL of a new PostgreSQL database on 127.0.0.1, dropped after (skips without one)."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    with scratch_database() as url:
        yield url
