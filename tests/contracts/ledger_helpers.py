"""Test helpers for the ledger contracts: raw signed transactions, revert and event decoding."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from partledger.chain.artifacts import load_artifact

STANDARD_ERROR_ABIS: list[dict[str, Any]] = [
    {"type": "error", "name": "Error", "inputs": [{"type": "string", "name": "message"}]},
    {"type": "error", "name": "Panic", "inputs": [{"type": "uint256", "name": "code"}]},
]


def b32(text: str) -> bytes:
    """A readable 32-byte test value."""
    return keccak(text=text)


def _canonical_type(entry: dict[str, Any]) -> str:
    if entry["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry["components"])
        return f"({inner}){entry['type'][5:]}"
    return str(entry["type"])


def _normalise(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    return value


class RevertDecoder:
    """Maps revert data to (error name, arguments) using the contracts' ABIs."""

    def __init__(self, abis: Sequence[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for abi in [*abis, STANDARD_ERROR_ABIS]:
            for entry in abi:
                if entry["type"] != "error":
                    continue
                types = [_canonical_type(i) for i in entry["inputs"]]
                selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
                self._errors[selector] = (entry["name"], types)

    def decode(self, data: bytes) -> tuple[str, tuple[Any, ...]]:
        name, types = self._errors[data[:4]]
        values = decode(types, data[4:])
        return name, tuple(_normalise(v, t) for v, t in zip(values, types, strict=True))


class TxFailed(AssertionError):
    """A transaction expected to succeed reverted."""


@dataclass
class Chain:
    """Sends raw signed transactions and simulates reverting calls against anvil."""

    w3: Web3
    decoder: RevertDecoder
    chain_id: int = 0
    gas: int = 5_000_000
    sent: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chain_id = self.w3.eth.chain_id

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract object for a deployed artifact."""
        return self.w3.eth.contract(address=address, abi=load_artifact(name).abi)

    def _tx(self, account: LocalAccount, to: str | None, data: str, gas: int | None) -> Any:
        tx: dict[str, Any] = {
            "data": data,
            "gas": gas or self.gas,
            "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": self.chain_id,
            "maxFeePerGas": 50 * 10**9,
            "maxPriorityFeePerGas": 1,
            "value": 0,
        }
        if to is not None:
            tx["to"] = to
        raw = account.sign_transaction(tx).raw_transaction
        tx_hash = self.w3.eth.send_raw_transaction(raw)
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.005)

    def deploy(self, account: LocalAccount, name: str, *args: Any) -> Contract:
        """Deploy artifact ``name`` from ``account``."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(*args)._build_transaction({"gas": 1})["data"]
        receipt = self._tx(account, None, data, 12_000_000)
        if receipt.status != 1:
            raise TxFailed(f"deploying {name} failed")
        return self.contract(name, receipt.contractAddress)

    def send(
        self, account: LocalAccount, contract: Contract, fn: str, *args: Any, gas: int | None = None
    ) -> Any:
        """Send ``contract.fn(*args)`` from ``account``; return the receipt (must succeed)."""
        data = contract.encode_abi(fn, args=list(args))
        receipt = self._tx(account, contract.address, data, gas)
        if receipt.status != 1:
            error = self.revert_of(account, contract, fn, *args)
            raise TxFailed(f"{fn} reverted: {error}")
        return receipt

    def send_raw_status(
        self, account: LocalAccount, contract: Contract, fn: str, *args: Any, gas: int | None = None
    ) -> Any:
        """Send without asserting success; return the receipt."""
        return self._tx(account, contract.address, contract.encode_abi(fn, args=list(args)), gas)

    def revert_of(
        self, account: LocalAccount | str, contract: Contract, fn: str, *args: Any
    ) -> tuple[str, tuple[Any, ...]] | None:
        """Simulate the call; return (error name, args) if it reverts, else None."""
        sender = account if isinstance(account, str) else account.address
        data = contract.encode_abi(fn, args=list(args))
        call = {"from": sender, "to": contract.address, "data": data, "gas": hex(self.gas)}
        response = self.w3.provider.make_request("eth_call", [call, "pending"])  # type: ignore[arg-type]
        error = response.get("error")
        if not error:
            return None
        raw = error.get("data")
        if isinstance(raw, dict):
            raw = raw.get("data")
        if not raw or raw == "0x":
            return ("<empty revert>", ())
        return self.decoder.decode(bytes.fromhex(raw.removeprefix("0x")))

    def mine(self, seconds: int = 0) -> None:
        """Move the chain's clock forward by ``seconds`` and mine a block."""
        if seconds:
            self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def timestamp(self) -> int:
        """Timestamp of the latest block."""
        return int(self.w3.eth.get_block("latest")["timestamp"])


def events(receipt: Any, contract: Contract, name: str) -> list[dict[str, Any]]:
    """Decoded arguments of every ``name`` event ``contract`` emitted in ``receipt``."""
    logs = contract.events[name]().process_receipt(receipt, errors=DISCARD)
    return [dict(log["args"]) for log in logs if log["address"] == contract.address]


def node_available() -> bool:
    """Whether a ``node`` binary is on PATH."""
    return any(
        os.access(os.path.join(p, "node"), os.X_OK) for p in os.environ["PATH"].split(os.pathsep)
    )
