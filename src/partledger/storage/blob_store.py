"""The ``BlobStore`` protocol: content-addressed, streaming storage of opaque blobs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from partledger.storage.errors import (
    BlobCorruptedError,
    BlobTooLargeError,
    InvalidBlobIdError,
    StorageError,
)

BlobSource = BinaryIO | Iterable[bytes]

_BLOB_ID = re.compile(r"[0-9a-f]{64}")


def check_blob_id(blob_id: str) -> str:
    """Return ``blob_id`` if it is a lowercase hex SHA-256, else raise ``InvalidBlobIdError``."""
    if not isinstance(blob_id, str) or not _BLOB_ID.fullmatch(blob_id):
        raise InvalidBlobIdError(f"invalid blob id {blob_id!r}: expected 64 lowercase hex chars")
    return blob_id


class BlobHashMismatchError(StorageError, ValueError):
    """The bytes given to ``put`` do not hash to the ``expected_sha256``; nothing was stored."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(
            f"the blob hashes to {actual}, not to the expected {expected}; nothing was stored"
        )
        self.expected = expected
        self.actual = actual


def check_expected_sha256(expected_sha256: str | None) -> str | None:
    """Validate an ``expected_sha256`` argument (``None`` passes: nothing expected)."""
    return None if expected_sha256 is None else check_blob_id(expected_sha256)


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored blob: its SHA-256 (lowercase hex, also its id) and size in bytes."""

    sha256: str
    size: int


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed blob storage; a blob is visible only once completely written."""

    def put(
        self,
        stream: BlobSource,
        *,
        max_bytes: int | None = None,
        expected_sha256: str | None = None,
    ) -> BlobInfo:
        """Store the bytes of ``stream``; return their SHA-256 id and size.

        With ``expected_sha256`` (the id the caller knows already), bytes hashing to
        anything else raise ``BlobHashMismatchError`` and nothing becomes visible; a
        backend may use the known id to write the blob in place (S3: no copy).
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading."""
        ...

    def stat(self, sha256: str) -> BlobInfo:
        """Size of a stored blob (``BlobNotFoundError`` if absent)."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove a blob; return whether it existed."""
        ...

    def list(self) -> Iterator[str]:
        """Yield the ids of all stored blobs."""
        ...


def put_bytes(store: BlobStore, data: bytes, *, max_bytes: int | None = None) -> BlobInfo:
    """Store a small blob (wrapped key, licence terms, quality report)."""
    return store.put([bytes(data)], max_bytes=max_bytes)


def get_bytes(store: BlobStore, sha256: str, *, max_bytes: int = 16 * 1024 * 1024) -> bytes:
    """Read a small blob whole, checking its size limit and its hash."""
    with store.open(sha256) as blob:
        data = blob.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BlobTooLargeError(max_bytes)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobCorruptedError(f"blob {sha256} does not match its hash")
    return data


def blob_digest(store: BlobStore, sha256: str) -> str:
    """Re-hash a stored blob; the hex SHA-256 its bytes have now (``BlobNotFoundError`` if none)."""
    digest = hashlib.sha256()
    with store.open(sha256) as blob:
        while chunk := blob.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_blob(store: BlobStore, sha256: str) -> None:
    """Raise ``BlobCorruptedError`` unless the stored bytes still hash to their id."""
    actual = blob_digest(store, sha256)
    if actual != sha256:
        raise BlobCorruptedError(f"blob {sha256} hashes to {actual}")
