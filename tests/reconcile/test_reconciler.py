"""Every divergence between chain, index and store is found when injected, and repaired safely."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import pytest

from helpers.world import METADATA, ONE_DAY, World
from partledger.carbon import Baseline, Leg, Mode
from partledger.reconcile import Options, Reconciler, Severity
from partledger.sdk import PrintInput
from partledger.sdk.baseline import declare_baseline
from partledger.storage import put_bytes


def _flip_byte(world: World, blob_id: str) -> None:
    path = world.ledger.store.path_of(blob_id)  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.chmod(0o600)
    path.write_bytes(bytes(data))


def test_consistent_ledger_gives_a_clean_report(reconciler: Reconciler) -> None:
    report = reconciler.run()
    assert report.clean, [f.to_json() for f in report.findings]
    assert set(report.checked) == {
        "design_blobs", "licence_blobs", "quality_reports", "orphans", "pending_intents",
        "index_head", "index_events", "print_counts", "batch_documents", "duplicate_serials",
        "footprints",
    }  # fmt: skip


def test_deleted_container_is_critical_and_restorable_only_from_quarantine(
    story: World, reconciler: Reconciler
) -> None:
    container = story.container  # type: ignore[attr-defined]
    reconciler.quarantine.put(container, "test: operator moved it away")
    report = reconciler.run()
    [finding] = report.by_check("design.container.missing")
    assert finding.severity is Severity.CRITICAL
    assert finding.ids == {"design": story.design_id, "blob": container}  # type: ignore[attr-defined]
    [outcome] = [o for o in reconciler.repair(report) if o.finding is finding]
    assert outcome.repaired and "restored" in outcome.action
    assert reconciler.run().clean


def test_flipped_byte_in_a_container_is_found_and_quarantined_not_deleted(
    story: World, reconciler: Reconciler
) -> None:
    container = story.container  # type: ignore[attr-defined]
    _flip_byte(story, container)
    report = reconciler.run()
    [_finding] = report.by_check("design.container.corrupted")
    outcomes = reconciler.repair(report)
    assert not outcomes[0].repaired and "upload the original" in outcomes[0].action
    held = reconciler.quarantine.get(container)
    assert held.hashes_to != container  # the corrupted bytes are kept as evidence
    assert reconciler.run().by_check("design.container.missing")


def test_missing_and_corrupted_licence_blobs_and_quality_report(
    story: World, reconciler: Reconciler
) -> None:
    licence = story.licence  # type: ignore[attr-defined]
    story.ledger.store.delete(licence.wrapped_key_hash)
    _flip_byte(story, licence.terms_hash)
    report_blob = put_bytes(story.ledger.store, b"report A").sha256
    story.ledger.store.delete(report_blob)
    checks = {f.check for f in reconciler.run().findings}
    assert checks == {
        "licence.wrapped_key.missing", "licence.terms.corrupted", "print.quality_report.missing",
    }  # fmt: skip


def test_orphan_blob_is_quarantined_and_can_be_restored(
    story: World, reconciler: Reconciler
) -> None:
    orphan = put_bytes(story.ledger.store, os.urandom(100)).sha256
    report = reconciler.run()
    [finding] = report.by_check("blob.orphan")
    assert finding.ids["blob"] == orphan
    reconciler.repair(report)
    assert not story.ledger.store.exists(orphan)
    assert reconciler.run().clean
    reconciler.quarantine.restore(orphan)
    assert story.ledger.store.exists(orphan)


def test_orphans_younger_than_the_grace_period_are_left_alone(
    story: World, reconciler: Reconciler
) -> None:
    put_bytes(story.ledger.store, os.urandom(100))
    patient = Reconciler(
        story.ledger, reconciler.indexer, quarantine_dir=story.data_dir / "q2",
        options=Options(orphan_grace=timedelta(hours=1)),
    )  # fmt: skip
    assert patient.run(only=["orphans"]).clean


def test_merkle_batch_documents_are_not_orphans(story: World, reconciler: Reconciler) -> None:
    issued = story.oem.issue_licence(
        story.design_id,
        story.hub.address,
        max_prints=5,
        valid_until=story.now() + ONE_DAY,  # type: ignore[attr-defined]
    )
    story.hub.anchor_batch(
        [PrintInput(issued.licence_id, f"M{i}", story.machine, "L") for i in range(3)]
    )
    reconciler.indexer.sync_once()
    assert reconciler.run().clean


def test_interrupted_registration_is_reported_and_resumed_with_the_oem_identity(
    story: World, reconciler: Reconciler
) -> None:
    journal = story.ledger.journal
    intent = journal.begin("register_design", story.oem.address, {"file": "x"})
    report = reconciler.run()
    [finding] = report.by_check("journal.pending")
    assert finding.ids["intent"] == intent.id
    without = reconciler.repair(report)
    assert not next(o for o in without if o.finding is finding).repaired
    with_key = reconciler.repair(report, identities=[story.oem.identity])
    assert next(o for o in with_key if o.finding is finding).repaired
    assert journal.pending() == []


def test_missing_index_events_are_found_and_reingested(
    story: World, reconciler: Reconciler
) -> None:
    from sqlalchemy import delete

    from partledger.index import schema

    with reconciler.indexer.engine.begin() as conn:
        conn.execute(delete(schema.prints))
    report = reconciler.run()
    assert {f.check for f in report.findings if f.severity > Severity.INFO} == {
        "index.missing_events", "index.print_count",
    }  # fmt: skip
    assert report.by_check("blob.orphan_check_skipped")  # the quality report is not an orphan
    assert all(o.repaired for o in reconciler.repair(report))
    assert reconciler.run().clean
    assert story.ledger.store.exists(hashlib.sha256(b"report A").hexdigest())


def test_index_behind_a_reorg_is_detected_and_resynced(
    story: World, reconciler: Reconciler
) -> None:
    w3 = story.ledger.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    story.hub.attest_print(PrintInput(story.licence.licence_id, "C", story.machine, "L"))  # type: ignore[attr-defined]
    reconciler.indexer.sync_once()
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    for _ in range(3):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    report = reconciler.run(only=["index_head"])
    assert [f.check for f in report.findings] == ["index.head_diverged"]
    reconciler.repair(report)
    full = reconciler.run()
    assert full.clean, [f.to_json() for f in full.findings]


def test_reconciling_takes_its_time_into_the_report(reconciler: Reconciler) -> None:
    started = time.perf_counter()
    report = reconciler.run()
    assert 0 < report.seconds <= time.perf_counter() - started
    assert report.to_json()["clean"] is True


def test_quarantine_refuses_unknown_ids_and_path_tricks(reconciler: Reconciler) -> None:
    from partledger.reconcile import QuarantineError
    from partledger.storage import InvalidBlobIdError

    with pytest.raises(QuarantineError):
        reconciler.quarantine.restore("ab" * 32)
    with pytest.raises(InvalidBlobIdError):
        reconciler.quarantine.get("../../etc/passwd")


def test_a_declared_carbon_baseline_is_not_an_orphan_but_a_forged_one_is(
    story: World, reconciler: Reconciler
) -> None:
    """Licence terms name the declaration but are sealed: the reconciler recognises a baseline
    signed by the design's current owner, and only that."""
    design = story.design_id  # type: ignore[attr-defined]
    leg = Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "SGCHG")
    baseline = Baseline(design, "DEFRA", (leg,), 2.5)
    owners = story.oem.declare_baseline(design, baseline).blob_id
    forged = declare_baseline(story.ledger.store, story.hub.account, design, baseline).blob_id
    report = reconciler.run()
    orphans = {f.ids["blob"] for f in report.by_check("blob.orphan")}
    assert owners not in orphans and forged in orphans


