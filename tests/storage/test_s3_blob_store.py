"""S3-only behaviour: crashed writers, abandoned uploads, a server that goes away, ranged
reads, conditional publishing, what ``list`` ignores (moto S3 server on loopback, no mocks)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from storage.conftest import S3_PART, Backend, s3_backend

from helpers.s3 import S3Server, start_s3_server
from partledger.storage import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    S3BlobStore,
    StorageError,
    put_bytes,
)

MiB = 1024 * 1024


@pytest.fixture
def s3(s3_server: S3Server, s3_bucket: str) -> Backend:
    return s3_backend(s3_server, s3_bucket)


def _writer_script(bucket: str, endpoint: str, crash_point: str) -> str:
    """A writer that stops (and waits to be killed) mid-upload or before publishing."""
    return textwrap.dedent(
        f"""
        import os, sys, time
        from partledger.storage import S3BlobStore
        store = S3BlobStore({bucket!r}, "pl/blobs", endpoint_url={endpoint!r},
                            part_size={S3_PART})
        def hang(*args, **kwargs):
            print("ready", flush=True)
            time.sleep(600)
        if {crash_point!r} == "before-publish":
            store._publish = hang
        def chunks():
            for _ in range(3):
                yield os.urandom({S3_PART})
            if {crash_point!r} == "mid-upload":
                time.sleep(1.0)  # let the part uploads land
                hang()
        store.put(chunks())
        """
    )


@pytest.mark.parametrize(
    ("crash_point", "kind"),
    [("mid-upload", "multipart"), ("before-publish", "temp_object")],
)
def test_a_writer_killed_mid_upload_leaves_no_blob_and_its_upload_is_reported(
    s3: Backend, s3_server: S3Server, crash_point: str, kind: str
) -> None:
    store: S3BlobStore = s3.store
    script = _writer_script(store.bucket, s3_server.endpoint, crash_point)
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert list(store.list()) == []
    [abandoned] = store.abandoned_uploads(older_than_seconds=0)
    assert abandoned.kind == kind and abandoned.key.startswith("pl/blobs/.uploads/")
    assert store.abandoned_uploads(older_than_seconds=3600) == []  # too young to be abandoned
    young = S3BlobStore(store.bucket, "pl/blobs", endpoint_url=s3_server.endpoint)
    assert young.purge_temp(older_than_seconds=0) == 0  # another writer may still be busy
    assert store.purge_temp(older_than_seconds=0) == 1  # min_purge_age=0 in tests
    assert s3.leftovers() == []


def test_publishing_onto_existing_content_is_success_and_leaves_nothing(
    s3: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: S3BlobStore = s3.store
    data = os.urandom(11 * MiB)
    first = store.put(io.BytesIO(data))
    client = store.client
    before = client.head_object(Bucket=store.bucket, Key=store.key_of(first.sha256))
    # as if another writer published between our existence check and our copy:
    # the conditional write (If-None-Match: *) refuses, which means "already stored"
    monkeypatch.setattr(store, "exists", lambda sha: False)
    assert store.put(io.BytesIO(data)) == first
    after = client.head_object(Bucket=store.bucket, Key=store.key_of(first.sha256))
    assert after["ETag"] == before["ETag"]
    assert s3.leftovers() == []


def test_an_expected_blob_goes_straight_to_its_key_without_a_copy(
    s3: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: S3BlobStore = s3.store
    data = os.urandom(3 * S3_PART + 11)
    sha = hashlib.sha256(data).hexdigest()
    calls: list[tuple[str, str]] = []
    client = store.client
    for name in ("create_multipart_upload", "upload_part_copy", "put_object", "copy_object"):
        original = getattr(client, name)

        def spy(*args: object, _name: str = name, _call: object = original, **kw: object) -> object:
            calls.append((_name, str(kw.get("Key"))))
            return _call(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(client, name, spy)
    assert store.put(io.BytesIO(data), expected_sha256=sha).sha256 == sha
    assert calls == [("create_multipart_upload", store.key_of(sha))]
    with store.open(sha) as blob:
        assert blob.read() == data
    assert s3.leftovers() == []


def test_an_expected_blob_published_meanwhile_by_another_writer_is_success(
    s3: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: S3BlobStore = s3.store
    data = os.urandom(11 * MiB)
    sha = hashlib.sha256(data).hexdigest()
    other = s3.make()
    assert other.put(io.BytesIO(data)).sha256 == sha
    before = store.client.head_object(Bucket=store.bucket, Key=store.key_of(sha))
    # as if the other writer completed between our existence check and our completion:
    # CompleteMultipartUpload with If-None-Match: * answers 412, and the blob is there
    monkeypatch.setattr(store, "exists", lambda sha: False)
    assert store.put(io.BytesIO(data), expected_sha256=sha).size == len(data)
    after = store.client.head_object(Bucket=store.bucket, Key=store.key_of(sha))
    assert after["ETag"] == before["ETag"]
    assert s3.leftovers() == []


def test_reads_are_seekable_by_range_and_survive_a_dropped_connection(s3: Backend) -> None:
    store: S3BlobStore = s3.store
    data = os.urandom(9 * MiB + 3)
    info = store.put(io.BytesIO(data))
    with store.open(info.sha256) as blob:
        assert blob.read(10) == data[:10]
        assert blob.seek(5 * MiB) == 5 * MiB
        assert blob.read(100) == data[5 * MiB : 5 * MiB + 100]
        blob.seek(-3, io.SEEK_END)
        assert blob.read() == data[-3:] and blob.read(5) == b""
        blob.seek(1 * MiB)
        assert blob.read(1) == data[MiB : MiB + 1]
        blob._body.close()  # type: ignore[attr-defined]  # the connection drops
        assert blob.read(2 * MiB) == data[MiB + 1 : 3 * MiB + 1]
    with store.open(info.sha256) as blob:
        assert blob.read(MiB) == data[:MiB]
        s3.overwrite(info.sha256, os.urandom(9 * MiB + 3))  # replaced behind our back
        blob._body.close()  # type: ignore[attr-defined]
        with pytest.raises(BlobCorruptedError, match="replaced while being read"):
            blob.read(MiB)


def test_list_ignores_uploads_quarantine_and_foreign_keys(s3: Backend, s3_server: S3Server) -> None:
    store: S3BlobStore = s3.store
    info = put_bytes(store, b"kept")
    sha = hashlib.sha256(b"other").hexdigest()
    client = store.client
    for key in (
        f"pl/blobs/.quarantine/{sha}",
        f"pl/blobs/.uploads/{sha}",
        f"pl/blobs/00/{sha}",  # wrong shard
        f"pl/blobs/{sha[:2]}/{sha}.json",
        f"pl/blobs/{sha[:2]}/{sha}/x",
        f"pl/other/{sha[:2]}/{sha}",
        f"pl/blobs-2/{sha[:2]}/{sha}",
    ):
        client.put_object(Bucket=store.bucket, Key=key, Body=b"other")
    assert list(store.list()) == [info.sha256]
    other_prefix = S3BlobStore(store.bucket, "pl/other", endpoint_url=s3_server.endpoint)
    assert list(other_prefix.list()) == [sha] and not other_prefix.exists(info.sha256)
    assert store.modified_at(info.sha256) == pytest.approx(time.time(), abs=120)
    with pytest.raises(BlobNotFoundError):
        store.modified_at(sha)


def test_a_server_that_is_gone_gives_a_clear_error_naming_the_endpoint() -> None:
    server = start_s3_server()
    bucket = server.new_bucket()
    store = S3BlobStore(bucket, "p", endpoint_url=server.endpoint, max_attempts=1)
    info = put_bytes(store, b"stored before the outage")
    server.stop()
    calls = [
        lambda: store.put([b"new"]),
        lambda: store.put(io.BytesIO(os.urandom(6 * MiB))),
        lambda: store.open(info.sha256),
        lambda: store.stat(info.sha256),
        lambda: store.exists(info.sha256),
        lambda: store.delete(info.sha256),
        lambda: list(store.list()),
        lambda: store.abandoned_uploads(),
    ]
    for call in calls:
        with pytest.raises(BlobStoreUnavailableError) as caught:
            call()
        assert server.endpoint in str(caught.value) and bucket in str(caught.value)
        assert isinstance(caught.value, StorageError | ConnectionError)


def test_a_missing_bucket_is_named(s3_server: S3Server) -> None:
    store = S3BlobStore("no-such-bucket-here", "p", endpoint_url=s3_server.endpoint)
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        store.put([b"x"])
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        list(store.list())


def test_memory_stays_bounded_by_a_few_parts_whatever_the_size(
    s3: Backend, s3_server: S3Server
) -> None:
    """A writer process uploading (then reading) 160 MiB grows by a few parts, not the size."""
    store: S3BlobStore = s3.store
    script = textwrap.dedent(
        f"""
        import hashlib, os, resource
        from partledger.storage import S3BlobStore
        store = S3BlobStore({store.bucket!r}, "pl/blobs", endpoint_url={s3_server.endpoint!r},
                            part_size={S3_PART})
        block = os.urandom(1 << 20)
        store.put([block])  # warm up: imports, connections
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        info = store.put(block for _ in range(160))
        digest = hashlib.sha256()
        with store.open(info.sha256) as blob:
            while chunk := blob.read(1 << 20):
                digest.update(chunk)
        assert digest.hexdigest() == info.sha256
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((peak - base) // 1024)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    growth_mib = int(result.stdout.strip())
    assert growth_mib < 64, f"RSS grew by {growth_mib} MiB uploading 160 MiB"


def test_part_buffers_are_reused_never_more_than_the_parts_in_flight_plus_one(
    s3: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten parts through two upload threads use at most three buffers, each refilled only
    after its part was sent: the bytes stored are the bytes given."""
    from partledger.storage import s3 as s3_module

    store: S3BlobStore = s3.store
    store.concurrency = 2
    seen: set[int] = set()
    take = s3_module._PartBuffers.take

    def counting_take(self: s3_module._PartBuffers) -> bytearray:
        buffer = take(self)
        seen.add(id(buffer))
        return buffer

    monkeypatch.setattr(s3_module._PartBuffers, "take", counting_take)
    data = os.urandom(10 * S3_PART + 99)
    info = store.put(io.BytesIO(data))
    assert len(seen) <= store.concurrency + 1
    with store.open(info.sha256) as blob:
        assert hashlib.sha256(blob.read()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_multipart_uploads_declare_a_checksum_the_server_keeps(s3: Backend) -> None:
    """Parts go with their CRC32 under a declared algorithm, so the server checks each part
    and keeps the object's composite checksum (as s3transfer does)."""
    store: S3BlobStore = s3.store
    data = os.urandom(2 * S3_PART + 5)
    sha = hashlib.sha256(data).hexdigest()
    store.put(io.BytesIO(data), expected_sha256=sha)
    head = store.client.head_object(
        Bucket=store.bucket, Key=store.key_of(sha), ChecksumMode="ENABLED"
    )
    assert head.get("ChecksumCRC32"), head


def test_an_upload_leaves_no_cycle_keeping_its_part_buffers_alive(
    s3: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the cyclic garbage collector off, the part buffers are freed as soon as ``put``
    returns (a callback referring back to the upload once kept a pool alive per upload)."""
    import gc
    import weakref

    from partledger.storage import s3 as s3_module

    pools: list[weakref.ref[s3_module._PartBuffers]] = []
    make = s3_module._PartBuffers.__init__

    def recording_init(self: s3_module._PartBuffers, size: int, count: int) -> None:
        make(self, size, count)
        pools.append(weakref.ref(self))

    monkeypatch.setattr(s3_module._PartBuffers, "__init__", recording_init)
    store: S3BlobStore = s3.store
    gc.collect()
    gc.disable()
    try:
        store.put(io.BytesIO(os.urandom(3 * S3_PART + 1)))
        assert pools and all(ref() is None for ref in pools)
    finally:
        gc.enable()
