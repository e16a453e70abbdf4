"""Filesystem ``BlobStore``: ``<root>/<2 hex>/<64 hex>``, atomic and durable writes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from partledger.crypto.allocator import keep_large_buffers_on_heap
from partledger.crypto.atomic_file import fsync_directory
from partledger.crypto.direct_io import DirectReader, DirectWriter
from partledger.storage.blob_store import (
    BlobHashMismatchError,
    BlobInfo,
    BlobSource,
    check_blob_id,
    check_expected_sha256,
)
from partledger.storage.errors import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobTooLargeError,
    BlobWriteError,
)

_TMP_DIR = ".tmp"
_READ_CHUNK = 1024 * 1024
_DIRECT_READ_MIN_BYTES = 8 * 1024 * 1024  # below this a plain buffered read is cheaper
DEFAULT_MAX_BLOB_BYTES = 64 * 1024**3


class FilesystemBlobStore:
    """Blobs as read-only files named by their SHA-256, sharded by its first two hex chars.

    A blob is written to ``<root>/.tmp``, fsynced, then renamed into place, so a
    reader never sees a partial blob; concurrent writers of the same blob each
    rename identical content. Failed or oversized writes leave nothing behind.
    """

    def __init__(self, root: Path, *, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES) -> None:
        self.root = Path(root)
        self.max_blob_bytes = max_blob_bytes
        self._tmp = self.root / _TMP_DIR
        self._tmp.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_of(self, sha256: str) -> Path:
        """Where the blob lives (validated id: no path traversal possible)."""
        check_blob_id(sha256)
        return self.root / sha256[:2] / sha256

    def put(
        self,
        stream: BlobSource,
        *,
        max_bytes: int | None = None,
        expected_sha256: str | None = None,
    ) -> BlobInfo:
        """Store ``stream`` (binary file or iterable of chunks) and return its id and size.

        With ``expected_sha256``, bytes hashing to anything else raise
        ``BlobHashMismatchError``: the temporary file is removed, nothing is visible."""
        check_expected_sha256(expected_sha256)
        keep_large_buffers_on_heap()
        limit = self.max_blob_bytes if max_bytes is None else min(max_bytes, self.max_blob_bytes)
        fd, temp_name = tempfile.mkstemp(prefix="blob.", suffix=".tmp", dir=self._tmp)
        temp = Path(temp_name)
        try:
            try:
                with DirectWriter(fd) as writer:  # aborted on any error
                    digest, size = _copy_hashing(stream, writer, limit)
                    with _write_errors():
                        writer.finish()
            finally:
                os.close(fd)
            sha256 = digest.hexdigest()
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise BlobHashMismatchError(expected_sha256, sha256)
            final = self.path_of(sha256)
            with _write_errors():
                final.parent.mkdir(exist_ok=True)
                os.chmod(temp, 0o400)
                os.replace(temp, final)
                fsync_directory(final.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        return BlobInfo(sha256, size)

    def open(self, sha256: str) -> BinaryIO:
        """Open a blob for reading."""
        path = self.path_of(sha256)
        try:
            if path.stat().st_size >= _DIRECT_READ_MIN_BYTES:
                return DirectReader(path)  # type: ignore[return-value]
            return open(path, "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {sha256}") from None

    def stat(self, sha256: str) -> BlobInfo:
        """Id and size of a stored blob."""
        path = self.path_of(sha256)
        try:
            return BlobInfo(sha256, path.stat().st_size)
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {sha256}") from None

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path_of(sha256).is_file()

    def delete(self, sha256: str) -> bool:
        """Remove a blob; return whether it existed."""
        path = self.path_of(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_directory(path.parent)
        return True

    def list(self) -> Iterator[str]:
        """Yield stored blob ids in sorted order (temp files are never listed)."""
        for shard in sorted(self.root.iterdir()):
            if len(shard.name) != 2 or not shard.is_dir():
                continue
            for blob in sorted(shard.iterdir()):
                name = blob.name
                if name.startswith(shard.name) and _is_blob_id(name):
                    yield name

    def verify(self, sha256: str) -> BlobInfo:
        """Re-hash a stored blob; raise ``BlobCorruptedError`` if it no longer matches."""
        digest = hashlib.sha256()
        size = 0
        with self.open(sha256) as blob:
            while chunk := blob.read(_READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise BlobCorruptedError(f"blob {sha256} hashes to {digest.hexdigest()}")
        return BlobInfo(sha256, size)

    def purge_temp(self, *, older_than_seconds: float = 3600.0) -> int:
        """Remove leftover temp files of crashed writers; return how many were removed."""
        import time

        cutoff = time.time() - older_than_seconds
        removed = 0
        for temp in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
        return removed


def _is_blob_id(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _copy_hashing(stream: BlobSource, out: DirectWriter, limit: int) -> tuple[hashlib._Hash, int]:
    """Write ``stream`` to ``out`` while a helper thread hashes it (both release the GIL)."""
    chunks: Iterator[bytes]
    if hasattr(stream, "read"):
        chunks = iter(lambda: stream.read(_READ_CHUNK), b"")
    else:
        chunks = iter(stream)
    hasher = _Hasher()
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise BlobTooLargeError(limit)
            hasher.feed(chunk)
            with _write_errors():
                out.write(chunk)
    finally:
        hasher.finish()
    return hasher.digest, size


class _Hasher:
    """SHA-256 computed in a worker thread behind a small bounded queue."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, name="pl-blob-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self.digest.update(chunk)

    def feed(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()


@contextlib.contextmanager
def _write_errors() -> Iterator[None]:
    """Turn an ``OSError`` of the store's own writes into ``BlobWriteError``."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, BlobWriteError):
            raise
        raise BlobWriteError(exc.errno, f"writing blob failed: {exc.strerror or exc}") from exc
