"""The blob-store contract runs on every backend: ``blob_store`` is parametrised over them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.s3 import S3Server, s3_bucket, s3_server  # noqa: F401  (fixtures)
from partledger.storage import BlobStore, FilesystemBlobStore, S3BlobStore

S3_PART = 5 * 1024 * 1024  # S3's minimum part size: multipart starts early in tests


@dataclass
class Backend:
    """A store under test plus backend-specific access for the tests that need it."""

    name: str
    store: Any
    make: Callable[..., Any]
    """Another store on the same location (e.g. another size limit)."""
    overwrite: Callable[[str, bytes], None]
    """Replace a stored blob's bytes behind the store's back (corruption)."""
    leftovers: Callable[[], list[str]]
    """Temporary files or unfinished uploads left behind."""


def filesystem_backend(root: Path) -> Backend:
    def make(**options: Any) -> FilesystemBlobStore:
        return FilesystemBlobStore(root, **options)

    store = make()

    def overwrite(sha: str, data: bytes) -> None:
        path = store.path_of(sha)
        os.chmod(path, 0o600)
        path.write_bytes(data)

    def leftovers() -> list[str]:
        return [p.name for p in (root / ".tmp").iterdir()]

    return Backend("filesystem", store, make, overwrite, leftovers)


def s3_backend(server: S3Server, bucket: str, prefix: str = "pl/blobs") -> Backend:
    def make(**options: Any) -> S3BlobStore:
        options = {"part_size": S3_PART, "min_purge_age": 0.0, **options}
        return S3BlobStore(bucket, prefix, endpoint_url=server.endpoint, **options)

    store = make()
    client = server.client()

    def overwrite(sha: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=store.key_of(sha), Body=data)

    def leftovers() -> list[str]:
        uploads = [u.key for u in store.abandoned_uploads(older_than_seconds=-60)]
        listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/.uploads/")
        return uploads + [o["Key"] for o in listed.get("Contents", [])]

    return Backend("s3", store, make, overwrite, leftovers)


@pytest.fixture(params=["filesystem", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "filesystem":
        return filesystem_backend(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_backend(server, request.getfixturevalue("s3_bucket"))


@pytest.fixture
def blob_store(backend: Backend) -> BlobStore:
    """The store under test, on each backend in turn."""
    store: BlobStore = backend.store
    return store
