"""A print's carbon footprint is committed with its attestation (every path) and checked by the
auditor: intact, adding up with the published factors, for the print's own design."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from helpers.world import METADATA, ONE_DAY, World, identity
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
from partledger.chain.ledger_errors import NotDesignOwner
from partledger.sdk import Auditor, Hub, Oem, PrintInput
from partledger.sdk.admin import Role
from partledger.sdk.baseline import declare_baseline
from partledger.sdk.hub import HubLocationMismatch, MissingBaseline, relay_attestation
from partledger.sdk.print_evidence import PrintEvidence, print_evidence_document
from partledger.storage import put_bytes


def air_baseline(design_id: str, kg: float = 2.5) -> Baseline:
    """Frankfurt by air to Singapore: the shipment printing at the hub replaces."""
    leg = Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "SGCHG")
    return Baseline(design_id, "DEFRA", (leg,), kg)


def singapore(kwh: float = 9.0) -> Actual:
    """A Singapore hub: metered print energy, powder by van from the port, van to the customer."""
    van = "road.van_average_diesel"
    return Actual(
        hub_locode="SGJUR", process="L-PBF", material="316L", print_energy_kwh=kwh,
        print_energy_tier=Tier.PRIMARY, feedstock_mass_kg=1.2,
        feedstock_legs=(Leg(Mode.ROAD, van, "SGPPT", "SGJUR", 14.0, Tier.PRIMARY),),
        last_mile_legs=(Leg(Mode.ROAD, van, "SGJUR", "SGCHG", 32.0, Tier.PRIMARY),),
        last_mile_mass_kg=1.1,
    )  # fmt: skip


def footprint(design_id: str, kwh: float = 9.0) -> Footprint:
    return compute_footprint(air_baseline(design_id), singapore(kwh), default_factor_set())


@dataclass
class SingaporeHub:
    hub: Hub
    machine: str


@pytest.fixture
def sg(world: World, dev_accounts: list[LocalAccount]) -> SingaporeHub:
    """A hub registered at Jurong (SGJUR): footprints name the hub's on-chain UN/LOCODE."""
    hub = Hub(world.ledger, identity("hub-jurong", dev_accounts[6]))
    world.admin.grant(Role.HUB, hub.address)
    hub.register("Jurong micro-factory", "SGJUR")
    return SingaporeHub(hub, hub.register_machine("EOS", "M 400", "SN-SG-1"))


def _licence(world: World, sg: SingaporeHub) -> tuple[str, str]:
    """A design with a declared baseline, licensed to the hub with the baseline in its terms."""
    design = world.oem.register_design(world.design_file(size=3_000), METADATA).design_id
    declared = world.oem.declare_baseline(design, air_baseline(design))
    licence = world.oem.issue_licence(
        design, sg.hub.address, max_prints=20, valid_until=world.now() + ONE_DAY,
        terms={"carbon_baseline": declared.blob_id},
    ).licence_id  # fmt: skip
    return design, licence


def _claims(world: World, design: str, serial: str) -> dict[str, tuple[bool, str]]:
    verification = Auditor(world.ledger).check(design, serial)
    return {c.name: (c.passed, c.detail) for c in verification.claims}


def test_direct_batch_and_anchored_prints_carry_a_footprint_the_auditor_recomputes(
    world: World, sg: SingaporeHub
) -> None:
    design, licence = _licence(world, sg)
    carbon = sg.hub.print_footprint(licence, singapore())
    fp = carbon.footprint
    sg.hub.attest_print(PrintInput(licence, "CO2-1", sg.machine, "L", b"QA ok", carbon))
    sg.hub.attest_prints([PrintInput(licence, "CO2-2", sg.machine, "L", None, carbon)])
    sg.hub.anchor_batch([PrintInput(licence, "CO2-3", sg.machine, "L", None, carbon)])
    part = PrintInput(licence, "CO2-4", sg.machine, "L", None, carbon)
    signed = sg.hub.sign_attestation(part, deadline=world.now() + 3600)
    relay_attestation(world.ledger, world.certifier.account, signed)  # any funded relayer
    assert Auditor(world.ledger).provenance(design, "CO2-4").attestation.kind == "relayed"
    for serial in ("CO2-1", "CO2-2", "CO2-3", "CO2-4"):
        claims = _claims(world, design, serial)
        assert claims["carbon.footprint"][0], claims["carbon.footprint"]
        assert "kg CO2e avoided" in claims["carbon.footprint"][1]
        assert claims["carbon.baseline"] == (
            True, f"declared by the design's owner {world.oem.address} "
            f"({carbon.baseline_declaration})",
        )  # fmt: skip
        assert all(passed for passed, _ in claims.values()), claims
    assert _claims(world, design, "CO2-1")["blob.quality_report_document"][0]
    found = Auditor(world.ledger).footprint(Auditor(world.ledger).provenance(design, "CO2-1"))
    assert found.footprint is not None
    assert found.footprint.avoided_kg_co2e == pytest.approx(fp.avoided_kg_co2e)


def test_a_print_without_a_footprint_has_no_carbon_claim(world: World, sg: SingaporeHub) -> None:
    design, licence = _licence(world, sg)
    sg.hub.attest_print(PrintInput(licence, "PLAIN-1", sg.machine, "L", b"QA report"))
    claims = _claims(world, design, "PLAIN-1")
    assert "carbon.footprint" not in claims and claims["blob.quality_report"][0]


