"""Decode revert data into named Python exceptions carrying the error's arguments.

Every custom error declared in any shipped artifact is known by its 4-byte
selector. ``ContractRevert`` is the generic result; a subclass named after a
Solidity error (see ``partledger.chain.ledger_errors``) is raised instead, so
callers can catch ``LicenceExhausted`` (which also inherits ``PermissionError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from partledger.chain.artifacts import available_artifacts, load_artifact
from partledger.chain.errors import ChainError

PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialized internal function",
}


_CLASSES: dict[str, type[ContractRevert]] = {}


class ContractRevert(ChainError, RuntimeError):
    """A contract refused a call; ``error`` and ``arguments`` name why."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls  # a subclass named like a Solidity error decodes to it

    def __init__(self, error: str, arguments: dict[str, Any], raw: bytes = b"") -> None:
        self.error = error
        self.arguments = arguments
        self.raw = raw
        shown = ", ".join(f"{k}={_show(v)}" for k, v in arguments.items())
        super().__init__(f"{error}({shown})")


class UnknownRevert(ContractRevert):
    """Revert data that no known error matches (or no data at all)."""


@dataclass(frozen=True)
class ErrorSpec:
    """A custom error's name and parameters, as declared in an ABI."""

    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


def _canonical_type(param: dict[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@cache
def error_table() -> dict[bytes, ErrorSpec]:
    """Selector -> error spec for every error of every shipped artifact."""
    table: dict[bytes, ErrorSpec] = {
        keccak(text="Error(string)")[:4]: ErrorSpec("Error", ("message",), ("string",)),
        keccak(text="Panic(uint256)")[:4]: ErrorSpec("Panic", ("code",), ("uint256",)),
    }
    for name in available_artifacts():
        for item in load_artifact(name).abi:
            if item.get("type") != "error":
                continue
            types = tuple(_canonical_type(p) for p in item["inputs"])
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            table[selector] = ErrorSpec(
                item["name"],
                tuple(p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"])),
                types,
            )
    return table


def decode_revert(data: bytes | str | None) -> ContractRevert:
    """The exception for revert ``data`` (hex or bytes)."""
    raw = _to_bytes(data)
    spec = error_table().get(raw[:4]) if len(raw) >= 4 else None
    if spec is None:
        return UnknownRevert("UnknownRevert", {"data": "0x" + raw.hex()}, raw)
    try:
        values = abi_decode(list(spec.types), raw[4:])
    except (DecodingError, ValueError, OverflowError):
        return UnknownRevert("UnknownRevert", {"data": "0x" + raw.hex()}, raw)
    arguments = {
        name: to_checksum_address(value) if kind == "address" else value
        for name, kind, value in zip(spec.names, spec.types, values, strict=True)
    }
    if spec.name == "Panic":
        arguments["reason"] = PANIC_CODES.get(int(arguments["code"]), "unknown panic")
    cls = _CLASSES.get(spec.name, ContractRevert)
    return cls(spec.name, arguments, raw)


def revert_from_exception(exc: BaseException) -> ContractRevert | None:
    """Find revert data in a web3/RPC exception and decode it; None if there is none."""
    data: Any = getattr(exc, "data", None)
    if data is None and exc.args:
        first = exc.args[0]
        if isinstance(first, dict):
            data = first.get("data")
    if data is None and isinstance(response := getattr(exc, "rpc_response", None), dict):
        # web3's generic Web3RPCError keeps the node's reply aside: Hardhat's node answers a
        # failing send with {"error": {"data": {"message", "txHash", "data": revert data}}}
        data = (response.get("error") or {}).get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str | bytes) and len(_to_bytes(data)) >= 4:
        return decode_revert(data)
    return None


def _to_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    try:
        return bytes.fromhex(data.removeprefix("0x"))
    except ValueError:
        return b""


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


# Registers the ledger's named exception classes (they subclass ContractRevert).
from partledger.chain import ledger_errors as _ledger_errors  # noqa: E402, F401
