"""The SDK's whole story on the S3 store chosen by configuration (PARTLEDGER_BLOB_URL):
register, license, fetch and decrypt, attest with a quality report, audit with blob checks."""

from __future__ import annotations

import time
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


def test_the_reconciler_works_on_s3_and_repairs_an_abandoned_upload(s3_world: World) -> None:
    from datetime import timedelta

    from partledger.index import Indexer, IndexerConfig
    from partledger.reconcile import Options, Reconciler

    world = s3_world
    store: S3BlobStore = world.ledger.store  # type: ignore[assignment]
    design = world.oem.register_design(world.design_file(), METADATA)
    config = IndexerConfig.from_deployment(
        world.ledger.deployment, world.ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        f"sqlite:///{world.data_dir / 'index.db'}",
    )  # fmt: skip
    # an upload a killed writer left two hours ago, and an unreferenced blob just stored
    old_key = f"{store.prefix}/.uploads/{int((time.time() - 7200) * 1000)}-{'0' * 32}"
    upload_id = store.client.create_multipart_upload(Bucket=store.bucket, Key=old_key)["UploadId"]
    fresh = store.put([b"uploaded, not registered yet"])
    with Indexer(config) as indexer:
        indexer.sync_once()
        options = Options(orphan_grace=timedelta(hours=1), pending_age=timedelta(seconds=0))
        reconciler = Reconciler(
            world.ledger, indexer, quarantine_dir=world.data_dir / "quarantine", options=options
        )
        report = reconciler.run()
        assert [f.check for f in report.findings] == ["blob.abandoned_upload"]
        [finding] = report.findings
        assert finding.ids == {"upload": old_key, "upload_id": upload_id}
        [outcome] = reconciler.repair(report)
        assert outcome.repaired
        assert reconciler.run().clean  # the fresh blob is within the orphan grace period
        assert store.exists(fresh.sha256) and store.exists(design.container_sha256)
        # a corrupted container on the server is found and quarantined, not deleted
        store.client.put_object(
            Bucket=store.bucket, Key=store.key_of(design.container_sha256), Body=b"tampered"
        )
        report = reconciler.run()
        assert report.by_check("design.container.corrupted")
        reconciler.repair(report)
        assert not store.exists(design.container_sha256)
        assert reconciler.quarantine.get(design.container_sha256).hashes_to != (
            design.container_sha256
        )
