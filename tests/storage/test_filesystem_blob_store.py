"""Filesystem BlobStore: content addressing, atomicity, limits, write failures, concurrency."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from partledger.crypto import direct_io as direct_io_module
from partledger.storage import (
    BlobCorruptedError,
    BlobInfo,
    BlobNotFoundError,
    BlobStore,
    BlobTooLargeError,
    BlobWriteError,
    FilesystemBlobStore,
    InvalidBlobIdError,
    get_bytes,
    put_bytes,
)


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def _leftovers(store: FilesystemBlobStore) -> list[Path]:
    return list((store.root / ".tmp").iterdir())


def test_put_stores_under_the_sha256_sharded_by_two_hex_chars(store: FilesystemBlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 1)
    info = store.put(io.BytesIO(data))
    sha = hashlib.sha256(data).hexdigest()
    assert info == BlobInfo(sha, len(data))
    assert (store.root / sha[:2] / sha).read_bytes() == data
    assert store.exists(sha) and store.stat(sha) == info
    with store.open(sha) as blob:
        assert blob.read() == data
    assert list(store.list()) == [sha]
    assert isinstance(store, BlobStore)


def test_iterables_and_empty_blobs_are_accepted(store: FilesystemBlobStore) -> None:
    info = store.put(iter([b"ab", b"", b"cd"]))
    assert info.sha256 == hashlib.sha256(b"abcd").hexdigest()
    empty = store.put([])
    assert empty == BlobInfo(hashlib.sha256(b"").hexdigest(), 0)
    assert sorted(store.list()) == sorted([info.sha256, empty.sha256])


def test_small_blob_helpers_round_trip_and_check_the_hash(store: FilesystemBlobStore) -> None:
    info = put_bytes(store, b'{"max_prints": 10}')
    assert get_bytes(store, info.sha256) == b'{"max_prints": 10}'
    with pytest.raises(BlobTooLargeError):
        get_bytes(store, info.sha256, max_bytes=5)
    path = store.path_of(info.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b'{"max_prints": 99}')
    with pytest.raises(BlobCorruptedError):
        get_bytes(store, info.sha256)
    with pytest.raises(BlobCorruptedError):
        store.verify(info.sha256)


def test_delete_removes_and_reports_absence(store: FilesystemBlobStore) -> None:
    info = put_bytes(store, b"quality report")
    assert store.delete(info.sha256) is True
    assert store.delete(info.sha256) is False
    assert not store.exists(info.sha256)
    with pytest.raises(BlobNotFoundError):
        store.open(info.sha256)
    with pytest.raises(FileNotFoundError):
        store.stat(info.sha256)


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../etc/passwd",
        "A" * 64,
        "0" * 63,
        "0" * 65,
        "",
        "g" * 64,
        "../" + "0" * 61,
        "/" + "0" * 63,
    ],
)
def test_malformed_ids_are_rejected_everywhere(store: FilesystemBlobStore, bad_id: str) -> None:
    for call in (store.open, store.stat, store.exists, store.delete, store.path_of):
        with pytest.raises(InvalidBlobIdError):
            call(bad_id)
    with pytest.raises(ValueError):
        get_bytes(store, bad_id)


def test_a_blob_over_the_limit_is_refused_and_leaves_nothing(store: FilesystemBlobStore) -> None:
    with pytest.raises(BlobTooLargeError, match="1000"):
        store.put(io.BytesIO(bytes(5000)), max_bytes=1000)
    limited = FilesystemBlobStore(store.root, max_blob_bytes=100)
    with pytest.raises(BlobTooLargeError):
        limited.put([bytes(60), bytes(60)])
    with pytest.raises(BlobTooLargeError):
        limited.put([bytes(160)], max_bytes=10_000)
    assert limited.put([bytes(100)]).size == 100
    assert len(list(store.list())) == 1
    assert _leftovers(store) == []


def test_a_partial_blob_is_never_visible(store: FilesystemBlobStore) -> None:
    data = [os.urandom(1000) for _ in range(5)]
    sha = hashlib.sha256(b"".join(data)).hexdigest()
    seen: list[tuple[bool, list[str]]] = []

    def chunks() -> Iterator[bytes]:
        for chunk in data:
            seen.append((store.exists(sha), list(store.list())))
            yield chunk

    store.put(chunks())
    assert all(state == (False, []) for state in seen)
    assert store.exists(sha)


def test_disk_full_mid_blob_leaves_nothing(
    store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    budget = [2 * 1024 * 1024]

    def write_until_full(fd: int, data: Any) -> int:
        budget[0] -= len(data)
        if budget[0] < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(direct_io_module.os, "write", write_until_full)
    with pytest.raises(BlobWriteError) as info:
        store.put(io.BytesIO(os.urandom(5 * 1024 * 1024)))
    assert info.value.errno == errno.ENOSPC
    assert isinstance(info.value, OSError)
    assert list(store.list()) == []
    assert _leftovers(store) == []


def test_a_real_write_error_from_the_kernel_leaves_nothing(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import io, os, resource, signal
        from pathlib import Path
        from partledger.storage import BlobWriteError, FilesystemBlobStore
        store = FilesystemBlobStore(Path({str(tmp_path)!r}) / "blobs")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))
        try:
            store.put(io.BytesIO(os.urandom(4 * 1024 * 1024)))
        except BlobWriteError as exc:
            print("write error", exc.errno)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("write error")
    store = FilesystemBlobStore(tmp_path / "blobs")
    assert list(store.list()) == []
    assert _leftovers(store) == []


def test_a_failing_source_leaves_nothing(store: FilesystemBlobStore) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"x" * 1000
        raise ConnectionResetError("upload aborted")

    with pytest.raises(ConnectionResetError):
        store.put(chunks())
    assert list(store.list()) == [] and _leftovers(store) == []


def test_concurrent_writers_of_the_same_blob_are_safe(store: FilesystemBlobStore) -> None:
    data = os.urandom(2 * 1024 * 1024)
    results: list[BlobInfo] = []
    barrier = threading.Barrier(8)

    def writer() -> None:
        barrier.wait()
        results.append(store.put(io.BytesIO(data)))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sha = hashlib.sha256(data).hexdigest()
    assert results == [BlobInfo(sha, len(data))] * 8
    assert list(store.list()) == [sha]
    assert store.verify(sha).size == len(data)
    assert _leftovers(store) == []


def test_stale_temp_files_are_purged_and_never_listed(store: FilesystemBlobStore) -> None:
    stale = store.root / ".tmp" / "blob.crashed.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    assert list(store.list()) == []
    assert store.purge_temp(older_than_seconds=60) == 1
    assert _leftovers(store) == []
