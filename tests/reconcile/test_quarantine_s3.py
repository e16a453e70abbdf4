"""On an S3 store the reconciler's quarantine is in the bucket (``<prefix>/.quarantine/``):
every replica sharing the bucket sees it and can restore from it; ``list()`` never shows it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from helpers.s3 import S3Server, s3_bucket, s3_server  # noqa: F401  (fixtures)
from helpers.world import METADATA, World
from partledger.config import Settings
from partledger.index import Indexer, IndexerConfig
from partledger.reconcile import Options, QuarantineError, Reconciler
from partledger.reconcile.quarantine import BucketQuarantine, DirectoryQuarantine
from partledger.runtime import blob_store
from partledger.storage import S3BlobStore, get_bytes, put_bytes

PREFIX = "ledger/blobs"


@pytest.fixture
def s3_world(world: World, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> World:  # noqa: F811
    monkeypatch.setenv("PARTLEDGER_BLOB_URL", f"s3://{s3_bucket}/{PREFIX}")
    store = blob_store(Settings(data_dir=world.data_dir / "data"))
    assert isinstance(store, S3BlobStore) and store.bucket == s3_bucket
    world.ledger.store = store
    world.container = world.oem.register_design(world.design_file(), METADATA).container_sha256  # type: ignore[attr-defined]
    return world


@pytest.fixture
def indexer(s3_world: World) -> Iterator[Indexer]:
    ledger = s3_world.ledger
    config = IndexerConfig.from_deployment(
        ledger.deployment, ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        f"sqlite:///{s3_world.data_dir / 'index.db'}",
    )  # fmt: skip
    with Indexer(config) as indexer:
        indexer.sync_once()
        yield indexer


OPTIONS = Options(orphan_grace=timedelta(seconds=0), pending_age=timedelta(seconds=0))


def _quarantined_keys(server: S3Server, bucket: str) -> list[str]:
    """What a plain boto3 listing shows under the quarantine prefix."""
    answer = server.client().list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/.quarantine/")
    return sorted(item["Key"] for item in answer.get("Contents", []))


def test_an_orphan_is_quarantined_in_the_bucket_and_another_replica_restores_it(
    s3_world: World,
    indexer: Indexer,
    s3_server: S3Server,  # noqa: F811
) -> None:
    store: S3BlobStore = s3_world.ledger.store  # type: ignore[assignment]
    local_dir = s3_world.data_dir / "quarantine"
    reconciler = Reconciler(s3_world.ledger, indexer, quarantine_dir=local_dir, options=OPTIONS)
    assert isinstance(reconciler.quarantine, BucketQuarantine)
    orphan = put_bytes(store, os.urandom(100)).sha256
    report = reconciler.run()
    [finding] = report.by_check("blob.orphan")
    assert finding.ids["blob"] == orphan
    [outcome] = reconciler.repair(report)
    assert outcome.repaired and "quarantined orphan" in outcome.action

    # in the bucket, not on this machine, and not a blob of the store
    assert _quarantined_keys(s3_server, store.bucket) == [
        f"{PREFIX}/.quarantine/{orphan}", f"{PREFIX}/.quarantine/{orphan}.json",
    ]  # fmt: skip
    assert not local_dir.exists()
    assert not store.exists(orphan) and orphan not in set(store.list())
    note = json.loads(
        s3_server.client()
        .get_object(Bucket=store.bucket, Key=f"{PREFIX}/.quarantine/{orphan}.json")["Body"]
        .read()
    )
    assert note["reason"] == "orphan: referenced by nothing" and note["hashes_to"] == orphan
    assert note["size"] == 100
    assert reconciler.run().clean  # neither the held copy nor its note is an orphan

    # another replica: its own client on the same bucket, no quarantine directory at all
    replica_store = S3BlobStore(store.bucket, PREFIX, endpoint_url=s3_server.endpoint)
    replica = Reconciler(
        dataclasses.replace(s3_world.ledger, store=replica_store), indexer, options=OPTIONS
    )
    [held] = replica.quarantine.list()
    assert held.blob_id == orphan and held.reason == "orphan: referenced by nothing"
    assert replica.quarantine.holds_intact(orphan)
    replica.quarantine.restore(orphan)
    assert store.exists(orphan) and get_bytes(store, orphan)
    assert _quarantined_keys(s3_server, store.bucket) == []
    assert reconciler.quarantine.list() == []

    # restoring what is not (or no longer) in quarantine is a clear error
    with pytest.raises(QuarantineError, match=f"blob {orphan} is not in quarantine"):
        replica.quarantine.restore(orphan)
    with pytest.raises(QuarantineError, match="not in quarantine"):
        reconciler.quarantine.restore("ab" * 32)


def test_a_missing_container_is_restored_from_the_bucket_quarantine_by_repair(
    s3_world: World, indexer: Indexer
) -> None:
    container: str = s3_world.container  # type: ignore[attr-defined]
    reconciler = Reconciler(s3_world.ledger, indexer, options=OPTIONS)
    reconciler.quarantine.put(container, "test: operator moved it away")
    report = reconciler.run()
    [finding] = report.by_check("design.container.missing")
    [outcome] = [o for o in reconciler.repair(report) if o.finding is finding]
    assert outcome.repaired and "restored" in outcome.action
    assert reconciler.run().clean
    assert reconciler.quarantine.list() == []


def test_a_tampered_container_is_quarantined_in_the_bucket_and_the_report_heals(
    s3_world: World,
    indexer: Indexer,
    s3_server: S3Server,  # noqa: F811
) -> None:
    store: S3BlobStore = s3_world.ledger.store  # type: ignore[assignment]
    container: str = s3_world.container  # type: ignore[attr-defined]
    original = get_bytes(store, container, max_bytes=1 << 30)
    store.client.put_object(Bucket=store.bucket, Key=store.key_of(container), Body=b"tampered")
    reconciler = Reconciler(s3_world.ledger, indexer, options=OPTIONS)
    report = reconciler.run()
    assert [f.check for f in report.findings] == ["design.container.corrupted"]
    [outcome] = reconciler.repair(report)
    assert not outcome.repaired and "upload the original" in outcome.action

    held = reconciler.quarantine.get(container)
    assert held.hashes_to == hashlib.sha256(b"tampered").hexdigest() and held.size == 8
    assert f"{PREFIX}/.quarantine/{container}" in _quarantined_keys(s3_server, store.bucket)
    assert not store.exists(container)
    assert not reconciler.quarantine.holds_intact(container)
    with pytest.raises(QuarantineError, match="cannot restore as is"):
        reconciler.quarantine.restore(container)  # the evidence stays where it is
    assert reconciler.run().by_check("design.container.missing")

    # the OEM uploads the original again: nothing is left to report
    assert store.put([original]).sha256 == container
    after = reconciler.run()
    assert after.clean, [f.to_json() for f in after.findings]
    assert reconciler.quarantine.get(container).hashes_to != container  # evidence kept


def test_restore_accepts_an_identical_blob_and_refuses_other_bytes_under_the_key(
    s3_bucket: str,  # noqa: F811
    s3_server: S3Server,  # noqa: F811
) -> None:
    store = S3BlobStore(s3_bucket, "q/blobs", endpoint_url=s3_server.endpoint)
    quarantine = BucketQuarantine(store)
    empty = put_bytes(store, b"").sha256
    kept = put_bytes(store, b"kept").sha256
    for blob_id in (empty, kept):
        quarantine.put(blob_id, "test")
    assert [h.blob_id for h in quarantine.list()] == sorted([empty, kept])
    assert list(store.list()) == []
    quarantine.restore(empty)  # an empty blob round-trips too
    assert get_bytes(store, empty) == b""

    put_bytes(store, b"kept")  # uploaded again meanwhile: identical, fine
    quarantine.restore(kept)
    assert get_bytes(store, kept) == b"kept" and quarantine.list() == []

    quarantine.put(kept, "test")
    store.client.put_object(Bucket=s3_bucket, Key=store.key_of(kept), Body=b"other")
    with pytest.raises(QuarantineError, match="quarantine them first"):
        quarantine.restore(kept)
    assert quarantine.holds_intact(kept)  # still held, intact
    with pytest.raises(ValueError, match="not an object key under"):
        store.open_key("elsewhere/x")


def test_a_filesystem_store_keeps_its_quarantine_directory(world: World, tmp_path: Path) -> None:
    from partledger.reconcile.quarantine import open_quarantine

    quarantine = open_quarantine(world.ledger.store, tmp_path / "q")
    assert isinstance(quarantine, DirectoryQuarantine) and quarantine.directory == tmp_path / "q"
    with pytest.raises(ValueError, match="quarantine directory is needed"):
        open_quarantine(world.ledger.store)
