"""/health reports the chain and the ledger the service runs on."""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from partledger.api.app import create_app
from partledger.chain.deployer import deploy
from partledger.chain.local import LocalChain
from partledger.config import Settings
from partledger.runtime import Runtime


def test_health_shows_chain_id_block_and_contract_addresses(
    w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path, snapshot: None
) -> None:
    deployment = deploy(w3, dev_accounts[0], tmp_path / "local.json", network="local")
    runtime = Runtime(Settings(data_dir=tmp_path), w3, deployment, None)
    with TestClient(create_app(runtime)) as client:
        body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["chain_id"] == 31337
    assert body["block_number"] == w3.eth.block_number
    assert body["contracts"] == {n: c.address for n, c in deployment.contracts.items()}


def test_health_is_503_problem_when_the_chain_is_gone(
    dev_accounts: list[LocalAccount], tmp_path: Path
) -> None:
    chain = LocalChain(None).start()
    w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    deployment = deploy(w3, dev_accounts[0], tmp_path / "local.json", network="local")
    runtime = Runtime(Settings(data_dir=tmp_path), w3, deployment, chain)
    chain.stop()
    with TestClient(create_app(runtime)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "The chain does not answer"
