"""Ethereum block headers: the RLP encoding whose keccak256 is the block hash.

The fields are those of the Yellow Paper plus every fork's additions, in order; a header holds
the prefix of them its fork defines (London adds ``baseFeePerGas``, Shanghai
``withdrawalsRoot``, Cancun the blob fields and ``parentBeaconBlockRoot``, Prague
``requestsHash``). Given the JSON-RPC block object, ``block_hash`` recomputes its hash, so a
verifier holding only a trusted hash can trust every root in the header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rlp
from eth_utils.crypto import keccak

from partledger.errors import PartLedgerError

__all__ = ["HEADER_FIELDS", "HeaderError", "block_hash", "header_rlp"]

# (JSON-RPC name, kind): kind "bytes" keeps the bytes, "int" encodes a big-endian integer.
HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("parentHash", "bytes"),
    ("sha3Uncles", "bytes"),
    ("miner", "bytes"),
    ("stateRoot", "bytes"),
    ("transactionsRoot", "bytes"),
    ("receiptsRoot", "bytes"),
    ("logsBloom", "bytes"),
    ("difficulty", "int"),
    ("number", "int"),
    ("gasLimit", "int"),
    ("gasUsed", "int"),
    ("timestamp", "int"),
    ("extraData", "bytes"),
    ("mixHash", "bytes"),
    ("nonce", "bytes"),
    ("baseFeePerGas", "int"),
    ("withdrawalsRoot", "bytes"),
    ("blobGasUsed", "int"),
    ("excessBlobGas", "int"),
    ("parentBeaconBlockRoot", "bytes"),
    ("requestsHash", "bytes"),
)
REQUIRED = 15  # up to and including ``nonce``


class HeaderError(PartLedgerError, ValueError):
    """A block header is incomplete or malformed."""


def _raw(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    raise HeaderError(f"not bytes or hex: {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    raise HeaderError(f"not an integer: {value!r}")


def header_rlp(block: Mapping[str, Any]) -> bytes:
    """The RLP encoding of a block's header (fields in order, up to the last one present)."""
    present = [name for name, _ in HEADER_FIELDS if block.get(name) is not None]
    count = max((i + 1 for i, (name, _) in enumerate(HEADER_FIELDS) if name in present), default=0)
    if count < REQUIRED:
        missing = [name for name, _ in HEADER_FIELDS[:REQUIRED] if name not in present]
        raise HeaderError(f"the header lacks {', '.join(missing)}")
    items: list[Any] = []
    for name, kind in HEADER_FIELDS[:count]:
        if block.get(name) is None:
            raise HeaderError(f"the header has later fork fields but lacks {name}")
        items.append(_int(block[name]) if kind == "int" else _raw(block[name]))
    return bytes(rlp.encode(items))


def block_hash(block: Mapping[str, Any]) -> bytes:
    """keccak256 of the header's RLP: the block hash."""
    return bytes(keccak(header_rlp(block)))
