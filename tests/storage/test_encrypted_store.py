"""Encrypting design files straight into the store, and the full OEM -> hub key flow."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from partledger.crypto import (
    DataKey,
    HpkePublicKey,
    HpkeSuiteId,
    Identity,
    KeyMismatchError,
    PlaintextHashMismatchError,
    SegmentAuthenticationError,
    TruncatedContainerError,
    WrappedKey,
    ciphertext_size,
    unwrap_dek,
    wrap_dek,
)
from partledger.storage import (
    BlobCorruptedError,
    BlobTooLargeError,
    FilesystemBlobStore,
    get_bytes,
    put_bytes,
    retrieve_decrypted,
    store_encrypted,
)

DESIGN = hashlib.sha256(b"design-rev-1").digest()
LICENCE = hashlib.sha256(b"licence-7").digest()


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def test_a_design_file_round_trips_through_the_store(
    store: FilesystemBlobStore, tmp_path: Path
) -> None:
    source = tmp_path / "bracket.stl"
    plaintext = os.urandom(3 * 1024 * 1024 + 123)
    source.write_bytes(plaintext)
    stored = store_encrypted(store, source)
    assert stored.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()
    assert stored.plaintext_size == len(plaintext)
    assert stored.container_size == ciphertext_size(len(plaintext), 1024 * 1024)
    container = store.path_of(stored.container_sha256).read_bytes()
    assert hashlib.sha256(container).hexdigest() == stored.container_sha256
    assert plaintext[:4096] not in container
    out = tmp_path / "out.stl"
    digest = retrieve_decrypted(
        store,
        stored.container_sha256,
        stored.dek,
        out,
        expected_plaintext_sha256=stored.plaintext_sha256,
    )
    assert digest == stored.plaintext_sha256
    assert out.read_bytes() == plaintext
    buffer = io.BytesIO()
    retrieve_decrypted(
        store, stored.container_sha256, stored.dek, buffer, expected_plaintext_sha256=None
    )
    assert buffer.getvalue() == plaintext


def test_streams_and_a_given_dek_are_accepted(store: FilesystemBlobStore) -> None:
    dek = DataKey.generate()
    stored = store_encrypted(store, iter([b"a" * 100, b"b" * 50]), dek=dek, segment_size=64)
    assert stored.dek == dek
    assert stored.plaintext_sha256 == hashlib.sha256(b"a" * 100 + b"b" * 50).hexdigest()
    assert dek.key.hex() not in repr(stored)


def test_failed_decryption_never_leaves_a_plaintext_file(
    store: FilesystemBlobStore, tmp_path: Path
) -> None:
    stored = store_encrypted(store, io.BytesIO(os.urandom(300_000)), segment_size=4096)
    out = tmp_path / "out.step"
    with pytest.raises(KeyMismatchError):
        retrieve_decrypted(
            store, stored.container_sha256, DataKey.generate(), out, expected_plaintext_sha256=None
        )
    with pytest.raises(PlaintextHashMismatchError):
        retrieve_decrypted(
            store, stored.container_sha256, stored.dek, out, expected_plaintext_sha256="1" * 64
        )
    assert not out.exists()


def test_a_truncated_blob_on_disk_is_detected(store: FilesystemBlobStore, tmp_path: Path) -> None:
    stored = store_encrypted(store, io.BytesIO(os.urandom(100_000)), segment_size=4096)
    path = store.path_of(stored.container_sha256)
    os.chmod(path, 0o600)
    with open(path, "r+b") as blob:
        blob.truncate(stored.container_size - (4096 + 16) - (100_000 % 4096) - 16)
    out = tmp_path / "out.bin"
    with pytest.raises(TruncatedContainerError):
        retrieve_decrypted(
            store, stored.container_sha256, stored.dek, out, expected_plaintext_sha256=None
        )
    with open(path, "r+b") as blob:
        blob.truncate(50_000)
    with pytest.raises(SegmentAuthenticationError):
        retrieve_decrypted(
            store, stored.container_sha256, stored.dek, out, expected_plaintext_sha256=None
        )
    assert not out.exists()


def test_an_oversized_design_is_refused_and_nothing_is_stored(store: FilesystemBlobStore) -> None:
    with pytest.raises(BlobTooLargeError):
        store_encrypted(store, io.BytesIO(os.urandom(10 * 1024 * 1024)), max_bytes=4 * 1024 * 1024)
    assert list(store.list()) == []
    assert list((store.root / ".tmp").iterdir()) == []


@pytest.mark.parametrize("suite", list(HpkeSuiteId), ids=[s.label for s in HpkeSuiteId])
def test_the_oem_to_hub_flow_uses_only_blobs_and_hashes(
    store: FilesystemBlobStore, tmp_path: Path, suite: HpkeSuiteId
) -> None:
    oem, hub = Identity.generate("oem"), Identity.generate("hub", suite)
    published_hub_key = hub.hpke_public_key.to_bytes()  # what the chain stores
    design = os.urandom(500_000)
    stored = store_encrypted(store, io.BytesIO(design))
    hub_wrap = wrap_dek(
        stored.dek,
        HpkePublicKey.from_bytes(published_hub_key),
        design_id=DESIGN,
        licence_id=LICENCE,
    )
    oem_wrap = wrap_dek(stored.dek, oem.hpke_public_key, design_id=DESIGN, licence_id=None)
    hub_wrap_hash = put_bytes(store, hub_wrap.to_bytes()).sha256
    oem_wrap_hash = put_bytes(store, oem_wrap.to_bytes()).sha256
    terms_hash = put_bytes(store, b'{"max_prints": 5}').sha256
    assert len({hub_wrap_hash, oem_wrap_hash, terms_hash, stored.container_sha256}) == 4

    # The hub, knowing only on-chain hashes and ids:
    wrapped = WrappedKey.from_bytes(get_bytes(store, hub_wrap_hash))
    dek = unwrap_dek(wrapped, hub.hpke_key, design_id=DESIGN, licence_id=LICENCE)
    out = tmp_path / "print.3mf"
    retrieve_decrypted(
        store, stored.container_sha256, dek, out, expected_plaintext_sha256=stored.plaintext_sha256
    )
    assert out.read_bytes() == design
    oem_dek = unwrap_dek(
        get_bytes(store, oem_wrap_hash), oem.hpke_key, design_id=DESIGN, licence_id=None
    )
    assert oem_dek == stored.dek


@pytest.mark.slow
def test_a_200_mb_design_round_trips_through_the_store(
    store: FilesystemBlobStore, tmp_path: Path
) -> None:
    source = tmp_path / "engine-block.step"
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for i in range(200):
            chunk = i.to_bytes(4, "big") + block[4:]
            out.write(chunk)
            digest.update(chunk)
    stored = store_encrypted(store, source)
    assert stored.plaintext_sha256 == digest.hexdigest()
    assert store.verify(stored.container_sha256).size == stored.container_size
    source.unlink()
    retrieve_decrypted(
        store,
        stored.container_sha256,
        stored.dek,
        tmp_path / "restored.step",
        expected_plaintext_sha256=stored.plaintext_sha256,
    )
    assert (tmp_path / "restored.step").stat().st_size == 200 * 1024 * 1024


def test_one_read_checks_the_container_hash_and_reports_progress(
    store: FilesystemBlobStore, tmp_path: Path
) -> None:
    plaintext = os.urandom(2 * 1024 * 1024 + 5)
    stored = store_encrypted(store, io.BytesIO(plaintext))
    # The same valid container filed under another id: every segment and the plaintext
    # hash still verify, only the container hash tells that the store was tampered with.
    other_id = hashlib.sha256(b"another container").hexdigest()
    misfiled = store.path_of(other_id)
    misfiled.parent.mkdir(exist_ok=True)
    misfiled.write_bytes(store.path_of(stored.container_sha256).read_bytes())
    out = tmp_path / "part.stl"
    with pytest.raises(BlobCorruptedError, match=other_id):
        retrieve_decrypted(
            store, other_id, stored.dek, out,
            expected_plaintext_sha256=stored.plaintext_sha256, verify_container=True,
        )  # fmt: skip
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".part.stl")] == []
    assert retrieve_decrypted(
        store, other_id, stored.dek, out, expected_plaintext_sha256=stored.plaintext_sha256
    ) == stored.plaintext_sha256  # fmt: skip
    seen: list[int] = []
    retrieve_decrypted(
        store, stored.container_sha256, stored.dek, out,
        expected_plaintext_sha256=stored.plaintext_sha256, verify_container=True,
        on_progress=seen.append,
    )  # fmt: skip
    assert sum(seen) == stored.container_size
    assert out.read_bytes() == plaintext
