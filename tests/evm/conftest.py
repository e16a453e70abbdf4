"""The EVM compatibility fixtures: one chain per implementation, started once per module.

``evm`` is parametrised over ``EVMS``: anvil (the session's chain) and Hardhat's node (EDR),
started for the module and stopped after it. ``evm_world`` deploys and onboards the ledger
on that chain once per module (tests use fresh designs and serials, so they share it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from evm.chains import EVMS, Evm

from helpers.world import World, build_world
from partledger.chain.connect import connect
from partledger.chain.hardhat import HardhatNode
from partledger.chain.local import LocalChain


@pytest.fixture(scope="module", params=EVMS)
def evm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evm]:
    data_dir = tmp_path_factory.mktemp(f"evm-{request.param}")
    if request.param == "anvil":
        anvil: LocalChain = request.getfixturevalue("anvil")
        w3 = connect(anvil.rpc_url)
        # the session's anvil is shared: leave it as this module found it
        snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        try:
            yield Evm("anvil", anvil.rpc_url, w3, data_dir)
        finally:
            w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        return
    node = HardhatNode().start()
    try:
        yield Evm("hardhat", node.rpc_url, connect(node.rpc_url), data_dir)
    finally:
        node.stop()
        (data_dir / "hardhat.log").write_text(node.log_text)  # kept for a failure's post-mortem


@pytest.fixture(scope="module")
def evm_world(evm: Evm, dev_accounts: list[LocalAccount]) -> Iterator[World]:
    """A deployed ledger with an onboarded OEM, two hubs, a machine and a certifier."""
    built = build_world(evm.w3, dev_accounts, evm.data_dir)
    yield built
    built.ledger.journal.close()
