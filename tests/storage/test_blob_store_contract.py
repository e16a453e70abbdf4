"""The BlobStore contract, on every backend (filesystem and S3): content addressing,
atomic visibility, limits, failing sources, concurrent writers, bad ids, corruption."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator

import pytest
from storage.conftest import Backend

from partledger.storage import (
    BlobCorruptedError,
    BlobInfo,
    BlobNotFoundError,
    BlobStore,
    BlobTooLargeError,
    InvalidBlobIdError,
    blob_digest,
    get_bytes,
    put_bytes,
    verify_blob,
)
from partledger.storage.blob_store import BlobHashMismatchError

MiB = 1024 * 1024


def test_put_returns_the_sha256_and_the_blob_reads_back(blob_store: BlobStore) -> None:
    data = os.urandom(3 * MiB + 1)
    info = blob_store.put(io.BytesIO(data))
    sha = hashlib.sha256(data).hexdigest()
    assert info == BlobInfo(sha, len(data))
    assert blob_store.exists(sha) and blob_store.stat(sha) == info
    with blob_store.open(sha) as blob:
        assert blob.read() == data
    assert list(blob_store.list()) == [sha]
    assert isinstance(blob_store, BlobStore)


def test_a_blob_of_many_parts_streams_back_in_chunks(blob_store: BlobStore) -> None:
    data = os.urandom(12 * MiB + 7)  # more than two S3 parts
    info = blob_store.put(iter([data[i : i + 700_000] for i in range(0, len(data), 700_000)]))
    assert info == BlobInfo(hashlib.sha256(data).hexdigest(), len(data))
    with blob_store.open(info.sha256) as blob:
        pieces = []
        while chunk := blob.read(1 << 20):
            assert len(chunk) <= 1 << 20
            pieces.append(chunk)
    assert b"".join(pieces) == data
    assert blob_digest(blob_store, info.sha256) == info.sha256
    verify_blob(blob_store, info.sha256)


def test_iterables_and_empty_blobs_are_accepted(blob_store: BlobStore) -> None:
    info = blob_store.put(iter([b"ab", b"", b"cd"]))
    assert info.sha256 == hashlib.sha256(b"abcd").hexdigest()
    empty = blob_store.put([])
    assert empty == BlobInfo(hashlib.sha256(b"").hexdigest(), 0)
    assert sorted(blob_store.list()) == sorted([info.sha256, empty.sha256])
    with blob_store.open(empty.sha256) as blob:
        assert blob.read() == b""


def test_storing_the_same_content_twice_is_one_blob(blob_store: BlobStore) -> None:
    for data in (b"licence terms", os.urandom(6 * MiB)):
        first = put_bytes(blob_store, data)
        assert put_bytes(blob_store, data) == first
    assert len(list(blob_store.list())) == 2


def test_small_blob_helpers_round_trip_and_check_the_hash(backend: Backend) -> None:
    store = backend.store
    info = put_bytes(store, b'{"max_prints": 10}')
    assert get_bytes(store, info.sha256) == b'{"max_prints": 10}'
    with pytest.raises(BlobTooLargeError):
        get_bytes(store, info.sha256, max_bytes=5)
    backend.overwrite(info.sha256, b'{"max_prints": 99}')
    with pytest.raises(BlobCorruptedError):
        get_bytes(store, info.sha256)
    with pytest.raises(BlobCorruptedError):
        store.verify(info.sha256)
    assert blob_digest(store, info.sha256) == hashlib.sha256(b'{"max_prints": 99}').hexdigest()


def test_delete_removes_and_reports_absence(blob_store: BlobStore) -> None:
    info = put_bytes(blob_store, b"quality report")
    assert blob_store.delete(info.sha256) is True
    assert blob_store.delete(info.sha256) is False
    assert not blob_store.exists(info.sha256)
    with pytest.raises(BlobNotFoundError):
        blob_store.open(info.sha256)
    with pytest.raises(FileNotFoundError):
        blob_store.stat(info.sha256)


def test_an_unknown_id_is_not_found_everywhere(blob_store: BlobStore) -> None:
    unknown = hashlib.sha256(b"never stored").hexdigest()
    assert not blob_store.exists(unknown)
    assert blob_store.delete(unknown) is False
    for call in (blob_store.open, blob_store.stat):
        with pytest.raises(BlobNotFoundError):
            call(unknown)
    with pytest.raises(BlobNotFoundError):
        get_bytes(blob_store, unknown)
    with pytest.raises(BlobNotFoundError):
        blob_digest(blob_store, unknown)


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
        "0" * 62 + "/x",
        ".uploads/" + "0" * 55,
    ],
)
def test_malformed_ids_are_rejected_everywhere(blob_store: BlobStore, bad_id: str) -> None:
    for call in (blob_store.open, blob_store.stat, blob_store.exists, blob_store.delete):
        with pytest.raises(InvalidBlobIdError):
            call(bad_id)
    with pytest.raises(ValueError):
        get_bytes(blob_store, bad_id)


def test_a_blob_over_the_limit_is_refused_and_leaves_nothing(backend: Backend) -> None:
    store = backend.store
    with pytest.raises(BlobTooLargeError, match="1000"):
        store.put(io.BytesIO(bytes(5000)), max_bytes=1000)
    with pytest.raises(BlobTooLargeError, match=str(7 * MiB)):  # refused after parts were sent
        store.put(io.BytesIO(os.urandom(12 * MiB)), max_bytes=7 * MiB)
    limited = backend.make(max_blob_bytes=100)
    with pytest.raises(BlobTooLargeError):
        limited.put([bytes(60), bytes(60)])
    with pytest.raises(BlobTooLargeError):
        limited.put([bytes(160)], max_bytes=10_000)
    assert limited.put([bytes(100)]).size == 100
    assert len(list(store.list())) == 1
    assert backend.leftovers() == []


def test_a_partial_blob_is_never_visible(backend: Backend) -> None:
    store = backend.store
    data = [os.urandom(3 * MiB) for _ in range(5)]
    sha = hashlib.sha256(b"".join(data)).hexdigest()
    seen: list[tuple[bool, list[str]]] = []

    def chunks() -> Iterator[bytes]:
        for chunk in data:
            seen.append((store.exists(sha), list(store.list())))
            yield chunk

    store.put(chunks())
    assert all(state == (False, []) for state in seen)
    assert store.exists(sha)
    assert backend.leftovers() == []


def test_a_failing_source_leaves_nothing(backend: Backend) -> None:
    store = backend.store

    def chunks(size: int) -> Iterator[bytes]:
        yield os.urandom(size)
        raise ConnectionResetError("upload aborted")

    for size in (1000, 11 * MiB):  # before and after the first S3 part
        with pytest.raises(ConnectionResetError):
            store.put(chunks(size))
    assert list(store.list()) == [] and backend.leftovers() == []


@pytest.mark.parametrize("size", [2 * MiB, 11 * MiB], ids=["one-part", "multipart"])
def test_concurrent_writers_of_the_same_blob_are_safe(backend: Backend, size: int) -> None:
    store = backend.store
    data = os.urandom(size)
    results: list[BlobInfo] = []
    barrier = threading.Barrier(6)

    def writer() -> None:
        barrier.wait()
        results.append(store.put(io.BytesIO(data)))

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sha = hashlib.sha256(data).hexdigest()
    assert results == [BlobInfo(sha, len(data))] * 6
    assert list(store.list()) == [sha]
    assert store.verify(sha).size == len(data)
    assert backend.leftovers() == []


# -- a blob whose SHA-256 the caller knows in advance -------------------------------------
@pytest.mark.parametrize("size", [1000, 12 * MiB + 3], ids=["one-part", "multipart"])
def test_a_blob_with_its_expected_hash_is_stored(backend: Backend, size: int) -> None:
    store = backend.store
    data = os.urandom(size)
    sha = hashlib.sha256(data).hexdigest()
    chunks = [data[i : i + 700_000] for i in range(0, len(data), 700_000)]
    info = store.put(iter(chunks), expected_sha256=sha)
    assert info == BlobInfo(sha, size)
    assert list(store.list()) == [sha]
    assert store.verify(sha) == info
    assert store.put(io.BytesIO(data), expected_sha256=sha) == info  # stored already
    assert list(store.list()) == [sha]
    assert backend.leftovers() == []


@pytest.mark.parametrize("size", [1000, 12 * MiB + 3], ids=["one-part", "multipart"])
def test_a_blob_not_matching_its_expected_hash_is_refused_and_leaves_nothing(
    backend: Backend, size: int
) -> None:
    store = backend.store
    data = os.urandom(size)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(BlobHashMismatchError) as refused:
        store.put(io.BytesIO(data), expected_sha256=wrong)
    assert refused.value.expected == wrong
    assert refused.value.actual == hashlib.sha256(data).hexdigest()
    assert wrong in str(refused.value) and refused.value.actual in str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert not store.exists(wrong) and not store.exists(refused.value.actual)
    assert list(store.list()) == []
    assert backend.leftovers() == []  # S3: the multipart upload was aborted


def test_a_stored_blob_is_not_vouched_for_by_different_bytes(blob_store: BlobStore) -> None:
    info = put_bytes(blob_store, b"the real container")
    with pytest.raises(BlobHashMismatchError):
        blob_store.put([b"another container"], expected_sha256=info.sha256)
    assert get_bytes(blob_store, info.sha256) == b"the real container"
    assert list(blob_store.list()) == [info.sha256]


def test_an_expected_blob_over_the_limit_is_refused_and_leaves_nothing(backend: Backend) -> None:
    store = backend.store
    for size, limit in ((5000, 1000), (12 * MiB, 7 * MiB)):  # S3: after parts were sent
        data = os.urandom(size)
        sha = hashlib.sha256(data).hexdigest()
        with pytest.raises(BlobTooLargeError, match=str(limit)):
            store.put(io.BytesIO(data), max_bytes=limit, expected_sha256=sha)
        assert not store.exists(sha)
    stored = put_bytes(store, bytes(2000))
    with pytest.raises(BlobTooLargeError):  # stored already: the limit still holds
        store.put([bytes(2000)], max_bytes=1000, expected_sha256=stored.sha256)
    assert list(store.list()) == [stored.sha256]
    assert backend.leftovers() == []


@pytest.mark.parametrize("bad", ["A" * 64, "0" * 63, "../" + "0" * 61, ""])
def test_a_malformed_expected_hash_is_refused_before_reading(
    blob_store: BlobStore, bad: str
) -> None:
    def chunks() -> Iterator[bytes]:
        raise AssertionError("the stream was read")
        yield b""

    with pytest.raises(InvalidBlobIdError):
        blob_store.put(chunks(), expected_sha256=bad)
    assert list(blob_store.list()) == []


def test_concurrent_writers_of_an_expected_blob_are_safe(backend: Backend) -> None:
    store = backend.store
    data = os.urandom(11 * MiB)
    sha = hashlib.sha256(data).hexdigest()
    results: list[BlobInfo] = []
    barrier = threading.Barrier(4)

    def writer() -> None:
        barrier.wait()
        results.append(store.put(io.BytesIO(data), expected_sha256=sha))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [BlobInfo(sha, len(data))] * 4
    assert list(store.list()) == [sha]
    assert store.verify(sha).size == len(data)
    assert backend.leftovers() == []
