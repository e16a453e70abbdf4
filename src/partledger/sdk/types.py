"""Conversions and small value types shared by the SDK clients.

Ids and hashes cross the public API as ``0x``-prefixed 64-digit hex strings
(JSON-friendly); the contracts take ``bytes32``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from partledger.errors import PartLedgerError

ZERO32 = b"\x00" * 32


class InvalidIdentifier(PartLedgerError, ValueError):
    """A value that must be a 32-byte id or hash is not one."""


def to_bytes32(value: str | bytes, what: str = "id") -> bytes:
    """``bytes32`` from ``0x`` hex (or bare hex, or raw bytes); clear error otherwise."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise InvalidIdentifier(f"{what} is not hex: {value!r}") from None
    if len(raw) != 32:
        raise InvalidIdentifier(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def hex32(value: bytes) -> str:
    """``0x`` + 64 lowercase hex digits."""
    return "0x" + bytes(value).hex()


def sha256_hex(data: bytes) -> str:
    """SHA-256 as bare hex (the blob store's id format)."""
    return hashlib.sha256(data).hexdigest()


def standard_code(standard: str) -> bytes:
    """A standard code (``"ISO/ASTM 52920"``) as the contract's ``bytes32`` (right-padded)."""
    raw = standard.encode()
    if not raw or len(raw) > 32:
        raise InvalidIdentifier(f"standard code must be 1..32 bytes: {standard!r}")
    return raw.ljust(32, b"\x00")


def decode_standard(code: bytes) -> str:
    """Inverse of ``standard_code`` (empty string for zero)."""
    return bytes(code).rstrip(b"\x00").decode(errors="replace")


@dataclass(frozen=True)
class TxRef:
    """Where an operation landed on-chain."""

    tx_hash: str
    block_number: int
