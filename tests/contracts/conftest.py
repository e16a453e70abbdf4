"""Deploy the ledger once per session on the shared anvil, with a populated world.

Session fixtures run before the function-scoped ``snapshot``, so every test starts from this
world and its changes are reverted afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

# --import-mode=importlib: make this folder's helper modules (ledger_helpers, ledger_world)
# importable by its test modules.
sys.path.insert(0, str(Path(__file__).parent))
from ledger_world import World, deploy_world


@pytest.fixture(scope="session")
def world(w3: Web3, dev_accounts: list[LocalAccount]) -> World:
    """The deployed ledger with roles, hubs, machines, a qualification, a design, two licences."""
    return deploy_world(w3, dev_accounts)


@pytest.fixture
def fresh(world: World, snapshot: None) -> World:
    """The world, with every change of the test reverted afterwards."""
    return world
