"""The contracts' test world, reused: proofs are checked against the real deployed ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parents[1] / "contracts"))
from ledger_world import World, deploy_world


@pytest.fixture
def world(w3: Web3, dev_accounts: list[LocalAccount], snapshot: None) -> World:
    """A freshly deployed world (inside this test's chain snapshot)."""
    return deploy_world(w3, dev_accounts)