def test_a_footprint_changed_after_the_print_fails_its_claim(
    world: World, sg: SingaporeHub
) -> None:
    design, licence = _licence(world, sg)
    carbon = sg.hub.print_footprint(licence, singapore())
    fp = carbon.footprint
    sg.hub.attest_print(PrintInput(licence, "TAMPER-1", sg.machine, "L", None, carbon))
    # the hub (or anyone with the bucket) rewrites the stored document with better figures
    better = dataclasses.replace(fp, avoided_kg_co2e=fp.avoided_kg_co2e * 2)
    original = footprint_document(fp)
    path = world.ledger.store.path_of(hashlib.sha256(original).hexdigest())
    os.chmod(path, 0o600)
    path.write_bytes(footprint_document(better))
    claims = _claims(world, design, "TAMPER-1")
    assert claims["carbon.footprint"][0] is False
    assert "does not match its hash" in claims["carbon.footprint"][1]


def _attest_with(
    world: World, sg: SingaporeHub, licence: str, serial: str, fp: Footprint,
    baseline_blob: str | None,
) -> None:  # fmt: skip
    """A hub attesting a print whose evidence names a footprint document of its own making."""
    store = world.ledger.store
    doc = put_bytes(store, footprint_document(fp)).sha256
    evidence = PrintEvidence(doc, None, baseline_blob)
    manifest = put_bytes(store, print_evidence_document(evidence)).sha256
    hub = sg.hub
    record = PrintInput(licence, serial, sg.machine, "L").record(bytes.fromhex(manifest))
    hub.ledger.transact(hub.account, "PrintLedger", "attestPrint", record.as_tuple())


def _declared(sg: SingaporeHub, licence: str) -> str:
    declaration = sg.hub.carbon_baseline(licence)
    assert declaration is not None
    return declaration.blob_id


def test_a_consistent_but_inflated_footprint_fails_recomputation(
    world: World, sg: SingaporeHub
) -> None:
    """A dishonest hub commits a document whose stated figures do not follow from its inputs."""
    design, licence = _licence(world, sg)
    fp = footprint(design)
    inflated = dataclasses.replace(fp, avoided_kg_co2e=fp.avoided_kg_co2e + 5.0)
    _attest_with(world, sg, licence, "INFLATED-1", inflated, _declared(sg, licence))
    claims = _claims(world, design, "INFLATED-1")
    assert claims["carbon.footprint"][0] is False
    assert "avoided_kg_co2e" in claims["carbon.footprint"][1]
    assert claims["carbon.baseline"][0] is True  # the baseline itself is the declared one


def test_a_hub_cannot_inflate_the_baseline_or_declare_it_itself(
    world: World, sg: SingaporeHub
) -> None:
    """Avoided emissions grow with the baseline: only the design's owner may state it."""
    design, licence = _licence(world, sg)
    heavier = compute_footprint(air_baseline(design, kg=25.0), singapore(), default_factor_set())
    _attest_with(world, sg, licence, "HEAVY-1", heavier, _declared(sg, licence))
    claims = _claims(world, design, "HEAVY-1")
    assert claims["carbon.footprint"][0] is True  # the document adds up...
    assert claims["carbon.baseline"] == (
        False,
        f"the footprint's baseline differs from the one {world.oem.address} declared",
    )  # ...but its baseline is not the OEM's
    own = declare_baseline(world.ledger.store, sg.hub.account, design, heavier.baseline)
    _attest_with(world, sg, licence, "HEAVY-2", heavier, own.blob_id)
    claims = _claims(world, design, "HEAVY-2")
    assert claims["carbon.baseline"][0] is False
    assert (
        f"declared by {sg.hub.address}, not by the design's owner" in (claims["carbon.baseline"][1])
    )
    _attest_with(world, sg, licence, "HEAVY-3", heavier, None)
    assert "did not declare" in _claims(world, design, "HEAVY-3")["carbon.baseline"][1]


def test_a_licence_without_a_baseline_gives_no_footprint(world: World, sg: SingaporeHub) -> None:
    design = world.oem.register_design(world.design_file(size=2_000), METADATA).design_id
    licence = world.oem.issue_licence(
        design, sg.hub.address, max_prints=1, valid_until=world.now() + ONE_DAY
    ).licence_id
    with pytest.raises(MissingBaseline, match="names no carbon baseline"):
        sg.hub.print_footprint(licence, singapore())
    with pytest.raises(NotDesignOwner):
        Oem(world.ledger, sg.hub.identity).declare_baseline(design, air_baseline(design))


def test_another_designs_footprint_and_a_malformed_manifest_are_refused(
    world: World, sg: SingaporeHub
) -> None:
    design, licence = _licence(world, sg)
    _attest_with(world, sg, licence, "OTHER-1", footprint("0x" + "ab" * 32), _declared(sg, licence))
    claims = _claims(world, design, "OTHER-1")
    assert claims["carbon.footprint"][0] is False
    assert "baseline is for design" in claims["carbon.footprint"][1]
    store = world.ledger.store
    sloppy = b'{"type": "partledger.print-evidence", "version": 1, "footprint": "00", ' \
        b'"quality_report": null, "baseline": null}'  # fmt: skip
    blob = put_bytes(store, sloppy).sha256
    hub = sg.hub
    record = PrintInput(licence, "SLOPPY-1", sg.machine, "L").record(bytes.fromhex(blob))
    hub.ledger.transact(hub.account, "PrintLedger", "attestPrint", record.as_tuple())
    claims = _claims(world, design, "SLOPPY-1")
    assert claims["print.evidence"][0] is False


def test_a_footprint_must_name_the_hubs_on_chain_location(world: World, sg: SingaporeHub) -> None:
    _, licence = _licence(world, sg)
    milan = dataclasses.replace(singapore(), hub_locode="ITERO", hub_country="IT")
    with pytest.raises(HubLocationMismatch, match="on-chain UN/LOCODE 'SGJUR'"):
        sg.hub.print_footprint(licence, milan)
