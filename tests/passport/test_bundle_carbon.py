"""A part's carbon footprint travels in its proof bundle and is checked offline: the evidence
the print committed to, the footprint recomputed, the baseline signed by the design's owner, and
the passport's UNTP emissions scorecard. Exporters who lie are refused by name."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from eth_account.signers.local import LocalAccount
from passport.test_bundle import _resigned, _trusted
from sdk.test_footprint_claims import SingaporeHub, air_baseline, singapore
from sdk.test_footprint_claims import sg as sg

from helpers.world import METADATA, ONE_DAY, World
from partledger.carbon import compute_footprint, default_factor_set, footprint_document
from partledger.passport import export_bundle, verify_bundle
from partledger.passport.credentials import open_envelope, untp_problems
from partledger.sdk import PrintInput
from partledger.sdk.baseline import declare_baseline


def _printed(world: World, sg: SingaporeHub) -> tuple[str, dict[str, Any]]:
    design = world.oem.register_design(world.design_file(size=4_000), METADATA).design_id
    declared = world.oem.declare_baseline(design, air_baseline(design))
    licence = world.oem.issue_licence(
        design, sg.hub.address, max_prints=3, valid_until=world.now() + ONE_DAY,
        terms={"carbon_baseline": declared.blob_id},
    ).licence_id  # fmt: skip
    carbon = sg.hub.print_footprint(licence, singapore())
    sg.hub.attest_print(PrintInput(licence, "SG-1", sg.machine, "LOT-9", b"QA", carbon))
    provenance = world.auditor.provenance(design, "SG-1")
    bundle = export_bundle(world.ledger, provenance, bytes(world.oem.account.key))
    return design, bundle


def _failed(bundle: dict[str, Any], trusted: dict[int, bytes]) -> list[str]:
    return list(verify_bundle(bundle, trusted=trusted).failed)


def test_the_footprint_verifies_offline_and_the_passport_carries_its_scorecard(
    world: World, sg: SingaporeHub
) -> None:
    design, bundle = _printed(world, sg)
    trusted = _trusted(world, bundle)
    result = verify_bundle(json.dumps(bundle).encode(), trusted=trusted, expect=(design, "SG-1"))
    assert result.ok, result.claims
    claims = {c.name: c for c in result.claims}
    assert "kg CO2e avoided" in claims["carbon.footprint"].detail
    assert claims["carbon.baseline"].passed
    dpp, _ = open_envelope(bundle["payload"]["credentials"]["dpp"])
    card = dpp["credentialSubject"]["emissionsScorecard"]
    expected = compute_footprint(air_baseline(design), singapore(), default_factor_set())
    assert card["carbonFootprint"] == round(expected.actual_kg_co2e, 6)
    assert card["declaredUnit"] == "H87" and card["operationalScope"] == "None"
    assert isinstance(card["primarySourcedRatio"], float) and 0 <= card["primarySourcedRatio"] <= 1
    assert card["reportingStandard"]["issuingParty"]["name"]


def test_an_exporter_cannot_swap_the_footprint_the_baseline_or_the_scorecard(
    world: World, sg: SingaporeHub, dev_accounts: list[LocalAccount]
) -> None:
    design, bundle = _printed(world, sg)
    trusted = _trusted(world, bundle)
    key, chain_id = bytes(dev_accounts[7].key), world.ledger.deployment.chain_id
    carbon = bundle["payload"]["carbon"]

    better = compute_footprint(air_baseline(design, kg=25.0), singapore(), default_factor_set())
    swapped = copy.deepcopy(bundle)
    swapped["payload"]["carbon"]["footprint"] = base64.b64encode(
        footprint_document(better)
    ).decode()
    assert "carbon.footprint" in _failed(_resigned(swapped, key, chain_id), trusted)

    own = declare_baseline(world.ledger.store, sg.hub.account, design, air_baseline(design))
    other = copy.deepcopy(bundle)
    other["payload"]["carbon"]["baseline"] = base64.b64encode(
        world.ledger.store.open(own.blob_id).read()
    ).decode()
    assert "carbon.baseline" in _failed(_resigned(other, key, chain_id), trusted)

    dropped = copy.deepcopy(bundle)
    del dropped["payload"]["carbon"]  # no evidence, yet the passport still shows a scorecard
    assert "credentials.dpp" in _failed(_resigned(dropped, key, chain_id), trusted)

    foreign = copy.deepcopy(bundle)  # evidence that is not what the print committed to
    foreign["payload"]["carbon"]["evidence"] = base64.b64encode(b'{"other": 1}').decode()
    assert "carbon.footprint" in _failed(_resigned(foreign, key, chain_id), trusted)
    assert carbon["evidence"] != foreign["payload"]["carbon"]["evidence"]


def test_the_untp_check_refuses_a_malformed_emissions_scorecard(
    world: World, sg: SingaporeHub
) -> None:
    _, bundle = _printed(world, sg)
    dpp, _ = open_envelope(bundle["payload"]["credentials"]["dpp"])
    assert untp_problems(dpp, "dpp") == []
    card = dpp["credentialSubject"]["emissionsScorecard"]
    for change, words in (
        ({"carbonFootprint": "0.2"}, "carbonFootprint must be a number"),
        ({"primarySourcedRatio": True}, "primarySourcedRatio must be a number"),
        ({"declaredUnit": ""}, "declaredUnit must be a unit code"),
        ({"operationalScope": "GateToGate"}, "operationalScope must be None"),
        ({"reportingStandard": {"name": "ISO 14083"}}, "issuingParty id and name"),
    ):
        broken = copy.deepcopy(dpp)
        broken["credentialSubject"]["emissionsScorecard"] = {**card, **change}
        assert any(words in p for p in untp_problems(broken, "dpp")), change
