"""Content-addressed blob storage (filesystem and S3 backends) and encrypted design storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from partledger.storage.s3 import (
    AbandonedUpload,
    BlobStoreUnavailableError,
    S3BlobStore,
    S3Location,
    parse_s3_url,
)

__all__ = [
    "AbandonedUpload",
    "BlobCorruptedError",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobSource",
    "BlobStore",
    "BlobStoreUnavailableError",
    "BlobTooLargeError",
    "BlobWriteError",
    "FilesystemBlobStore",
    "InvalidBlobIdError",
    "S3BlobStore",
    "S3Location",
    "StorageError",
    "StoredDesign",
    "blob_digest",
    "check_blob_id",
    "get_bytes",
    "open_blob_store",
    "parse_s3_url",
    "put_bytes",
    "retrieve_decrypted",
    "store_encrypted",
    "verify_blob",
]


def open_blob_store(
    url_or_path: str | Path,
    *,
    max_blob_bytes: int | None = None,
    **s3_options: Any,
) -> BlobStore:
    """The blob store at ``url_or_path``: ``s3://bucket/prefix`` (an S3-compatible bucket;
    endpoint, region and credentials from ``s3_options`` or the AWS variables), or a
    directory (a path or ``file://`` URL) for the filesystem store."""
    limit = {} if max_blob_bytes is None else {"max_blob_bytes": max_blob_bytes}
    if isinstance(url_or_path, str):
        scheme = url_or_path.split("://", 1)[0].lower() if "://" in url_or_path else ""
        if scheme == "s3":
            return S3BlobStore.from_url(url_or_path, **limit, **s3_options)
        if scheme == "file":
            url_or_path = url_or_path[len("file://") :]
        elif scheme:
            raise ValueError(f"unsupported blob store URL {url_or_path!r} (s3:// or a path)")
    if s3_options:
        raise TypeError(f"S3 options given for a filesystem store: {sorted(s3_options)}")
    return FilesystemBlobStore(Path(url_or_path), **limit)