def test_what_blocks_the_index_has_not_seen_yet_refer_to_is_no_orphan(
    story: World, reconciler: Reconciler
) -> None:
    """A design, licence, direct print and Merkle batch registered after the index's last
    sync (a lagging indexer, a replica that keeps it): their blobs are read as referenced
    from those blocks' logs, never quarantined; a real orphan is still found."""
    design = story.oem.register_design(story.design_file(), METADATA)
    issued = story.oem.issue_licence(
        design.design_id, story.hub.address, max_prints=5,
        valid_until=story.now() + ONE_DAY,  # type: ignore[attr-defined]
    )  # fmt: skip
    story.hub.attest_print(PrintInput(issued.licence_id, "T1", story.machine, "L", b"report T1"))
    story.hub.anchor_batch(
        [PrintInput(issued.licence_id, f"T{i}", story.machine, "L", b"rep %d" % i)
         for i in (2, 3)]
    )  # fmt: skip
    orphan = put_bytes(story.ledger.store, os.urandom(100)).sha256
    report = reconciler.run(only=["orphans"])  # the index was not synced since
    assert [f.ids["blob"] for f in report.by_check("blob.orphan")] == [orphan]
    reconciler.repair(report)
    assert story.ledger.store.exists(design.container_sha256)
    reconciler.indexer.sync_once()
    assert reconciler.run().clean


def test_an_index_too_far_behind_is_no_basis_for_orphans_and_a_kept_one_is_not_repaired(
    story: World, reconciler: Reconciler
) -> None:
    story.oem.register_design(story.design_file(), METADATA)
    put_bytes(story.ledger.store, os.urandom(100))
    kept = Reconciler(
        story.ledger, reconciler.indexer, quarantine_dir=story.data_dir / "q3",
        options=Options(orphan_grace=timedelta(0), max_index_lag=0),
        index_kept_by="replica A",
    )  # fmt: skip
    report = kept.run()
    assert report.by_check("blob.orphan") == []
    assert report.by_check("blob.orphan_check_skipped")
    assert len(report.by_check("index.lagging")) == 1
    [outcome] = [o for o in kept.repair(report) if o.finding.check == "index.lagging"]
    assert not outcome.repaired and "replica A writes this index" in outcome.action
    assert kept.run().by_check("index.lagging")  # nothing was written
