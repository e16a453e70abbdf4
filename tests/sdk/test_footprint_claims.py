"""A print's carbon footprint is committed with its attestation (every path) and checked by the
auditor: intact, adding up with the published factors, for the print's own design."""

from __future__ import annotations

import dataclasses
import hashlib
import os

import pytest

from helpers.world import METADATA, ONE_DAY, World
from partledger.carbon import (
    Actual,
    Baseline,
    Footprint,
    Leg,
    Mode,
    Tier,
    compute_footprint,
    default_factor_set,
    footprint_document,
)
from partledger.sdk import Auditor, PrintInput
from partledger.sdk.print_evidence import PrintEvidence, print_evidence_document
from partledger.storage import put_bytes


def footprint(design_id: str, kwh: float = 9.0) -> Footprint:
    """Frankfurt by air to Singapore (the baseline) against printing at a Singapore hub."""
    baseline = Baseline(
        design_id, "DEFRA", (Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "SGCHG"),), 2.5
    )
    van = "road.van_average_diesel"
    actual = Actual(
        hub_locode="SGJUR", process="L-PBF", material="316L", print_energy_kwh=kwh,
        print_energy_tier=Tier.PRIMARY, feedstock_mass_kg=1.2,
        feedstock_legs=(Leg(Mode.ROAD, van, "SGPPT", "SGJUR", 14.0, Tier.PRIMARY),),
        last_mile_legs=(Leg(Mode.ROAD, van, "SGJUR", "SGCHG", 32.0, Tier.PRIMARY),),
        last_mile_mass_kg=1.1,
    )  # fmt: skip
    return compute_footprint(baseline, actual, default_factor_set())


def _licence(world: World) -> tuple[str, str]:
    design = world.oem.register_design(world.design_file(size=3_000), METADATA).design_id
    licence = world.oem.issue_licence(
        design, world.hub.address, max_prints=20, valid_until=world.now() + ONE_DAY
    ).licence_id
    return design, licence


def _claims(world: World, design: str, serial: str) -> dict[str, tuple[bool, str]]:
    verification = Auditor(world.ledger).check(design, serial)
    return {c.name: (c.passed, c.detail) for c in verification.claims}


def test_direct_batch_and_anchored_prints_carry_a_footprint_the_auditor_recomputes(
    world: World,
) -> None:
    design, licence = _licence(world)
    fp = footprint(design)
    world.hub.attest_print(PrintInput(licence, "CO2-1", world.machine, "L", b"QA ok", fp))
    world.hub.attest_prints([PrintInput(licence, "CO2-2", world.machine, "L", None, fp)])
    world.hub.anchor_batch([PrintInput(licence, "CO2-3", world.machine, "L", None, fp)])
    for serial in ("CO2-1", "CO2-2", "CO2-3"):
        claims = _claims(world, design, serial)
        assert claims["carbon.footprint"][0], claims["carbon.footprint"]
        assert "kg CO2e avoided" in claims["carbon.footprint"][1]
        assert all(passed for passed, _ in claims.values()), claims
    assert _claims(world, design, "CO2-1")["blob.quality_report_document"][0]
    found = Auditor(world.ledger).footprint(Auditor(world.ledger).provenance(design, "CO2-1"))
    assert found.footprint is not None
    assert found.footprint.avoided_kg_co2e == pytest.approx(fp.avoided_kg_co2e)


def test_a_print_without_a_footprint_has_no_carbon_claim(world: World) -> None:
    design, licence = _licence(world)
    world.hub.attest_print(PrintInput(licence, "PLAIN-1", world.machine, "L", b"QA report"))
    claims = _claims(world, design, "PLAIN-1")
    assert "carbon.footprint" not in claims and claims["blob.quality_report"][0]


def test_a_footprint_changed_after_the_print_fails_its_claim(world: World) -> None:
    design, licence = _licence(world)
    fp = footprint(design)
    world.hub.attest_print(PrintInput(licence, "TAMPER-1", world.machine, "L", None, fp))
    # the hub (or anyone with the bucket) rewrites the stored document with better figures
    better = dataclasses.replace(fp, avoided_kg_co2e=fp.avoided_kg_co2e * 2)
    original = footprint_document(fp)
    path = world.ledger.store.path_of(hashlib.sha256(original).hexdigest())
    os.chmod(path, 0o600)
    path.write_bytes(footprint_document(better))
    claims = _claims(world, design, "TAMPER-1")
    assert claims["carbon.footprint"][0] is False
    assert "does not match its hash" in claims["carbon.footprint"][1]


def test_a_consistent_but_inflated_footprint_fails_recomputation(world: World) -> None:
    """A dishonest hub commits a document whose stated figures do not follow from its inputs."""
    design, licence = _licence(world)
    fp = footprint(design)
    inflated = dataclasses.replace(fp, avoided_kg_co2e=fp.avoided_kg_co2e + 5.0)
    store = world.ledger.store
    doc = put_bytes(store, footprint_document(inflated)).sha256
    manifest = put_bytes(store, print_evidence_document(PrintEvidence(doc))).sha256
    hub = world.hub
    record = PrintInput(licence, "INFLATED-1", world.machine, "L").record(bytes.fromhex(manifest))
    hub.ledger.transact(hub.account, "PrintLedger", "attestPrint", record.as_tuple())
    claims = _claims(world, design, "INFLATED-1")
    assert claims["carbon.footprint"][0] is False
    assert "avoided_kg_co2e" in claims["carbon.footprint"][1]


def test_another_designs_footprint_and_a_malformed_manifest_are_refused(world: World) -> None:
    design, licence = _licence(world)
    world.hub.attest_print(
        PrintInput(licence, "OTHER-1", world.machine, "L", None, footprint("0x" + "ab" * 32))
    )
    claims = _claims(world, design, "OTHER-1")
    assert (
        claims["carbon.footprint"][0] is False
        and "baseline is for design" in (claims["carbon.footprint"][1])
    )
    store = world.ledger.store
    sloppy = b'{"type": "partledger.print-evidence", "version": 1, "footprint": "00", ' \
        b'"quality_report": null}'  # fmt: skip
    blob = put_bytes(store, sloppy).sha256
    hub = world.hub
    record = PrintInput(licence, "SLOPPY-1", world.machine, "L").record(bytes.fromhex(blob))
    hub.ledger.transact(hub.account, "PrintLedger", "attestPrint", record.as_tuple())
    claims = _claims(world, design, "SLOPPY-1")
    assert claims["print.evidence"][0] is False
