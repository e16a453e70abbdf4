"""Transactions: named reverts, journaling hook, retries without duplicates, nonces, depth."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain.artifacts import available_artifacts, load_artifact
from partledger.chain.deployer import Deployment, deploy
from partledger.chain.errors import RpcUnavailable
from partledger.chain.ledger_errors import (
    AccessControlUnauthorizedAccount,
    LedgerRefused,
    UnknownDesign,
)
from partledger.chain.reverts import ContractRevert, UnknownRevert, decode_revert, error_table
from partledger.chain.tx import TxSender

pytestmark = pytest.mark.usefixtures("snapshot")


@pytest.fixture
def ledger(w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path) -> Deployment:
    return deploy(w3, dev_accounts[0], tmp_path / "rec.json", network="t")


def _registry(deployment: Deployment) -> tuple[str, list[dict[str, Any]]]:
    return deployment.address("DesignRegistry"), load_artifact("DesignRegistry").abi


def test_every_contract_error_has_a_named_python_exception() -> None:
    named = {cls.__name__ for cls in _all_subclasses(ContractRevert)}
    declared = {
        item["name"]
        for name in available_artifacts()
        if not name.startswith("test/")
        for item in load_artifact(name).abi
        if item.get("type") == "error"
    }
    assert declared, "no custom errors found in the artifacts"
    assert sorted(declared - named) == []


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_revert_at_estimation_raises_the_named_error_with_its_arguments(
    w3: Web3, dev_accounts: list[LocalAccount], ledger: Deployment
) -> None:
    stranger = dev_accounts[5]
    address, abi = _registry(ledger)
    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        TxSender(w3, stranger).call(address, abi, "commitDesign", b"\x01" * 32)
    assert isinstance(info.value, PermissionError)
    assert isinstance(info.value, LedgerRefused)
    assert info.value.arguments["account"] == stranger.address
    assert info.value.arguments["neededRole"] == Web3.keccak(text="OEM_ROLE")
    assert "AccessControlUnauthorizedAccount(account=" in str(info.value)


def test_revert_of_a_mined_transaction_is_decoded_too(
    w3: Web3, dev_accounts: list[LocalAccount], ledger: Deployment
) -> None:
    address, abi = _registry(ledger)
    contract = w3.eth.contract(address=address, abi=abi)  # type: ignore[call-overload]
    data = contract.functions.deprecateDesign(b"\x02" * 32)._encode_transaction_data()
    sender = TxSender(w3, dev_accounts[0])
    with pytest.raises(UnknownDesign) as info:
        sender.send({"to": address, "data": data, "gas": 100_000})  # skips estimation
    assert info.value.arguments["designId"] == b"\x02" * 32
    assert isinstance(info.value, LookupError)


def test_on_signed_sees_the_hash_before_the_node_does(
    w3: Web3, dev_accounts: list[LocalAccount]
) -> None:
    sender = TxSender(w3, dev_accounts[1])
    seen: list[tuple[str, bool]] = []

    def on_signed(tx_hash: str) -> None:
        seen.append((tx_hash, sender._known(bytes.fromhex(tx_hash[2:]))))  # type: ignore[arg-type]

    sent = sender.send({"to": dev_accounts[2].address, "value": 1}, on_signed=on_signed)
    assert seen == [(sent.tx_hash, False)]


def test_lost_reply_is_retried_without_sending_twice(
    w3: Web3, dev_accounts: list[LocalAccount], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = dev_accounts[3]
    sender = TxSender(w3, account, backoff=0.01)
    real_send = w3.eth.send_raw_transaction
    calls = {"n": 0}

    def flaky_send(raw: bytes) -> Any:
        calls["n"] += 1
        result = real_send(raw)  # the node gets it ...
        if calls["n"] == 1:
            raise ConnectionError("connection reset")  # ... but the reply is lost
        return result

    monkeypatch.setattr(w3.eth, "send_raw_transaction", flaky_send)
    before = w3.eth.get_transaction_count(account.address)
    sender.send({"to": dev_accounts[4].address, "value": 7})
    assert calls["n"] == 2
    assert w3.eth.get_transaction_count(account.address) == before + 1


def test_node_that_stays_down_raises_rpc_unavailable(dev_accounts: list[LocalAccount]) -> None:
    from partledger.chain.local import LocalChain

    chain = LocalChain(None).start()
    w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    sender = TxSender(w3, dev_accounts[0], retries=2, backoff=0.01)
    chain.stop()
    with pytest.raises(RpcUnavailable, match="failed 3 times"):
        sender.send({"to": dev_accounts[1].address, "value": 1, "gas": 21000})


def test_threads_sharing_a_sender_never_reuse_a_nonce(
    w3: Web3, dev_accounts: list[LocalAccount]
) -> None:
    account = dev_accounts[6]
    sender = TxSender(w3, account)
    before = w3.eth.get_transaction_count(account.address)
    errors: list[BaseException] = []

    def send_some() -> None:
        try:
            for _ in range(5):
                sender.send({"to": dev_accounts[7].address, "value": 1, "gas": 21000})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send_some) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert w3.eth.get_transaction_count(account.address) == before + 20


def test_confirmations_wait_until_the_block_is_deep_enough(
    w3: Web3, dev_accounts: list[LocalAccount]
) -> None:
    sender = TxSender(w3, dev_accounts[8], confirmations=3)
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(0.05):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine)
    miner.start()
    try:
        sent = sender.send({"to": dev_accounts[9].address, "value": 1, "gas": 21000})
    finally:
        stop.set()
        miner.join()
    assert w3.eth.block_number - sent.block_number + 1 >= 3


def test_unknown_revert_data_is_kept_as_hex() -> None:
    error = decode_revert("0xdeadbeef00")
    assert isinstance(error, UnknownRevert)
    assert error.arguments == {"data": "0xdeadbeef00"}


def test_panic_codes_are_explained() -> None:
    data = Web3.keccak(text="Panic(uint256)")[:4] + (0x11).to_bytes(32, "big")
    error = decode_revert(data)
    assert error.error == "Panic"
    assert error.arguments["reason"] == "arithmetic overflow or underflow"


def test_error_table_covers_every_shipped_artifact() -> None:
    names_in_abis = {
        item["name"]
        for artifact in available_artifacts()
        for item in load_artifact(artifact).abi
        if item.get("type") == "error"
    }
    assert names_in_abis <= {spec.name for spec in error_table().values()}
