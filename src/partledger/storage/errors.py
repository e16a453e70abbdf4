"""Errors raised by :mod:`partledger.storage`."""

from __future__ import annotations

from partledger.errors import PartLedgerError


class StorageError(PartLedgerError):
    """Base class of every blob-store error."""


class InvalidBlobIdError(StorageError, ValueError):
    """A blob id is not a lowercase hex SHA-256 (64 characters)."""


class BlobNotFoundError(StorageError, FileNotFoundError):
    """No blob with that id is stored."""


class BlobTooLargeError(StorageError, ValueError):
    """The blob exceeds the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"blob exceeds the size limit of {limit} bytes; nothing was stored")
        self.limit = limit


class BlobWriteError(StorageError, OSError):
    """Writing the blob failed (disk full, I/O error); nothing was stored."""


class BlobCorruptedError(StorageError, ValueError):
    """The stored bytes no longer hash to the blob id."""
