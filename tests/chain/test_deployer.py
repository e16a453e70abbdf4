"""Deploying the ledger: a record is written, reused, and refused when it does not match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain.artifacts import load_artifact
from partledger.chain.deployer import deploy, load_record, plan_contracts
from partledger.chain.errors import DeploymentMismatch

pytestmark = pytest.mark.usefixtures("snapshot")


@pytest.fixture
def record_path(tmp_path: Path) -> Path:
    return tmp_path / "deployments" / "testnet.json"


def _edit_record(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    first = sorted(data["contracts"])[0]
    for key, value in changes.items():
        if key in data:
            data[key] = value
        else:
            data["contracts"][first][key] = value
    path.write_text(json.dumps(data))


def test_deploy_writes_a_record_of_every_planned_contract(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    deployment = deploy(w3, dev_accounts[0], record_path, network="testnet")
    assert plan_contracts(), "the deployment plan is empty"
    assert sorted(deployment.contracts) == sorted(plan_contracts())
    assert load_record(record_path) == deployment
    for name, contract in deployment.contracts.items():
        artifact = load_artifact(name)
        assert contract.artifact_sha256 == artifact.sha256
        receipt = w3.eth.get_transaction_receipt(contract.tx_hash)  # type: ignore[arg-type]
        assert receipt["contractAddress"] == contract.address
        assert receipt["blockNumber"] == contract.block
        assert w3.eth.get_code(contract.address) != b""  # type: ignore[arg-type]
    assert deployment.chain_id == w3.eth.chain_id
    assert deployment.deployer == dev_accounts[0].address
    assert deployment.compiler_version.startswith("0.8.30+commit.")


def test_second_deploy_reuses_the_record_without_sending_anything(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    first = deploy(w3, dev_accounts[0], record_path, network="testnet")
    nonce = w3.eth.get_transaction_count(dev_accounts[0].address)
    again = deploy(w3, dev_accounts[0], record_path, network="testnet")
    assert again.reused and not first.reused
    assert again.contracts == first.contracts
    assert w3.eth.get_transaction_count(dev_accounts[0].address) == nonce


def test_redeploy_makes_new_contracts(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    first = deploy(w3, dev_accounts[0], record_path, network="testnet")
    second = deploy(w3, dev_accounts[0], record_path, network="testnet", redeploy=True)
    assert {c.address for c in first.contracts.values()}.isdisjoint(
        c.address for c in second.contracts.values()
    )


def test_record_of_another_chain_is_refused(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    deploy(w3, dev_accounts[0], record_path, network="testnet")
    _edit_record(record_path, chainId=11155111)
    with pytest.raises(DeploymentMismatch, match=r"chain id 11155111.*serves chain id 31337"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")


def test_record_pointing_at_an_empty_address_is_refused(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    deploy(w3, dev_accounts[0], record_path, network="testnet")
    _edit_record(record_path, address="0x" + "42" * 20)
    with pytest.raises(DeploymentMismatch, match="no code there"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")


def test_record_whose_code_was_replaced_is_refused(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    deployment = deploy(w3, dev_accounts[0], record_path, network="testnet")
    name, contract = sorted(deployment.contracts.items())[0]
    w3.provider.make_request("anvil_setCode", [contract.address, "0x6000"])  # type: ignore[arg-type]
    with pytest.raises(DeploymentMismatch, match=rf"not the {name}.*code hash differs"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")


def test_record_built_from_other_artifacts_is_refused(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    deploy(w3, dev_accounts[0], record_path, network="testnet")
    _edit_record(record_path, artifactSha256="00" * 32)
    with pytest.raises(DeploymentMismatch, match=r"other artifacts.*--redeploy"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")


def test_malformed_record_names_what_is_missing(
    w3: Web3, dev_accounts: list[LocalAccount], record_path: Path
) -> None:
    record_path.parent.mkdir(parents=True)
    record_path.write_text(json.dumps({"network": "testnet", "contracts": {}}))
    with pytest.raises(DeploymentMismatch, match="chainId"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")
    record_path.write_text("{not json")
    with pytest.raises(DeploymentMismatch, match="not valid JSON"):
        deploy(w3, dev_accounts[0], record_path, network="testnet")
