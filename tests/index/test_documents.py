"""PrintLedger 2.0 on a real chain: refunds and skipped batch items indexed, and the anchored
leaves read from the published batch documents (ingested, missing then published, invalid,
rolled back with their anchor)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from index_ledger import Ledger, b32, rpc
from sqlalchemy import select
from test_ingest import make_indexer
from web3 import Web3

from helpers.world import METADATA, ONE_DAY, World, build_world
from partledger.chain import ids
from partledger.chain.eip712 import sign_attest_print
from partledger.index import Indexer, IndexerConfig, IndexReader, ingest_batch_documents
from partledger.index import schema as s
from partledger.sdk import PrintInput
from partledger.sdk.batches import AnchoredBatch, read_batch_document
from partledger.storage import put_bytes


# -- refunds and skipped items (the index's own raw-transaction world) ------------------------
def _chain_printed(world: Ledger, licence: bytes) -> int:
    return int(world.ledger.functions.licence(licence).call()[2])


def test_refunds_lower_the_indexed_printed_count_like_the_contract(
    world: Ledger, db_url: str
) -> None:
    licence = world.licence_qualified  # refunding, requires the qualified machine
    for serial in ("RF-1", "RF-2", "RF-3"):
        world.attest(serial, licence)
    # the hub invalidates: no copy back; then the design owner confirms and refunds it
    world.tx(world.hub, world.ledger, "invalidatePrint", world.print_record("RF-1", licence),
             b32("scrap"))  # fmt: skip
    world.tx(world.oem, world.ledger, "refundInvalidatedPrint", world.print_record("RF-1", licence))
    # the design owner invalidates on a refunding licence: refunded at once
    world.tx(world.oem, world.ledger, "invalidatePrint", world.print_record("RF-2", licence),
             b32("failed QA"))  # fmt: skip
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        with indexer.engine.connect() as conn:
            [refund] = conn.execute(select(s.print_refunds)).all()
            invalidations = conn.execute(
                select(s.print_invalidations.c.serial, s.print_invalidations.c.refunded)
            ).all()
        assert refund.licence_id == licence and refund.design_id == world.design
        assert refund.serial == ids.serial_hash("RF-1")
        assert refund.refunded_by == bytes.fromhex(world.oem.address[2:])
        assert sorted((bytes(sr), bool(r)) for sr, r in invalidations) == sorted(
            [(ids.serial_hash("RF-1"), False), (ids.serial_hash("RF-2"), True)]
        )
        view = IndexReader(indexer.engine).licence(licence)
        assert view is not None
        assert (view.attested_prints, view.anchored_prints, view.refunded_prints) == (3, 0, 2)
        assert view.printed == 1 == _chain_printed(world, licence)


def test_a_skipped_batch_item_is_indexed_with_its_position_and_revert_data(
    world: Ledger, db_url: str
) -> None:
    address = world.ledger.address
    nonce = world.ledger.functions.nonces(world.hub.address).call()
    deadline = world.now() + 3600
    good = ids.PrintRecord(*world.print_record("SK-good"))
    taken = ids.PrintRecord(*world.print_record("SK-taken"))
    world.attest("SK-taken")  # its serial is used: the relayed item will be refused
    sigs = [
        sign_attest_print(world.hub, good, nonce, deadline, world.chain_id, address),
        sign_attest_print(world.hub, taken, nonce + 1, deadline, world.chain_id, address),
    ]
    world.tx(world.admin, world.ledger, "tryAttestBatchBySig",
             [good.as_tuple(), taken.as_tuple()], [deadline, deadline], sigs)  # fmt: skip
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        with indexer.engine.connect() as conn:
            [skip] = conn.execute(select(s.print_skips)).all()
        assert skip.licence_id == world.licence and skip.serial == ids.serial_hash("SK-taken")
        assert skip.position == 1
        # the reason is the revert data: one of the ledger's custom errors
        assert bytes(skip.reason[:4]) in _error_selectors(world)
        reader = IndexReader(indexer.engine)
        assert len(reader.prints_by_serial(ids.serial_hash("SK-good"))) == 1


def _error_selectors(world: Ledger) -> set[bytes]:
    return {
        Web3.keccak(text=f"{e['name']}({','.join(i['type'] for i in e['inputs'])})")[:4]
        for e in world.ledger.abi
        if e.get("type") == "error"
    }


# -- anchored leaves from the published documents (the SDK world) ----------------------------
@pytest.fixture
def sdk_world(
    w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path, snapshot: None
) -> Iterator[World]:
    built = build_world(w3, dev_accounts, tmp_path)
    yield built
    built.ledger.journal.close()


@pytest.fixture
def anchored(sdk_world: World) -> tuple[World, AnchoredBatch, str]:
    """Two licences of one design; a batch of 5 prints anchored over both (the hub publishes
    the document, then anchors its hash)."""
    w = sdk_world
    design = w.oem.register_design(w.design_file(), METADATA)
    one, two = (
        w.oem.issue_licence(
            design.design_id, w.hub.address, max_prints=10, valid_until=w.now() + ONE_DAY
        )
        for _ in range(2)
    )
    parts = [PrintInput(one.licence_id, f"A-{i}", w.machine, "lot 1") for i in range(3)]
    parts += [PrintInput(two.licence_id, f"B-{i}", w.machine, "lot 2") for i in range(2)]
    return w, w.hub.anchor_batch(parts), design.design_id


def sdk_indexer(w: World, db_url: str, *, documents: bool = True, **options: Any) -> Indexer:
    config = IndexerConfig.from_deployment(
        w.ledger.deployment, w.ledger.w3.provider.endpoint_uri, db_url,  # type: ignore[attr-defined]
        **options,
    )  # fmt: skip
    store = w.ledger.store
    reader = (lambda blob: read_batch_document(store, blob)) if documents else None
    return Indexer(config, documents=reader)


def leaves(indexer: Indexer) -> list[Any]:
    with indexer.engine.connect() as conn:
        return conn.execute(
            select(s.anchored_prints).order_by(s.anchored_prints.c.leaf_index)
        ).all()


def statuses(indexer: Indexer) -> list[tuple[str, str | None]]:
    with indexer.engine.connect() as conn:
        rows = conn.execute(select(s.batch_documents.c.status, s.batch_documents.c.detail))
        return [(st, detail) for st, detail in rows]


def test_anchored_leaves_are_ingested_from_the_published_document(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, batch, design_id = anchored
    with sdk_indexer(w, db_url) as indexer:
        report = indexer.sync_once()
        assert report.documents is not None and report.documents.ingested == 1
        assert report.documents.leaves == 5
        with indexer.engine.connect() as conn:
            anchor = conn.execute(select(s.batch_anchors)).one()
        assert anchor.document_hash == bytes.fromhex(batch.batch_blob)
        rows = leaves(indexer)
        assert [r.leaf_index for r in rows] == [0, 1, 2, 3, 4]
        for row, record in zip(rows, batch.records, strict=True):
            assert row.root == bytes.fromhex(batch.root[2:])
            assert (row.licence_id, row.serial, row.machine_id) == (
                record.licence_id, record.serial, record.machine_id,
            )  # fmt: skip
            assert row.material_lot_hash == record.material_lot_hash
            assert row.quality_report_hash == record.quality_report_hash
            assert row.design_id == bytes.fromhex(design_id[2:])
            assert row.hub == bytes.fromhex(w.hub.address[2:])
            assert (row.block_number, row.log_index) == (anchor.block_number, anchor.log_index)
        assert statuses(indexer) == [("ingested", "5 leaves")]
        reader = IndexReader(indexer.engine)
        [leaf] = reader.anchored_prints_by_serial(ids.serial_hash("B-1"))
        assert leaf.leaf_index == 4 and leaf.licence_id == "0x" + batch.entries[1].licence_id.hex()
        assert leaf.position.tx_hash.removeprefix("0x") == batch.tx.tx_hash.removeprefix("0x")
        assert reader.anchored_prints_by_serial(ids.serial_hash("B-1"), "0x" + "00" * 32) == []
        [doc] = reader.batch_documents(batch.root)
        assert doc.status == "ingested" and doc.document_hash == "0x" + batch.batch_blob
        licence = reader.licence(batch.entries[0].licence_id)
        assert licence is not None and licence.anchored_prints == 3 and licence.printed == 3
        # another sync reads nothing again
        again = indexer.sync_once()
        assert again.documents is None or again.documents.tried == 0
        assert len(leaves(indexer)) == 5


def test_without_a_reader_anchors_are_indexed_and_their_documents_left_untried(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, batch, _ = anchored
    with sdk_indexer(w, db_url, documents=False) as indexer:
        assert indexer.sync_once().documents is None
        assert leaves(indexer) == [] and statuses(indexer) == []
        [doc] = IndexReader(indexer.engine).batch_documents(batch.root)
        assert doc.status == "pending"
        # the same index, later synced with a blob store, catches up
        indexer.documents = lambda blob: read_batch_document(w.ledger.store, blob)
        assert indexer.sync_once().documents is not None
        assert len(leaves(indexer)) == 5


def test_a_missing_document_is_recorded_then_ingested_once_published(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, batch, _ = anchored
    store = w.ledger.store
    document = batch.document_bytes()
    store.delete(batch.batch_blob)
    with sdk_indexer(w, db_url, document_retry_seconds=0) as indexer:
        report = indexer.sync_once()
        assert report.documents is not None and report.documents.missing == 1
        assert leaves(indexer) == []
        [(status, detail)] = statuses(indexer)
        assert status == "missing" and detail is not None and batch.batch_blob in detail
        indexer.sync_once()  # still missing: tried again, counted
        with indexer.engine.connect() as conn:
            assert conn.execute(select(s.batch_documents.c.attempts)).scalar_one() == 2
        assert put_bytes(store, document).sha256 == batch.batch_blob  # published
        report = indexer.sync_once()
        assert report.documents is not None and report.documents.ingested == 1
        assert len(leaves(indexer)) == 5 and statuses(indexer) == [("ingested", "5 leaves")]


def test_missing_documents_are_retried_only_every_retry_interval(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, batch, _ = anchored
    document = batch.document_bytes()
    w.ledger.store.delete(batch.batch_blob)
    with sdk_indexer(w, db_url, document_retry_seconds=3600) as indexer:
        indexer.sync_once()
        put_bytes(w.ledger.store, document)
        indexer.sync_once()  # no new block, retry not due: not read again
        assert leaves(indexer) == []
    with sdk_indexer(w, db_url, document_retry_seconds=3600) as fresh:  # a new process
        fresh.sync_once()
        assert len(leaves(fresh)) == 5


@pytest.mark.parametrize(
    "tamper, words",
    [
        (lambda b: dataclasses.replace(b, root="0x" + "ab" * 32), "root"),
        (lambda b: dataclasses.replace(b, entries=b.entries[::-1]), "entries"),
        (lambda b: dataclasses.replace(b, hub="0x" + "cd" * 20), "hub"),
        (lambda b: dataclasses.replace(b, records=b.records[:-1]), "leaves"),
        (lambda b: dataclasses.replace(b, records=b.records[::-1]), "leaf 0 names licence"),
        (
            lambda b: dataclasses.replace(
                b,
                entries=(dataclasses.replace(b.entries[0], design_id=b"\x01" * 32), *b.entries[1:]),
            ),
            "for design",
        ),
    ],
    ids=["root", "entries", "hub", "short", "slots", "design"],
)
def test_a_document_that_does_not_match_its_anchor_is_invalid_and_stores_no_leaf(
    anchored: tuple[World, AnchoredBatch, str],
    db_url: str,
    tamper: Any,
    words: str,
) -> None:
    w, _, _ = anchored
    store = w.ledger.store
    with sdk_indexer(w, db_url, documents=False) as indexer:
        indexer.sync_once()
        report = ingest_batch_documents(
            indexer.engine, lambda blob: tamper(read_batch_document(store, blob))
        )
        assert (report.invalid, report.ingested) == (1, 0)
        [(status, detail)] = statuses(indexer)
        assert status == "invalid" and detail is not None and words in detail, detail
        assert leaves(indexer) == []
        # invalid is final: not read again unless asked
        honest = lambda blob: read_batch_document(store, blob)  # noqa: E731
        assert ingest_batch_documents(indexer.engine, honest).tried == 0
        assert ingest_batch_documents(indexer.engine, honest, retry_invalid=True).ingested == 1
        assert len(leaves(indexer)) == 5


def test_a_document_the_reader_refuses_is_invalid_and_an_unreachable_one_missing(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, _, _ = anchored

    def refuses(blob: str) -> Any:
        raise ValueError("not a partledger/merkle-batch/v2 document")

    def unreachable(blob: str) -> Any:
        raise ConnectionError("store down")

    with sdk_indexer(w, db_url, documents=False) as indexer:
        indexer.sync_once()
        assert ingest_batch_documents(indexer.engine, unreachable).missing == 1
        assert statuses(indexer)[0][0] == "missing"
        assert ingest_batch_documents(indexer.engine, refuses).invalid == 1
        [(status, detail)] = statuses(indexer)
        assert status == "invalid" and detail is not None and "ValueError" in detail


def test_a_reorg_removes_the_leaves_and_status_of_a_rolled_back_anchor(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    design = w.oem.register_design(w.design_file(), METADATA)
    issued = w.oem.issue_licence(
        design.design_id, w.hub.address, max_prints=10, valid_until=w.now() + ONE_DAY
    )
    with sdk_indexer(w, db_url) as indexer:
        indexer.sync_once()
        snap = rpc(w.ledger.w3, "evm_snapshot")
        batch = w.hub.anchor_batch(
            [PrintInput(issued.licence_id, f"RG-{i}", w.machine, "lot") for i in range(4)]
        )
        indexer.sync_once()
        assert len(leaves(indexer)) == 4 and len(statuses(indexer)) == 1
        rpc(w.ledger.w3, "evm_revert", [snap])
        for _ in range(3):
            rpc(w.ledger.w3, "evm_mine")
        report = indexer.sync_once()
        assert report.reorg is not None
        assert report.reorg.removed.get("anchored_prints") == 4
        assert report.reorg.removed.get("batch_documents") == 1
        assert leaves(indexer) == [] and statuses(indexer) == []
        reader = IndexReader(indexer.engine)
        assert reader.batch_documents(batch.root) == []
        licence = reader.licence(issued.licence_id)
        assert licence is not None and licence.anchored_prints == 0


def test_an_anchor_rolled_back_while_its_document_was_read_gets_no_leaves(
    anchored: tuple[World, AnchoredBatch, str], db_url: str
) -> None:
    w, _, _ = anchored
    store = w.ledger.store
    with sdk_indexer(w, db_url, documents=False) as indexer:
        indexer.sync_once()
        with indexer.engine.connect() as conn:
            anchor_block = conn.execute(select(s.batch_anchors.c.block_number)).scalar_one()

        def read_during_a_reorg(blob: str) -> Any:
            with indexer.engine.begin() as conn:  # another process rolls the anchor back
                indexer.store.rollback_above(conn, anchor_block - 1)
            return read_batch_document(store, blob)

        report = ingest_batch_documents(indexer.engine, read_during_a_reorg)
        assert report.skipped == 1 and report.tried == 0
        assert leaves(indexer) == [] and statuses(indexer) == []


def test_the_index_sync_command_reads_the_documents_from_the_blob_store(
    anchored: tuple[World, AnchoredBatch, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    from contextlib import contextmanager

    from typer.testing import CliRunner

    import partledger.cli.reconcile as cli_reconcile
    from partledger.cli import app

    w, _, _ = anchored
    url = f"sqlite:///{tmp_path / 'cli-index.db'}"

    @contextmanager
    def open_ledger() -> Iterator[Any]:
        yield w.ledger

    @contextmanager
    def open_indexer(_ledger: Any) -> Iterator[Indexer]:
        with sdk_indexer(w, url, documents=False) as indexer:  # as configured: no reader
            yield indexer

    monkeypatch.setattr(cli_reconcile, "open_ledger", open_ledger)
    monkeypatch.setattr(cli_reconcile, "open_indexer", open_indexer)
    result = CliRunner().invoke(app, ["--json", "index", "sync"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["documents"] == {"ingested": 1, "missing": 0, "invalid": 0, "leaves": 5}
    with sdk_indexer(w, url, documents=False) as indexer:
        assert len(leaves(indexer)) == 5
