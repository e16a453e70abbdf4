"""Send signed transactions with explicit nonce, gas and EIP-1559 fees; wait for receipts.

Signing happens locally (eth-account, with coincurve when installed), so the
node only sees raw transactions. A reverted transaction raises ``TransactionFailed``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxParams, TxReceipt

from partledger.chain.errors import ChainError

GAS_HEADROOM = 1.2


class TransactionFailed(ChainError, RuntimeError):
    """A transaction was mined but reverted, or could not be sent."""


@dataclass(frozen=True)
class SentTransaction:
    """The receipt of a mined transaction, with the fields callers need most."""

    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None
    receipt: TxReceipt


class TxSender:
    """Signs and sends transactions from one account, managing its nonce locally."""

    def __init__(self, w3: Web3, account: LocalAccount, *, receipt_timeout: float = 120.0) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = w3.eth.chain_id
        self._receipt_timeout = receipt_timeout
        self._lock = threading.Lock()
        self._nonce: int | None = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    def _next_nonce(self) -> int:
        pending = self.w3.eth.get_transaction_count(self.account.address, "pending")
        nonce = pending if self._nonce is None else max(pending, self._nonce)
        self._nonce = nonce + 1
        return nonce

    def _fees(self) -> dict[str, int]:
        block = self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = int(self.w3.eth.max_priority_fee)
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def send(self, tx: dict[str, Any]) -> SentTransaction:
        """Fill nonce/gas/fees/chain id where missing, sign, send, wait for the receipt."""
        params: dict[str, Any] = {"from": self.account.address, "chainId": self.chain_id, **tx}
        if "gas" not in params:
            try:
                estimate = self.w3.eth.estimate_gas(TxParams(**params))  # type: ignore[typeddict-item]
            except Exception as exc:
                raise TransactionFailed(f"transaction would fail: {exc}") from exc
            params["gas"] = int(estimate * GAS_HEADROOM)
        if "maxFeePerGas" not in params and "gasPrice" not in params:
            params.update(self._fees())
        with self._lock:
            params["nonce"] = self._next_nonce()
            signed = self.account.sign_transaction(params)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._receipt_timeout)
        if receipt["status"] != 1:
            raise TransactionFailed(f"transaction {HexBytes(tx_hash).to_0x_hex()} reverted")
        address = receipt.get("contractAddress")
        return SentTransaction(
            tx_hash=HexBytes(tx_hash).to_0x_hex(),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            contract_address=str(address) if address else None,
            receipt=receipt,
        )

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> SentTransaction:
        """Deploy a contract and return its mined creation transaction."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        return self.send({"data": data})

    def call(self, address: str, abi: list[dict[str, Any]], fn: str, *args: Any) -> SentTransaction:
        """Send one contract function call as a transaction."""
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
        data = contract.get_function_by_name(fn)(*args)._encode_transaction_data()
        return self.send({"to": contract.address, "data": data})
