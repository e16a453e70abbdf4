"""The SDK's whole story on the S3 store chosen by configuration (PARTLEDGER_BLOB_URL):
register, license, fetch and decrypt, attest with a quality report, audit with blob checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.config import Settings
from partledger.runtime import blob_store
from partledger.sdk import PrintInput
from partledger.storage import FilesystemBlobStore, S3BlobStore


@pytest.fixture
def s3_world(world: World, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("PARTLEDGER_BLOB_URL", f"s3://{s3_bucket}/ledger/blobs")
    store = blob_store(Settings(data_dir=world.data_dir / "data"))
    assert isinstance(store, S3BlobStore) and store.bucket == s3_bucket
    world.ledger.store = store  # every role client reads the ledger's store
    return world


def test_the_sdk_story_runs_on_the_s3_store_from_configuration(s3_world: World) -> None:
    world = s3_world
    source = world.design_file(size=3 * 1024 * 1024)
    design = world.oem.register_design(source, METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=2, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD, terms={"royalty_eur": 12},
    )  # fmt: skip
    out = world.data_dir / "fetched.stl"
    assert world.hub.fetch_design(issued.licence_id, out) == design.content_sha256
    assert out.read_bytes() == source.read_bytes()
    world.hub.attest_print(PrintInput(issued.licence_id, "SN-1", world.machine, "L", b"QA ok"))
    report = world.auditor.verify(world.auditor.provenance(design.design_id, "SN-1"))
    assert report.ok, report.claims
    store = world.ledger.store
    assert design.container_sha256 in set(store.list())
    assert store.abandoned_uploads(older_than_seconds=0) == []  # type: ignore[attr-defined]
    assert list(FilesystemBlobStore(world.data_dir / "data" / "blobs").list()) == []


def test_without_a_blob_url_the_store_is_the_filesystem_one_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTLEDGER_BLOB_URL", raising=False)
    settings = Settings(data_dir=tmp_path / "data")
    store = blob_store(settings)
    assert isinstance(store, FilesystemBlobStore) and store.root == settings.blob_dir
