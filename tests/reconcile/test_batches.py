"""Anchored batches in reconciliation: the serial rule across direct and anchored attestations,
anchors whose batch document is missing or invalid, and printed counts with refunds."""

from __future__ import annotations

import hashlib

from helpers.world import ONE_DAY, World
from partledger.chain.merkle import MerkleTree
from partledger.index import IndexReader
from partledger.reconcile import Reconciler, Severity
from partledger.sdk import PrintInput
from partledger.sdk.batches import AnchoredBatch
from partledger.storage import put_bytes


def _open_licence(story: World, refund: bool = False) -> str:
    """A licence of the story's design that anchors may debit (no qualification required)."""
    issued = story.oem.issue_licence(
        story.design_id, story.hub.address, max_prints=20,  # type: ignore[attr-defined]
        valid_until=story.now() + ONE_DAY, refund_on_invalidate=refund,
    )  # fmt: skip
    return issued.licence_id


def _part(story: World, licence: str, serial: str) -> PrintInput:
    return PrintInput(licence, serial, story.machine, "lot 7")


def _anchor_claim(batch: AnchoredBatch, leaf: int) -> str:
    return f"root {batch.root} leaf {leaf} (tx 0x{batch.tx.tx_hash.removeprefix('0x')})"


def _non_info(reconciler: Reconciler) -> list[str]:
    return sorted(f.check for f in reconciler.run().findings if f.severity > Severity.INFO)


def test_a_serial_attested_directly_and_in_an_anchor_fails_both_claims(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story)
    direct = story.hub.attest_print(_part(story, licence, "DUP-1"))
    batch = story.hub.anchor_batch([_part(story, licence, s) for s in ("X-1", "DUP-1", "X-2")])
    reconciler.indexer.sync_once()  # an index synced without a blob store: run() catches up
    report = reconciler.run()
    [finding] = report.by_check("print.duplicate_serial")
    assert finding.severity is Severity.CRITICAL and not finding.repairable
    assert finding.ids == {
        "design": story.design_id,  # type: ignore[attr-defined]
        "serial": "0x" + direct.record.serial.hex(),
        "claim_1": f"tx 0x{direct.tx.tx_hash.removeprefix('0x')}",
        "claim_2": _anchor_claim(batch, 1),
    }
    assert "every claim of it fails" in finding.message and "Not repairable" in finding.message
    assert _non_info(reconciler) == ["print.duplicate_serial"]  # nothing else diverges
    outcomes = [o for o in reconciler.repair(report) if o.finding is finding]
    assert [o.repaired for o in outcomes] == [False]


def test_a_serial_twice_in_one_anchor_fails_both_leaves(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story)
    batch = story.hub.anchor_batch([_part(story, licence, s) for s in ("T-0", "TWICE", "TWICE")])
    reconciler.indexer.sync_once()
    [finding] = reconciler.run().by_check("print.duplicate_serial")
    assert finding.ids["claim_1"] == _anchor_claim(batch, 1)
    assert finding.ids["claim_2"] == _anchor_claim(batch, 2)
    assert "claim_3" not in finding.ids
    assert "attested 2 times" in finding.message


def test_distinct_serials_across_direct_prints_and_anchors_are_clean(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story)
    story.hub.attest_print(_part(story, licence, "U-1"))
    story.hub.anchor_batch([_part(story, licence, s) for s in ("U-2", "U-3")])
    story.hub.anchor_batch([_part(story, licence, "U-4")])
    reconciler.indexer.sync_once()
    report = reconciler.run()
    assert report.clean, [f.to_json() for f in report.findings]
    reader = IndexReader(reconciler.indexer.engine)
    licence_view = reader.licence(licence)
    assert licence_view is not None and licence_view.printed == 4


def test_an_anchor_whose_document_is_missing_is_reported_until_it_is_published(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story)
    batch = story.hub.anchor_batch([_part(story, licence, s) for s in ("MS-1", "MS-2")])
    document = batch.document_bytes()
    story.ledger.store.delete(batch.batch_blob)
    reconciler.indexer.sync_once()
    report = reconciler.run()
    [finding] = report.by_check("batch.document.missing")
    assert finding.severity is Severity.ERROR and not finding.repairable
    assert finding.ids["root"] == batch.root
    assert finding.ids["document"] == batch.batch_blob
    assert finding.ids["tx"].removeprefix("0x") == batch.tx.tx_hash.removeprefix("0x")
    assert "Not repairable" in finding.message and "publish the document" in finding.message
    assert _non_info(reconciler) == ["batch.document.missing"]
    [outcome] = [o for o in reconciler.repair(report) if o.finding is finding]
    assert not outcome.repaired
    # a duplicate hidden in the missing document is not visible yet ...
    story.hub.attest_print(_part(story, licence, "MS-2"))
    reconciler.indexer.sync_once()
    assert _non_info(reconciler) == ["batch.document.missing"]
    # ... and is once the hub publishes the document: ingested on the next run
    assert put_bytes(story.ledger.store, document).sha256 == batch.batch_blob
    assert _non_info(reconciler) == ["print.duplicate_serial"]
    reader = IndexReader(reconciler.indexer.engine)
    assert [d.status for d in reader.batch_documents(batch.root)] == ["ingested"]


def test_an_anchor_whose_document_is_invalid_is_reported_as_not_repairable(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story)
    design, index = bytes.fromhex(story.design_id[2:]), 1  # type: ignore[attr-defined]
    assert story.hub.licence(licence).licence_index == index
    leaf = _part(story, licence, "INV-1").record(bytes(32))
    root = MerkleTree.of_prints([leaf]).root
    junk = put_bytes(story.ledger.store, b'{"kind": "something else"}').sha256
    story.ledger.transact(
        story.hub.account, "PrintLedger", "anchorBatch", root, [(design, index, 1)],
        bytes.fromhex(junk),
    )  # fmt: skip
    reconciler.indexer.sync_once()
    report = reconciler.run()
    [finding] = report.by_check("batch.document.invalid")
    assert finding.severity is Severity.ERROR and not finding.repairable
    assert finding.ids["root"] == "0x" + root.hex() and finding.ids["document"] == junk
    assert "merkle-batch" in finding.message and "Not repairable" in finding.message
    assert _non_info(reconciler) == ["batch.document.invalid"]  # the junk is no orphan


def test_printed_counts_agree_with_the_chain_after_refunds(
    story: World, reconciler: Reconciler
) -> None:
    licence = _open_licence(story, refund=True)
    printed = [story.hub.attest_print(_part(story, licence, f"RF-{i}")) for i in range(3)]
    ledger, oem = story.ledger, story.oem
    # the hub invalidates (no copy back), the design owner then refunds: PrintRefunded
    story.hub.invalidate_print(printed[0].record, b"scrapped")
    ledger.transact(oem.account, "PrintLedger", "refundInvalidatedPrint",
                    printed[0].record.as_tuple())  # fmt: skip
    # the design owner invalidates on a refunding licence: refunded at once
    ledger.transact(oem.account, "PrintLedger", "invalidatePrint", printed[1].record.as_tuple(),
                    hashlib.sha256(b"failed QA").digest())  # fmt: skip
    story.hub.anchor_batch([_part(story, licence, "RF-A")])
    reconciler.indexer.sync_once()
    assert story.hub.licence(licence).printed == 2  # 3 + 1 - 2
    report = reconciler.run()
    assert report.clean, [f.to_json() for f in report.findings]
    view = IndexReader(reconciler.indexer.engine).licence(licence)
    assert view is not None and view.printed == 2 and view.refunded_prints == 2
