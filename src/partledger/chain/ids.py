"""Recompute the ledger's on-chain ids and hashes in Python (same bytes as the contracts).

Formats (see docs/contracts.md):

- design commitment = keccak256(abi.encode(committer, contentHash, salt))
- designId  = keccak256(abi.encode(registrant, contentHash))
- licenceId = hub (20 bytes) ++ last 12 bytes of keccak256(abi.encode(designId, hub, uint32 i))
- machineHash = keccak256(abi.encode(string maker, string model, string serialNumber))
- machineId = keccak256(abi.encode(hub, machineHash))
- serial    = keccak256(utf-8 serial number)
- printId   = keccak256(abi.encode(designId, serial))
- print commitment = keccak256(abi.encode(licenceId, serial, machineId, lotHash, qualityHash))
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import encode
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak

from partledger.chain.errors import ChainError

__all__ = [
    "PRINT_TYPES",
    "EncodingError",
    "PrintRecord",
    "design_commitment",
    "design_id",
    "hub_of_licence",
    "hub_subject",
    "licence_id",
    "machine_hash",
    "machine_id",
    "print_commitment",
    "print_id",
    "serial_hash",
    "short_code",
]

PRINT_TYPES = ("bytes32", "bytes32", "bytes32", "bytes32", "bytes32")
"""ABI types of a print record, in field order (also the Merkle leaf encoding)."""


class EncodingError(ChainError, ValueError):
    """A value cannot be encoded as the contracts expect (wrong length, non-ASCII code)."""


def _b32(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise EncodingError(f"{what} must be 32 bytes, got {len(value)}")
    return value


@dataclass(frozen=True)
class PrintRecord:
    """The five fields of one print attestation (``IPrintLedger.Print``)."""

    licence_id: bytes
    serial: bytes
    machine_id: bytes
    material_lot_hash: bytes
    quality_report_hash: bytes

    def __post_init__(self) -> None:
        for name in (
            "licence_id",
            "serial",
            "machine_id",
            "material_lot_hash",
            "quality_report_hash",
        ):
            _b32(getattr(self, name), name)

    def as_tuple(self) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        """The struct as a tuple, in ABI field order (what web3 expects for ``Print``)."""
        return (
            self.licence_id,
            self.serial,
            self.machine_id,
            self.material_lot_hash,
            self.quality_report_hash,
        )


def design_commitment(committer: str, content_hash: bytes, salt: bytes) -> bytes:
    """The value an OEM passes to ``commitDesign`` before ``registerDesign``."""
    return keccak(
        encode(
            ["address", "bytes32", "bytes32"],
            [committer, _b32(content_hash, "content_hash"), _b32(salt, "salt")],
        )
    )


def design_id(registrant: str, content_hash: bytes) -> bytes:
    """Owner-bound design id: ``keccak256(abi.encode(registrant, contentHash))``."""
    return keccak(encode(["address", "bytes32"], [registrant, _b32(content_hash, "content_hash")]))


def licence_id(design: bytes, hub: str, index: int) -> bytes:
    """Licence id: the hub address followed by 12 bytes of ``keccak256(designId, hub, index)``."""
    digest = keccak(encode(["bytes32", "address", "uint32"], [_b32(design, "design"), hub, index]))
    return to_canonical_address(hub) + digest[20:]


def hub_of_licence(licence: bytes) -> str:
    """The hub a licence was issued to (its id's high 20 bytes), checksummed."""
    return to_checksum_address(_b32(licence, "licence")[:20])


def machine_hash(maker: str, model: str, serial_number: str) -> bytes:
    """Hash of a machine's maker, model and serial number."""
    return keccak(encode(["string", "string", "string"], [maker, model, serial_number]))


def machine_id(hub: str, machine: bytes) -> bytes:
    """Hub-bound machine id: ``keccak256(abi.encode(hub, machineHash))``."""
    return keccak(encode(["address", "bytes32"], [hub, _b32(machine, "machine")]))


def hub_subject(hub: str) -> bytes:
    """Qualification subject of a hub: its address left-padded to 32 bytes."""
    return b"\x00" * 12 + to_canonical_address(hub)


def serial_hash(serial_number: str) -> bytes:
    """On-chain serial of a part: ``keccak256`` of its UTF-8 serial number."""
    return keccak(serial_number.encode("utf-8"))


def print_id(design: bytes, serial: bytes) -> bytes:
    """Storage key of a print: ``keccak256(abi.encode(designId, serial))``."""
    return keccak(encode(["bytes32", "bytes32"], [_b32(design, "design"), _b32(serial, "serial")]))


def print_commitment(record: PrintRecord) -> bytes:
    """The commitment stored per print: ``keccak256(abi.encode(Print))``."""
    return keccak(encode(list(PRINT_TYPES), list(record.as_tuple())))


def short_code(code: str, size: int = 32) -> bytes:
    """ASCII code left-aligned in ``size`` bytes (standards: bytes32, UN/LOCODE: bytes5)."""
    try:
        raw = code.encode("ascii")
    except UnicodeEncodeError as exc:
        raise EncodingError(f"{code!r} is not ASCII") from exc
    if len(raw) > size:
        raise EncodingError(f"{code!r} is longer than {size} bytes")
    return raw.ljust(size, b"\x00")
