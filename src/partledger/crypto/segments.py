"""Per-segment AES-256-GCM sealing and opening of the container format."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from partledger.crypto.container_format import (
    DEFAULT_SEGMENT_SIZE,
    NONCE_PREFIX_SIZE,
    SALT_SIZE,
    TAG_SIZE,
    ContainerHeader,
    derive_segment_key,
    segment_nonce,
)
from partledger.crypto.datakey import DataKey
from partledger.crypto.errors import (
    ContainerFormatError,
    KeyMismatchError,
    SegmentAuthenticationError,
    TrailingDataError,
    TruncatedContainerError,
)


class SegmentEncryptor:
    """Seals the segments of one container. ``salt``/``nonce_prefix`` only for test vectors."""

    def __init__(
        self,
        dek: DataKey,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        *,
        salt: bytes | None = None,
        nonce_prefix: bytes | None = None,
    ) -> None:
        self.header = ContainerHeader(
            segment_size=segment_size,
            key_id=dek.key_id,
            salt=os.urandom(SALT_SIZE) if salt is None else salt,
            nonce_prefix=os.urandom(NONCE_PREFIX_SIZE) if nonce_prefix is None else nonce_prefix,
        )
        self.header_bytes = self.header.to_bytes()
        self._aead = AESGCM(derive_segment_key(dek.key, self.header.salt))

    def seal(self, index: int, plaintext: bytes, last: bool) -> bytes:
        """Encrypt segment ``index``; segment 0 also authenticates the header."""
        size = self.header.segment_size
        if len(plaintext) > size or (not last and len(plaintext) != size):
            raise ValueError(f"segment {index} has {len(plaintext)} bytes (segment size {size})")
        nonce = segment_nonce(self.header.nonce_prefix, index, last)
        return self._aead.encrypt(nonce, plaintext, self.header_bytes if index == 0 else None)


class SegmentDecryptor:
    """Opens the segments of one container after checking its header's key id."""

    def __init__(self, dek: DataKey, header: ContainerHeader) -> None:
        if header.key_id != dek.key_id:
            raise KeyMismatchError(
                f"container is encrypted under key id {header.key_id.hex()}, "
                f"the supplied key has id {dek.key_id.hex()} (wrong key or altered header)"
            )
        self.header = header
        self.header_bytes = header.to_bytes()
        self._aead = AESGCM(derive_segment_key(dek.key, header.salt))

    def _open(self, index: int, ciphertext: bytes, last: bool) -> bytes | None:
        nonce = segment_nonce(self.header.nonce_prefix, index, last)
        aad = self.header_bytes if index == 0 else None
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            return None

    def open(self, index: int, ciphertext: bytes, last: bool) -> bytes:
        """Authenticate and decrypt segment ``index``; raise a specific error on failure."""
        if len(ciphertext) < TAG_SIZE:
            raise TruncatedContainerError(
                f"container truncated: segment {index} has {len(ciphertext)} bytes, "
                f"less than its {TAG_SIZE}-byte tag"
            )
        plaintext = self._open(index, ciphertext, last)
        if plaintext is not None:
            if last and not plaintext and index > 0:
                raise ContainerFormatError(f"empty final segment {index} (non-canonical)")
            return plaintext
        # Classify the failure without releasing anything: does the other flag open it?
        if self._open(index, ciphertext, not last) is not None:
            if last:
                raise TruncatedContainerError(
                    f"container truncated after segment {index} (final segment missing)"
                )
            raise TrailingDataError(f"data follows the final segment {index}")
        what = "header or segment 0" if index == 0 else f"segment {index}"
        raise SegmentAuthenticationError(
            f"{what} failed authentication (tampered, reordered, spliced or truncated)",
            segment_index=index,
        )
