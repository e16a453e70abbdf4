"""Calls of contract view functions without web3's per-call ABI walk.

``contract.functions.f(*args).call()`` validates the whole contract ABI on every call
(the 4-byte selector of every function, a Keccak hash each): with PrintLedger's ABI that
was most of a provenance lookup's CPU. A ``ViewFunction`` looks its ABI entry and selector
up once and then encodes, calls and decodes with web3's own codec and normalizers, so its
arguments are checked and its results shaped exactly as web3 would (checksummed addresses,
a single output unwrapped).
"""

from __future__ import annotations

from typing import Any

from eth_utils.abi import collapse_if_tuple, function_abi_to_4byte_selector
from web3 import Web3
from web3._utils.abi import map_abi_data  # web3's own normalisation, as contract calls use
from web3._utils.contracts import encode_abi
from web3._utils.normalizers import BASE_RETURN_NORMALIZERS


class ViewFunction:
    """One view function of one deployed contract, ready to call."""

    def __init__(self, w3: Web3, address: str, abi: list[dict[str, Any]], name: str) -> None:
        matches = [e for e in abi if e.get("type") == "function" and e.get("name") == name]
        if len(matches) != 1:
            raise ValueError(f"{len(matches)} functions named {name!r} in the ABI (need one)")
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.name = name
        self.abi = matches[0]
        self.selector = "0x" + function_abi_to_4byte_selector(self.abi).hex()  # type: ignore[arg-type]
        self.output_types = [collapse_if_tuple(o) for o in self.abi.get("outputs", [])]

    def __call__(self, *args: Any, block: Any = "latest") -> Any:
        """The function's result at ``block`` (a revert raises web3's contract errors)."""
        data = encode_abi(self.w3, self.abi, args, data=self.selector)  # type: ignore[arg-type]
        raw = self.w3.eth.call({"to": self.address, "data": data}, block_identifier=block)
        decoded = self.w3.codec.decode(self.output_types, raw)
        normalized = map_abi_data(BASE_RETURN_NORMALIZERS, self.output_types, decoded)
        return normalized[0] if len(normalized) == 1 else normalized
