"""Print footprints on a real chain: read from the prints' evidence blobs (direct and anchored
prints), a plain quality report means no footprint, a missing document is retried, a tampered
one is invalid, rows roll back with a reorg; carbon totals by month, hub and design."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from index_ledger import rpc
from sqlalchemy import Engine, select
from web3 import Web3

from helpers.carbon_prints import part
from helpers.world import METADATA, ONE_DAY, World, build_world
from partledger.carbon import (
    Actual,
    Baseline,
    Footprint,
    FootprintCalculator,
    Leg,
    Mode,
    Tier,
    default_factor_set,
    footprint_document,
)
from partledger.chain import ids
from partledger.index import Indexer, IndexerConfig, open_database
from partledger.index import schema as s
from partledger.index.carbon_queries import CarbonReports, CarbonRow, carbon_totals, total
from partledger.index.footprints import (
    FootprintReader,
    footprint_reader,
    ingest_footprints,
)
from partledger.sdk import PrintInput
from partledger.sdk.batches import read_batch_document
from partledger.sdk.print_evidence import parse_print_evidence
from partledger.storage import FilesystemBlobStore, put_bytes

CALC = FootprintCalculator(default_factor_set())
BASELINE = Baseline(
    design_id="pump-impeller-r3",
    origin="DEFRA",
    legs=(
        Leg(Mode.ROAD, "road.hgv_all_diesel.average_laden", "DEFRA", "DEHAM", 492.0, Tier.PRIMARY),
        Leg(Mode.SEA, "sea.container_ship.average", "DEHAM", "BRSSZ", 10_000.0, Tier.MODELLED),
        Leg(Mode.ROAD, "road.van_average_diesel", "BRSSZ", "BRSAO", 75.0, Tier.PRIMARY),
    ),
    shipped_mass_kg=4.0,
)


def make_footprint(kwh: float = 12.5) -> Footprint:
    actual = Actual(
        hub_locode="BRSAO",
        process="L-PBF",
        material="316L",
        print_energy_kwh=kwh,
        print_energy_tier=Tier.PRIMARY,
        feedstock_mass_kg=1.2,
        feedstock_legs=(
            Leg(Mode.ROAD, "road.van_average_diesel", "BRSSZ", "BRSAO", 75.0, Tier.PRIMARY),
        ),
        last_mile_legs=(
            Leg(Mode.ROAD, "road.van_average_diesel", "BRSAO", "BRGRU", 30.0, Tier.PRIMARY),
        ),
        last_mile_mass_kg=1.1,
    )
    return CALC.for_print(BASELINE, actual)


def component(fp: Footprint, name: str) -> float:
    [kg] = [c.kg_co2e for c in fp.components if c.name == name]
    return kg


def expected_row(fps: list[Footprint], key: str | None = None) -> CarbonRow:
    return CarbonRow(
        key,
        len(fps),
        sum(f.baseline_kg_co2e for f in fps),
        sum(f.actual_kg_co2e for f in fps),
        sum(f.avoided_kg_co2e for f in fps),
        sum(f.default_share * (f.baseline_kg_co2e + f.actual_kg_co2e) for f in fps),
        sum(component(f, "print_electricity") for f in fps),
        sum(component(f, "feedstock_transport") for f in fps),
        sum(component(f, "last_mile_transport") for f in fps),
    )


def close(a: CarbonRow, b: CarbonRow) -> bool:
    return (a.key, a.prints) == (b.key, b.prints) and all(
        getattr(a, n) == pytest.approx(getattr(b, n), rel=1e-9)
        for n in ("baseline_kg", "actual_kg", "avoided_kg", "default_kg", "electricity_kg",
                  "feedstock_kg", "last_mile_kg")
    )  # fmt: skip


# -- the world -------------------------------------------------------------------------------
@pytest.fixture
def sdk_world(
    w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path, snapshot: None
) -> Iterator[World]:
    built = build_world(w3, dev_accounts, tmp_path)
    yield built
    built.ledger.journal.close()


def licence(w: World, max_prints: int = 20) -> tuple[str, str]:
    design = w.oem.register_design(w.design_file(), METADATA)
    issued = w.oem.issue_licence(
        design.design_id, w.hub.address, max_prints=max_prints, valid_until=w.now() + ONE_DAY
    )
    return design.design_id, issued.licence_id


def indexer_for(w: World, db_url: str, *, footprints: bool = True, **options: Any) -> Indexer:
    config = IndexerConfig.from_deployment(
        w.ledger.deployment, w.ledger.w3.provider.endpoint_uri, db_url,  # type: ignore[attr-defined]
        **options,
    )  # fmt: skip
    store = w.ledger.store
    return Indexer(
        config,
        documents=lambda blob: read_batch_document(store, blob),
        footprints=footprint_reader(store, parse_print_evidence) if footprints else None,
    )


def rows(engine: Engine) -> list[Any]:
    f = s.print_footprints.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(s.print_footprints).order_by(f.block_number, f.log_index, f.leaf_index)
            ).all()
        )


def by_serial(engine: Engine) -> dict[bytes, Any]:
    return {bytes(r.serial): r for r in rows(engine)}


# -- ingestion -------------------------------------------------------------------------------
def test_direct_and_anchored_prints_with_footprints_are_ingested(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    design_id, licence_id = licence(w)
    fp1, fp2, fp3 = make_footprint(10.0), make_footprint(20.0), make_footprint(30.0)
    w.hub.attest_print(part(licence_id, "D-1", w.machine, "lot", b"report", footprint=fp1))
    w.hub.attest_print(PrintInput(licence_id, "D-plain", w.machine, "lot", b"only a report"))
    w.hub.attest_print(PrintInput(licence_id, "D-nothing", w.machine, "lot"))
    w.hub.anchor_batch(
        [
            part(licence_id, "A-1", w.machine, "lot", footprint=fp2),
            part(licence_id, "A-2", w.machine, "lot", b"r", footprint=fp3),
            PrintInput(licence_id, "A-plain", w.machine, "lot", b"r"),
        ]
    )
    with indexer_for(w, db_url) as indexer:
        report = indexer.sync_once()
        assert report.footprints is not None
        assert (report.footprints.ingested, report.footprints.none) == (3, 2)
        assert report.footprints.missing == report.footprints.invalid == 0
        found = by_serial(indexer.engine)
        assert ids.serial_hash("D-nothing") not in found  # zero hash: nothing to read
        d1, a1 = found[ids.serial_hash("D-1")], found[ids.serial_hash("A-1")]
        assert d1.status == "ingested" and d1.leaf_index == -1
        assert a1.status == "ingested" and a1.leaf_index >= 0
        assert d1.footprint_hash == hashlib.sha256(footprint_document(fp1)).digest()
        assert d1.report_hash == hashlib.sha256(b"report").digest()
        assert a1.report_hash is None  # the manifest names no quality report
        assert d1.design_id == bytes.fromhex(design_id[2:])
        assert d1.licence_id == bytes.fromhex(licence_id[2:])
        assert d1.hub == bytes.fromhex(w.hub.address[2:])
        assert d1.baseline_kg == fp1.baseline_kg_co2e and d1.actual_kg == fp1.actual_kg_co2e
        assert d1.avoided_kg == fp1.avoided_kg_co2e
        total_kg = fp1.baseline_kg_co2e + fp1.actual_kg_co2e
        assert d1.default_kg == pytest.approx(fp1.default_share * total_kg)
        assert d1.electricity_kg == component(fp1, "print_electricity")
        assert d1.feedstock_kg == component(fp1, "feedstock_transport")
        assert d1.last_mile_kg == component(fp1, "last_mile_transport")
        assert d1.factor_set_version == fp1.factor_set_version
        with indexer.engine.connect() as conn:
            anchor_time = conn.execute(select(s.batch_anchors.c.block_time)).scalar_one()
        assert a1.block_time == anchor_time
        for plain in ("D-plain", "A-plain"):
            row = found[ids.serial_hash(plain)]
            assert row.status == "none" and row.baseline_kg is None
        # nothing is read again
        again = indexer.sync_once()
        assert again.footprints is None or again.footprints.tried == 0
        [row] = CarbonReports(indexer.engine).carbon_totals(design_id=design_id)
        assert close(row, expected_row([fp1, fp2, fp3]))


def test_without_a_footprint_reader_no_evidence_is_read(sdk_world: World, db_url: str) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_print(part(licence_id, "N-1", w.machine, "lot", footprint=make_footprint()))
    with indexer_for(w, db_url, footprints=False) as indexer:
        assert indexer.sync_once().footprints is None
        assert rows(indexer.engine) == []
        indexer.footprints = footprint_reader(w.ledger.store, parse_print_evidence)
        report = indexer.sync_once()
        assert report.footprints is not None and report.footprints.ingested == 1


def test_a_missing_footprint_document_is_recorded_then_ingested_once_published(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    fp = make_footprint()
    document = footprint_document(fp)
    blob = hashlib.sha256(document).hexdigest()
    w.hub.attest_print(part(licence_id, "M-1", w.machine, "lot", footprint=fp))
    w.ledger.store.delete(blob)
    with indexer_for(w, db_url, document_retry_seconds=0) as indexer:
        report = indexer.sync_once()
        assert report.footprints is not None and report.footprints.missing == 1
        [row] = rows(indexer.engine)
        assert row.status == "missing" and blob in row.detail and row.baseline_kg is None
        assert row.footprint_hash == bytes.fromhex(blob)
        indexer.sync_once()  # still missing: tried again, counted
        assert rows(indexer.engine)[0].attempts == 2
        assert put_bytes(w.ledger.store, document).sha256 == blob  # published
        report = indexer.sync_once()
        assert report.footprints is not None and report.footprints.ingested == 1
        [row] = rows(indexer.engine)
        assert row.status == "ingested" and row.baseline_kg == fp.baseline_kg_co2e


def test_missing_evidence_is_retried_only_every_retry_interval(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_print(PrintInput(licence_id, "R-1", w.machine, "lot", b"report"))
    w.ledger.store.delete(hashlib.sha256(b"report").hexdigest())
    with indexer_for(w, db_url, document_retry_seconds=3600) as indexer:
        report = indexer.sync_once()
        assert report.footprints is not None and report.footprints.missing == 1
        assert indexer.sync_once().footprints is None  # nothing new, not time to retry
        assert rows(indexer.engine)[0].attempts == 1


def test_a_tampered_footprint_document_is_invalid_and_counts_nowhere(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    design_id, licence_id = licence(w)
    fp = make_footprint()
    blob = hashlib.sha256(footprint_document(fp)).hexdigest()
    w.hub.attest_print(part(licence_id, "T-1", w.machine, "lot", footprint=fp))
    store = w.ledger.store
    assert isinstance(store, FilesystemBlobStore)
    path = store.path_of(blob)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b'"unit":"kg CO2e"', b'"unit":"kg CO2 "'))
    with indexer_for(w, db_url) as indexer:
        report = indexer.sync_once()
        assert report.footprints is not None and report.footprints.invalid == 1
        [row] = rows(indexer.engine)
        assert row.status == "invalid" and "do not match the hash" in row.detail
        assert CarbonReports(indexer.engine).carbon_totals(design_id=design_id) == []
        # final: not read again, unless asked to retry
        again = indexer.sync_once()
        assert again.footprints is None or again.footprints.tried == 0


def test_a_malformed_document_or_manifest_is_invalid(sdk_world: World, db_url: str) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_print(part(licence_id, "X-1", w.machine, "lot", footprint=make_footprint()))
    store = w.ledger.store
    with indexer_for(w, db_url, footprints=False) as indexer:
        indexer.sync_once()
        # a footprint "document" that hashes right but is not a footprint document
        bogus = put_bytes(store, b'{"not":"a footprint"}').sha256
        real = footprint_reader(store, parse_print_evidence)

        class Bogus:
            footprint = bogus
            quality_report = None

        reader = FootprintReader(real.read, lambda data: Bogus())
        report = ingest_footprints(indexer.engine, reader)
        assert report.invalid == 1
        assert "InvalidFootprintDocument" in rows(indexer.engine)[0].detail

        def refuses(data: bytes) -> Any:
            raise ValueError("unsupported print-evidence version 2")

        report = ingest_footprints(
            indexer.engine, FootprintReader(real.read, refuses), retry_invalid=True
        )
        assert report.invalid == 1 and "version 2" in rows(indexer.engine)[0].detail
        report = ingest_footprints(indexer.engine, real, retry_invalid=True)
        assert report.ingested == 1 and rows(indexer.engine)[0].status == "ingested"


def test_work_per_pass_is_bounded(sdk_world: World, db_url: str) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_prints(
        [
            part(licence_id, f"B-{i}", w.machine, "lot", footprint=make_footprint(1.0 + i))
            for i in range(5)
        ]
    )
    with indexer_for(w, db_url, footprint_batch=2) as indexer:
        first = indexer.sync_once()
        assert first.footprints is not None
        assert first.footprints.ingested == 2 and first.footprints.more
        second = indexer.sync_once()  # no new block: the backlog is worked off
        assert second.footprints is not None and second.footprints.ingested == 2
        third = indexer.sync_once()
        assert third.footprints is not None and third.footprints.ingested == 1
        assert not third.footprints.more
        assert len(rows(indexer.engine)) == 5


def test_a_reorg_removes_the_footprints_of_rolled_back_prints(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_print(part(licence_id, "K-1", w.machine, "lot", footprint=make_footprint()))
    with indexer_for(w, db_url) as indexer:
        indexer.sync_once()
        snap = rpc(w.ledger.w3, "evm_snapshot")
        w.hub.attest_print(part(licence_id, "K-2", w.machine, "lot", footprint=make_footprint(2.0)))
        w.hub.anchor_batch(
            [part(licence_id, "K-3", w.machine, "lot", footprint=make_footprint(3.0))]
        )
        indexer.sync_once()
        assert len(rows(indexer.engine)) == 3
        rpc(w.ledger.w3, "evm_revert", [snap])
        for _ in range(3):
            rpc(w.ledger.w3, "evm_mine")
        report = indexer.sync_once()
        assert report.reorg is not None
        assert report.reorg.removed.get("print_footprints") == 2
        assert [bytes(r.serial) for r in rows(indexer.engine)] == [ids.serial_hash("K-1")]


def test_a_print_rolled_back_while_its_evidence_was_read_gets_no_row(
    sdk_world: World, db_url: str
) -> None:
    w = sdk_world
    _, licence_id = licence(w)
    w.hub.attest_print(part(licence_id, "Z-1", w.machine, "lot", footprint=make_footprint()))
    store = w.ledger.store
    with indexer_for(w, db_url, footprints=False) as indexer:
        indexer.sync_once()
        with indexer.engine.connect() as conn:
            block = conn.execute(select(s.prints.c.block_number)).scalar_one()
        real = footprint_reader(store, parse_print_evidence)

        def read_during_a_reorg(blob: str, limit: int) -> bytes:
            with indexer.engine.begin() as conn:  # another process rolls the print back
                indexer.store.rollback_above(conn, block - 1)
            return real.read(blob, limit)

        report = ingest_footprints(
            indexer.engine, FootprintReader(read_during_a_reorg, parse_print_evidence)
        )
        assert report.skipped == 1 and report.tried == 0
        assert rows(indexer.engine) == []


def test_an_oem_report_counts_the_designs_it_owns(sdk_world: World, db_url: str) -> None:
    w = sdk_world
    design_id, licence_id = licence(w)
    fp = make_footprint()
    w.hub.attest_print(part(licence_id, "O-1", w.machine, "lot", footprint=fp))
    with indexer_for(w, db_url) as indexer:
        indexer.sync_once()
        reports = CarbonReports(indexer.engine)
        [row] = reports.carbon_totals(oem=w.oem.address, group_by="design")
        assert close(row, expected_row([fp], design_id.lower()))
        [row] = reports.carbon_totals(hub=w.hub.address, group_by="hub")
        assert row.key == w.hub.address.lower() and row.prints == 1
        assert reports.carbon_totals(oem=w.hub.address) == []  # owns no design
        assert reports.carbon_totals(hub=w.other_hub.address) == []


# -- totals over synthetic rows (SQLite and PostgreSQL) ---------------------------------------
JAN, FEB, MAR = 1_767_225_600, 1_769_904_000, 1_772_323_200  # 2026-01-01, -02-01, -03-01 UTC
HUB_A, HUB_B = bytes.fromhex("aa" * 20), bytes.fromhex("bb" * 20)
DESIGN_X, DESIGN_Y = bytes.fromhex("11" * 32), bytes.fromhex("22" * 32)


def synthetic(
    n: int, when: int, hub: bytes, design: bytes, status: str = "ingested"
) -> dict[str, Any]:
    kg = None if status != "ingested" else float(n)
    return {
        "block_number": n, "log_index": 0, "leaf_index": -1, "block_time": when,
        "serial": n.to_bytes(32, "big"), "design_id": design, "licence_id": bytes(32),
        "hub": hub, "evidence_hash": bytes(32), "footprint_hash": bytes(32),
        "baseline_kg": None if kg is None else 10 * kg, "actual_kg": kg,
        "avoided_kg": None if kg is None else 9 * kg, "default_kg": None if kg is None else 5 * kg,
        "electricity_kg": None if kg is None else 0.5 * kg,
        "feedstock_kg": None if kg is None else 0.25 * kg,
        "last_mile_kg": None if kg is None else 0.25 * kg,
        "factor_set_version": "partledger-factors 2026.1", "status": status, "detail": None,
        "attempts": 1, "checked_at": 0,
    }  # fmt: skip


def row_of(key: str | None, ns: list[int]) -> CarbonRow:
    k = float(sum(ns))
    return CarbonRow(key, len(ns), 10 * k, k, 9 * k, 5 * k, 0.5 * k, 0.25 * k, 0.25 * k)


@pytest.fixture
def filled(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    values = [
        synthetic(1, JAN + 10, HUB_A, DESIGN_X),
        synthetic(2, JAN + 20 * 86_400, HUB_B, DESIGN_X),
        synthetic(3, FEB + 5, HUB_A, DESIGN_Y),
        synthetic(4, FEB - 1, HUB_A, DESIGN_Y),  # the last second of January
        synthetic(5, MAR, HUB_B, DESIGN_Y),
        synthetic(6, FEB + 7, HUB_A, DESIGN_X, status="none"),
        synthetic(7, FEB + 8, HUB_A, DESIGN_X, status="invalid"),
    ]
    with engine.begin() as conn:
        conn.execute(s.print_footprints.insert(), values)
    yield engine
    engine.dispose()


def test_totals_group_by_month_hub_and_design(filled: Engine) -> None:
    reports = CarbonReports(filled)
    assert reports.carbon_totals() == [row_of(None, [1, 2, 3, 4, 5])]
    assert reports.carbon_totals(group_by="month") == [
        row_of("2026-01", [1, 2, 4]),
        row_of("2026-02", [3]),
        row_of("2026-03", [5]),
    ]
    assert reports.carbon_totals(group_by="hub") == [
        row_of("0x" + HUB_A.hex(), [1, 3, 4]),
        row_of("0x" + HUB_B.hex(), [2, 5]),
    ]
    assert reports.carbon_totals(group_by="design") == [
        row_of("0x" + DESIGN_X.hex(), [1, 2]),
        row_of("0x" + DESIGN_Y.hex(), [3, 4, 5]),
    ]
    assert total(reports.carbon_totals(group_by="hub")) == row_of(None, [1, 2, 3, 4, 5])


def test_totals_filter_by_hub_design_and_half_open_period(filled: Engine) -> None:
    from datetime import UTC, date, datetime

    reports = CarbonReports(filled)
    assert reports.carbon_totals(hub="0x" + HUB_A.hex()) == [row_of(None, [1, 3, 4])]
    assert reports.carbon_totals(design_id=DESIGN_Y, hub=HUB_B) == [row_of(None, [5])]
    feb = reports.carbon_totals(since=date(2026, 2, 1), until=date(2026, 3, 1))
    assert feb == [row_of(None, [3])]
    assert reports.carbon_totals(since=FEB - 1, until=FEB) == [row_of(None, [4])]
    naive = reports.carbon_totals(since=datetime(2026, 3, 1), group_by="month")
    assert naive == reports.carbon_totals(since=datetime(2026, 3, 1, tzinfo=UTC), group_by="month")
    assert naive == [row_of("2026-03", [5])]
    assert carbon_totals(filled, since=MAR + 1) == []
    assert carbon_totals(filled, since=MAR + 1, group_by="month") == []
    with pytest.raises(ValueError, match="group_by"):
        reports.carbon_totals(group_by="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        reports.carbon_totals(hub="0x1234")
