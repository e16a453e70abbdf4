"""Send signed transactions: local signing, explicit nonces, EIP-1559 fees, retries.

- Signing happens locally (eth-account; fast with coincurve installed).
- Nonces come from a per-sender counter guarded by a lock, so threads sharing a
  ``TxSender`` never collide; a nonce consumed elsewhere is detected and resynced.
- Transient RPC failures are retried with exponential backoff. A retry resends
  the *same* signed bytes, so it can never create a second transaction.
- A revert (at estimation or when mined) raises the decoded contract error.
- ``confirmations`` waits until the receipt's block is that deep and still canonical.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from requests.exceptions import RequestException
from web3 import Web3
from web3.exceptions import (
    ProviderConnectionError,
    RequestTimedOut,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxParams, TxReceipt

from partledger.chain.errors import ChainError, RpcUnavailable
from partledger.chain.reverts import ContractRevert, UnknownRevert, revert_from_exception

GAS_HEADROOM = 1.2
TRANSIENT = (OSError, RequestException, RequestTimedOut, ProviderConnectionError)
_R = TypeVar("_R")


class TransactionFailed(ChainError, RuntimeError):
    """A transaction could not be sent or mined (not a contract revert)."""


@dataclass(frozen=True)
class SentTransaction:
    """The receipt of a mined transaction, with the fields callers need most."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    contract_address: str | None
    receipt: TxReceipt


