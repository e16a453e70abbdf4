"""Ingest the deployed ledger's events into SQLite and PostgreSQL, idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from index_ledger import STANDARD, Ledger, b32
from sqlalchemy import func, select, update

from partledger.index import Indexer, IndexerConfig, IndexReader, serial_hash, store
from partledger.index import schema as s


def make_indexer(world: Ledger, db_url: str, **options: Any) -> Indexer:
    config = IndexerConfig.from_deployment(
        world.deployment,
        world.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        db_url,
        **options,
    )
    return Indexer(config)


def table_counts(indexer: Indexer) -> dict[str, int]:
    with indexer.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in s.EVENT_TABLES
        }


def dump(indexer: Indexer) -> dict[str, list[tuple[Any, ...]]]:
    with indexer.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in s.EVENT_TABLES}


def test_indexer_stores_every_ledger_event_kind_in_typed_tables(world: Ledger, db_url: str) -> None:
    world.attest("SN-1")
    world.attest_batch(["SN-2", "SN-3"])
    world.tx(world.hub, world.ledger, "invalidatePrint", world.print_record("SN-2"), b32("scrap"))
    world.tx(
        world.oem,
        world.ledger,
        "amendLicence",
        world.licence,
        5,
        world.now() + 400 * 86400,
        b32("terms v2"),
    )
    world.tx(world.oem, world.ledger, "suspendLicence", world.licence_qualified, b32("audit"))
    world.tx(world.hub, world.ledger, "updateHubDetails", "Hub Torino 2", b"ITTRN")
    world.tx(world.hub, world.ledger, "rotateHubKey", bytes(range(1, 33)))
    world.tx(world.hub, world.ledger, "cancelSignatures")
    with make_indexer(world, db_url) as indexer:
        report = indexer.sync_once()
        assert report.reorg is None
        counts = table_counts(indexer)
        assert counts["prints"] == 3
        assert counts["print_invalidations"] == 1
        assert counts["designs"] == 1
        assert counts["design_commitments"] == 1
        assert counts["licences"] == 2
        assert counts["licence_events"] == 2
        assert counts["hub_events"] == 4
        assert counts["machine_events"] == 2
        assert counts["qualification_events"] == 1
        assert counts["signature_cancellations"] == 1
        assert counts["role_events"] >= 4
        assert counts["admin_events"] >= 1
        assert counts["raw_logs"] == 0
        assert report.logs == sum(counts.values())

        reader = IndexReader(indexer.engine)
        [prov] = reader.provenance(serial_hash("SN-2"))
        assert prov.print.licence_id == "0x" + world.licence.hex()
        assert prov.print.hub == world.hub.address.lower()
        assert prov.design is not None and prov.design.design_id == "0x" + world.design.hex()
        assert prov.design.owner == world.oem.address.lower()
        assert prov.licence is not None and prov.licence.max_prints == 1_000_005
        assert reader.licence(world.licence).attested_prints == 3  # type: ignore[union-attr]
        assert prov.hub is not None and prov.hub.name == "Hub Torino 2"
        assert prov.hub.key_version == 2
        assert prov.machine is not None and not prov.machine.retired
        assert prov.invalidation is not None and not prov.invalidation.refunded
        assert prov.print.position.confirmed
        licences = {v.licence_id: v for v in reader.licences_by_hub(world.hub.address)}
        assert licences["0x" + world.licence_qualified.hex()].status == "suspended"
        assert licences["0x" + world.licence_qualified.hex()].required_standard == (
            "0x" + STANDARD.hex()
        )
        assert [d.design_id for d in reader.designs_by_owner(world.oem.address)] == [
            "0x" + world.design.hex()
        ]
        assert len(reader.prints_by_licence(world.licence)) == 3
        [q] = reader.qualifications(world.machine)
        assert q.standard == "0x" + STANDARD.hex() and not q.revoked
        hub_role = world.ledger.functions.HUB_ROLE().call()
        members = reader.role_members(world.ledger.address, hub_role)
        assert world.hub.address.lower() in members and world.hub2.address.lower() in members


@pytest.mark.parametrize("copy_threshold", [1, 10**9], ids=["copy", "executemany"])
def test_reingesting_a_range_changes_nothing(
    world: Ledger, db_url: str, copy_threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "COPY_THRESHOLD", copy_threshold)  # PostgreSQL's two paths
    world.attest_batch([f"R-{i}" for i in range(20)])
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        before = dump(indexer)
        state = indexer.state()
        assert state is not None
        # rewind the checkpoint: the same range is fetched and written again
        with indexer.engine.begin() as conn:
            conn.execute(
                update(s.sync_state).values(last_block=state.start_block - 1, last_hash=None)
            )
        report = indexer.sync_once()
        assert report.logs > 0
        assert dump(indexer) == before


def test_resync_with_nothing_new_is_a_no_op(world: Ledger, db_url: str) -> None:
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        report = indexer.sync_once()
        assert report.first_block is None and report.logs == 0 and report.reorg is None


def test_confirmation_depth_marks_recent_blocks_tentative(world: Ledger, db_url: str) -> None:
    world.attest("T-1")
    with make_indexer(world, db_url, confirmations=3) as indexer:
        indexer.sync_once()
        reader = IndexReader(indexer.engine)
        [prov] = reader.provenance(serial_hash("T-1"))
        assert not prov.print.position.confirmed and not prov.confirmed
        for _ in range(3):
            world.tx(world.hub, world.ledger, "cancelSignatures")
        indexer.sync_once()
        [prov] = reader.provenance(serial_hash("T-1"))
        assert prov.print.position.confirmed


def test_indexes_the_design_lifecycle(world: Ledger, db_url: str) -> None:
    revision = world.register_design(b32("design file v2"), revises=world.design)
    world.tx(world.oem, world.registry, "transferDesignOwnership", revision, world.admin.address)
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        reader = IndexReader(indexer.engine)
        chain = reader.revision_chain(revision)
        assert [d.design_id for d in chain] == ["0x" + world.design.hex(), "0x" + revision.hex()]
        view = reader.design(revision)
        assert view is not None and view.pending_owner == world.admin.address.lower()
        assert view.owner == world.oem.address.lower()
        world.tx(world.oem, world.registry, "recallDesign", world.design, b32("defect"))
        indexer.sync_once()
        recalled = reader.design(world.design)
        assert recalled is not None and recalled.status == "recalled"


@pytest.mark.parametrize("prefetch", [True, False])
def test_small_ranges_give_the_same_index_as_one_range(
    world: Ledger, db_url: str, prefetch: bool
) -> None:
    world.attest_batch([f"S-{i}" for i in range(10)])
    with make_indexer(world, db_url) as one:
        one.sync_once()
        expected = dump(one)
    with make_indexer(
        world,
        db_url.replace("index.db", "index2.db") if "sqlite" in db_url else db_url,
        initial_span=1,
        max_span=1,
        prefetch=prefetch,
    ) as many:
        if "sqlite" not in db_url:
            with many.engine.begin() as conn:
                for t in s.EVENT_TABLES:
                    conn.execute(t.delete())
                conn.execute(s.sync_state.delete())
                conn.execute(s.blocks.delete())
        report = many.sync_once()
        assert report.ranges == report.last_block - world.deployment.start_block + 1
        assert dump(many) == expected
