"""Filesystem-only BlobStore behaviour: on-disk layout, write errors from the kernel, temp files.

The contract every backend meets is in ``test_blob_store_contract.py``.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from partledger.crypto import direct_io as direct_io_module
from partledger.storage import (
    BlobInfo,
    BlobStore,
    BlobWriteError,
    FilesystemBlobStore,
    InvalidBlobIdError,
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


def test_stale_temp_files_are_purged_and_never_listed(store: FilesystemBlobStore) -> None:
    stale = store.root / ".tmp" / "blob.crashed.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    assert list(store.list()) == []
    assert store.purge_temp(older_than_seconds=60) == 1
    assert _leftovers(store) == []


def test_path_of_rejects_malformed_ids(store: FilesystemBlobStore) -> None:
    for bad_id in ("../../etc/passwd", "A" * 64, "/" + "0" * 63):
        with pytest.raises(InvalidBlobIdError):
            store.path_of(bad_id)