class TxSender:
    """Signs and sends transactions from one account."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        confirmations: int = 0,
        receipt_timeout: float = 120.0,
        retries: int = 5,
        backoff: float = 0.2,
        poll_interval: float = 0.02,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.confirmations = confirmations
        self._receipt_timeout = receipt_timeout
        self._retries = retries
        self._backoff = backoff
        self._poll = poll_interval
        self._lock = threading.Lock()
        self._nonce: int | None = None
        self.chain_id = self._retry(lambda: w3.eth.chain_id)

    @property
    def address(self) -> str:
        return str(self.account.address)

    # -- plumbing --------------------------------------------------------------------
    def _retry(self, call: Callable[[], _R]) -> _R:
        """Run ``call``, retrying transient transport failures with backoff."""
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return call()
            except TRANSIENT as exc:
                if attempt == self._retries:
                    raise RpcUnavailable(f"RPC failed {attempt + 1} times: {exc}") from exc
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _chain_nonce(self) -> int:
        return self._retry(
            lambda: self.w3.eth.get_transaction_count(self.account.address, "pending")
        )

    def _fees(self) -> dict[str, int]:
        block = self._retry(lambda: self.w3.eth.get_block("latest"))
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = int(self._retry(lambda: self.w3.eth.max_priority_fee))
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def estimate(self, params: dict[str, Any]) -> int:
        """Gas for ``params`` with headroom; a revert raises the decoded contract error."""
        try:
            estimate = self._retry(
                lambda: self.w3.eth.estimate_gas(TxParams(**params))  # type: ignore[typeddict-item]
            )
        except (Web3RPCError, ValueError) as exc:
            raise _as_revert(exc) from exc
        except Exception as exc:
            if (revert := revert_from_exception(exc)) is not None:
                raise revert from exc
            raise
        return int(estimate * GAS_HEADROOM)

    # -- sending ---------------------------------------------------------------------
    def send(
        self, tx: dict[str, Any], *, on_signed: Callable[[str], None] | None = None
    ) -> SentTransaction:
        """Fill nonce/gas/fees/chain id where missing, sign, send, wait for the receipt.

        ``on_signed(tx_hash)`` runs after signing and before sending, so a caller
        can journal the hash first and, after a crash, find out whether it landed.
        """
        params: dict[str, Any] = {"from": self.account.address, "chainId": self.chain_id, **tx}
        if "gas" not in params:
            params["gas"] = self.estimate(params)
        if "maxFeePerGas" not in params and "gasPrice" not in params:
            params.update(self._fees())
        tx_hash = self._sign_and_send(params, on_signed)
        return self.wait(tx_hash, params)

    def _sign_and_send(
        self, params: dict[str, Any], on_signed: Callable[[str], None] | None
    ) -> HexBytes:
        with self._lock:
            if self._nonce is None:
                self._nonce = self._chain_nonce()
            for _ in range(3):
                params["nonce"] = self._nonce
                signed = self.account.sign_transaction(params)
                if on_signed is not None:
                    on_signed(HexBytes(signed.hash).to_0x_hex())
                try:
                    self._retry(partial(self.w3.eth.send_raw_transaction, signed.raw_transaction))
                except Web3RPCError as exc:
                    message = str(exc).lower()
                    if "already known" in message or "already imported" in message:
                        break  # our earlier attempt got through: same bytes, same hash
                    if "nonce too low" in message or "nonce has already been used" in message:
                        if self._known(HexBytes(signed.hash)):
                            break  # a lost reply to our own earlier attempt: it is in
                        self._nonce = self._chain_nonce()  # someone else used it; re-sign
                        continue
                    if self._known(HexBytes(signed.hash)):
                        # Hardhat's node (EDR) mines a failing transaction and also answers
                        # its send with the revert (anvil and geth answer with the hash): it
                        # is in a block and used its nonce, so wait() decodes its receipt.
                        break
                    raise _as_revert(exc) from exc
                break
            else:
                raise TransactionFailed("could not find a free nonce after 3 attempts")
            self._nonce += 1
            return HexBytes(signed.hash)

    def _known(self, tx_hash: HexBytes) -> bool:
        try:
            self._retry(lambda: self.w3.eth.get_transaction(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def wait(
        self, tx_hash: HexBytes | str, params: dict[str, Any] | None = None
    ) -> SentTransaction:
        """Wait for the receipt (and confirmations); decode a revert."""
        tx_hash = HexBytes(tx_hash)
        receipt = self._receipt(tx_hash)
        if self.confirmations > 1:
            receipt = self._confirm(tx_hash, receipt)
        if receipt["status"] != 1:
            raise self._mined_revert(receipt, params)
        address = receipt.get("contractAddress")
        return SentTransaction(
            tx_hash=tx_hash.to_0x_hex(),
            block_number=int(receipt["blockNumber"]),
            block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
            gas_used=int(receipt["gasUsed"]),
            contract_address=str(address) if address else None,
            receipt=receipt,
        )

    def _receipt(self, tx_hash: HexBytes) -> TxReceipt:
        deadline = time.monotonic() + self._receipt_timeout
        while True:
            try:
                return self._retry(lambda: self.w3.eth.get_transaction_receipt(tx_hash))
            except TransactionNotFound:
                pass
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"transaction {tx_hash.to_0x_hex()} not mined within "
                    f"{self._receipt_timeout:.0f}s (it may still be; wait() on it again)"
                )
            time.sleep(self._poll)

    def _confirm(self, tx_hash: HexBytes, receipt: TxReceipt) -> TxReceipt:
        deadline = time.monotonic() + self._receipt_timeout
        while True:
            head = self._retry(lambda: self.w3.eth.block_number)
            if head - int(receipt["blockNumber"]) + 1 >= self.confirmations:
                fresh = self._receipt(tx_hash)  # reorged out -> mined again elsewhere
                if fresh["blockHash"] == receipt["blockHash"]:
                    return fresh
                receipt = fresh
                continue
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"{tx_hash.to_0x_hex()} did not reach {self.confirmations} confirmations"
                )
            time.sleep(self._poll * 10)

    def _mined_revert(self, receipt: TxReceipt, params: dict[str, Any] | None) -> ContractRevert:
        """Replay a reverted transaction as a call to learn its revert reason."""
        if params is None:
            tx = self._retry(lambda: self.w3.eth.get_transaction(receipt["transactionHash"]))
            params = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx}
        call = {k: v for k, v in params.items() if k in ("from", "to", "data", "value", "gas")}
        try:
            self.w3.eth.call(call, int(receipt["blockNumber"]) - 1)  # type: ignore[arg-type]
        except Exception as exc:
            if (revert := revert_from_exception(exc)) is not None:
                return revert
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        return UnknownRevert("UnknownRevert", {"tx": tx_hash})

    # -- helpers ---------------------------------------------------------------------
    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> SentTransaction:
        """Deploy a contract and return its mined creation transaction."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        return self.send({"data": factory.constructor(*args).data_in_transaction})

    def call(
        self,
        address: str,
        abi: list[dict[str, Any]],
        fn: str,
        *args: Any,
        on_signed: Callable[[str], None] | None = None,
    ) -> SentTransaction:
        """Send one contract function call as a transaction."""
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
        data = contract.get_function_by_name(fn)(*args)._encode_transaction_data()
        return self.send({"to": contract.address, "data": data}, on_signed=on_signed)


def _as_revert(exc: Exception) -> ChainError:
    revert = revert_from_exception(exc)
    if revert is not None:
        return revert
    return TransactionFailed(f"the node refused the transaction: {exc}")
