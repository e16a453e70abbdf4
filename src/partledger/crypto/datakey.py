"""Data encryption keys (DEKs): one random 256-bit key per design revision."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

DEK_SIZE = 32
KEY_ID_SIZE = 16
_KEY_ID_LABEL = b"partledger/key-id/v1"


def key_id_of(key: bytes) -> bytes:
    """Return the 16-byte key id of ``key``: HMAC-SHA256(key, label), truncated.

    The id identifies the key (and detects a wrong key) without revealing it.
    """
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).digest()[:KEY_ID_SIZE]


@dataclass(frozen=True, slots=True)
class DataKey:
    """A 256-bit AES data key. ``repr`` never shows the key material."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) != DEK_SIZE:
            raise ValueError(f"a data key is exactly {DEK_SIZE} bytes")

    @classmethod
    def generate(cls) -> DataKey:
        """Draw a fresh random data key from the OS CSPRNG."""
        return cls(os.urandom(DEK_SIZE))

    @property
    def key_id(self) -> bytes:
        """The key's 16-byte id, written into container headers and wrapped-key blobs."""
        return key_id_of(self.key)
