"""Byte layout of the encrypted container, version 1 (see docs/container-format.md)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from partledger.crypto.datakey import KEY_ID_SIZE
from partledger.crypto.errors import ContainerFormatError, TruncatedContainerError

MAGIC = b"PLEDGER\x00"
FORMAT_VERSION = 1
ALG_AES256GCM_HKDF_SHA256 = 1
SALT_SIZE = 16
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
MIN_SEGMENT_SIZE = 16
MAX_SEGMENT_SIZE = 16 * 1024 * 1024
DEFAULT_SEGMENT_SIZE = 1024 * 1024
MAX_SEGMENTS = 2**32
SUBKEY_INFO = b"partledger/container/v1/aes-256-gcm"

_HEADER = struct.Struct(f">8sBBI{KEY_ID_SIZE}s{SALT_SIZE}s{NONCE_PREFIX_SIZE}s")
HEADER_SIZE = _HEADER.size


@dataclass(frozen=True, slots=True)
class ContainerHeader:
    """The fixed-size header that starts every container."""

    segment_size: int
    key_id: bytes
    salt: bytes
    nonce_prefix: bytes
    version: int = FORMAT_VERSION
    algorithm: int = ALG_AES256GCM_HKDF_SHA256

    def __post_init__(self) -> None:
        check_segment_size(self.segment_size)
        if len(self.key_id) != KEY_ID_SIZE:
            raise ContainerFormatError(f"key id must be {KEY_ID_SIZE} bytes")
        if len(self.salt) != SALT_SIZE:
            raise ContainerFormatError(f"salt must be {SALT_SIZE} bytes")
        if len(self.nonce_prefix) != NONCE_PREFIX_SIZE:
            raise ContainerFormatError(f"nonce prefix must be {NONCE_PREFIX_SIZE} bytes")

    def to_bytes(self) -> bytes:
        """Serialize the header (``HEADER_SIZE`` bytes)."""
        return _HEADER.pack(
            MAGIC,
            self.version,
            self.algorithm,
            self.segment_size,
            self.key_id,
            self.salt,
            self.nonce_prefix,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ContainerHeader:
        """Parse and validate a header; raise a specific error on anything unexpected."""
        if len(data) < HEADER_SIZE:
            if MAGIC.startswith(data[: len(MAGIC)]):
                raise TruncatedContainerError(
                    f"container truncated inside its header ({len(data)} of {HEADER_SIZE} bytes)"
                )
            raise ContainerFormatError("not a PartLedger container (bad magic)")
        magic, version, algorithm, segment_size, key_id, salt, prefix = _HEADER.unpack(
            data[:HEADER_SIZE]
        )
        if magic != MAGIC:
            raise ContainerFormatError("not a PartLedger container (bad magic)")
        if version != FORMAT_VERSION:
            raise ContainerFormatError(f"unsupported container format version {version}")
        if algorithm != ALG_AES256GCM_HKDF_SHA256:
            raise ContainerFormatError(f"unsupported container algorithm {algorithm}")
        return cls(segment_size, key_id, salt, prefix, version, algorithm)


def check_segment_size(segment_size: int) -> None:
    """Raise ``ContainerFormatError`` unless the segment size is within the allowed range."""
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise ContainerFormatError(
            f"segment size {segment_size} outside [{MIN_SEGMENT_SIZE}, {MAX_SEGMENT_SIZE}]"
        )


def segment_nonce(prefix: bytes, index: int, last: bool) -> bytes:
    """Nonce of segment ``index``: prefix (7) || counter (4, big-endian) || last flag (1)."""
    if not 0 <= index < MAX_SEGMENTS:
        raise ContainerFormatError(f"segment counter {index} out of range")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def derive_segment_key(dek: bytes, salt: bytes) -> bytes:
    """Per-container AES-256 key: HKDF-SHA256(ikm=DEK, salt=header salt, info=label)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=SUBKEY_INFO).derive(dek)


def ciphertext_size(plaintext_size: int, segment_size: int) -> int:
    """Exact container size for a plaintext of ``plaintext_size`` bytes."""
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER_SIZE + plaintext_size + segments * TAG_SIZE
