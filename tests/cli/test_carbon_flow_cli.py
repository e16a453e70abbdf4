"""The carbon story from the command line: the OEM declares a baseline and names it in a
licence, the hub attests a print with its carbon profile and metered energy, the auditor sees
the footprint verified; bad inputs are clear errors."""

from __future__ import annotations

import json

from helpers.cli_runner import REGISTER, Cli

BASELINE = {
    "origin": {"locode": "DEFRA"},
    "legs": [{"mode": "air", "factor_key": "air.international_non_uk",
              "origin": {"locode": "DEFRA"}, "destination": {"locode": "SGCHG"},
              "distance_km": None, "distance_tier": None}],
    "shipped_mass_kg": 2.5,
}  # fmt: skip
VAN = "road.van_average_diesel"
PROFILE = {
    "hub_locode": "SGJUR", "hub_country": "SG", "process": "L-PBF", "material": "316L",
    "feedstock_mass_kg": 1.2, "last_mile_mass_kg": 1.1,
    "feedstock_legs": [{"mode": "road", "factor_key": VAN, "origin": {"locode": "SGPPT"},
                        "destination": {"locode": "SGJUR"}, "distance_km": 14.0,
                        "distance_tier": "modelled"}],
    "last_mile_legs": [{"mode": "road", "factor_key": VAN, "origin": {"locode": "SGJUR"},
                        "destination": {"locode": "SGCHG"}, "distance_km": 32.0,
                        "distance_tier": "modelled"}],
}  # fmt: skip


def test_declare_license_attest_and_audit_a_footprint(cli: Cli) -> None:
    cli.identity("acme-oem", role="oem")
    hub = cli.identity("sg-hub", role="hub")
    cli.ok("hub", "register", "--as", "sg-hub", "--name", "Jurong hub", "--locode", "SGJUR")
    machine = cli.ok("hub", "machine-add", "--as", "sg-hub", "--maker", "EOS", "--model",
                     "M 400", "--serial", "SG-1")["machine_id"]  # fmt: skip
    design = cli.ok("design", "register", str(cli.file("impeller.stl")), "--as", "acme-oem",
                    *REGISTER)["design_id"]  # fmt: skip
    baseline = cli.root / "baseline.json"
    baseline.write_text(json.dumps(BASELINE))
    declared = cli.ok("design", "baseline", design, str(baseline), "--as", "acme-oem")
    assert declared["declared_by"] == cli.addresses["acme-oem"]
    licence = cli.ok("licence", "issue", design, hub, "--as", "acme-oem", "--max-prints", "3",
                     "--carbon-baseline", declared["blob_id"])["licence_id"]  # fmt: skip
    profile = cli.root / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    cli.ok("print", "attest", licence, "SG-0001", "--as", "sg-hub", "--machine", machine,
           "--lot", "LOT-1", "--carbon-profile", str(profile), "--energy-kwh", "9.2")  # fmt: skip
    report = cli.ok("audit", "provenance", design, "SG-0001")
    claims = {c["name"]: c for c in report["claims"]}
    assert report["verified"] is True
    assert claims["carbon.footprint"]["passed"] and claims["carbon.baseline"]["passed"]

    # the hub forgets its metered energy; energy without a profile; a hub declaring: clear errors
    attest = ("print", "attest", licence, "SG-0002", "--as", "sg-hub", "--machine", machine)
    no_energy = cli.fails(1, *attest, "--lot", "L", "--carbon-profile", str(profile))
    assert "energy" in no_energy.output.lower()
    cli.fails(2, "print", "attest", licence, "SG-0003", "--as", "sg-hub", "--machine", machine,
              "--lot", "L", "--energy-kwh", "3")  # fmt: skip
    refused = cli.fails(3, "design", "baseline", design, str(baseline), "--as", "sg-hub")
    assert "NotDesignOwner" in refused.output or "owner" in refused.output.lower()
    bad = cli.root / "bad.json"
    bad.write_text('{"origin": {"locode": "DEFRA"}, "legs": [], "shipped_mass_kg": -1}')
    cli.fails(1, "design", "baseline", design, str(bad), "--as", "acme-oem")
    cli.fails(2, "licence", "issue", design, hub, "--as", "acme-oem", "--max-prints", "1",
              "--carbon-baseline", "not-a-blob")  # fmt: skip
