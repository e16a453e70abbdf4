"""Content-addressed blob storage (filesystem backend) and encrypted design storage."""

from partledger.storage.blob_store import (
    BlobInfo,
    BlobSource,
    BlobStore,
    blob_digest,
    check_blob_id,
    get_bytes,
    put_bytes,
    verify_blob,
)
from partledger.storage.encrypted import StoredDesign, retrieve_decrypted, store_encrypted
from partledger.storage.errors import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobTooLargeError,
    BlobWriteError,
    InvalidBlobIdError,
    StorageError,
)
from partledger.storage.filesystem import FilesystemBlobStore

__all__ = [
    "BlobCorruptedError",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobSource",
    "BlobStore",
    "BlobTooLargeError",
    "BlobWriteError",
    "FilesystemBlobStore",
    "InvalidBlobIdError",
    "StorageError",
    "StoredDesign",
    "blob_digest",
    "check_blob_id",
    "get_bytes",
    "put_bytes",
    "retrieve_decrypted",
    "store_encrypted",
    "verify_blob",
]
