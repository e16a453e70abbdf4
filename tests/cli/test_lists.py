"""Everyday lists: an OEM's inventory and licences, prints per licence/hub/period, a hub's
machines, qualifications that are about to expire."""

from __future__ import annotations

import re

from helpers.cli_runner import STANDARD, Cli


def test_everyday_lists_show_inventory_licences_prints_machines_and_expiring_qualifications(
    cli: Cli,
) -> None:
    made = cli.onboard()  # the machine's qualification ends in 20 days
    certificate = cli.file("hub-certificate.pdf", b"hub")
    cli.ok("qualify", "hub", "milan-hub", "ISO/ASTM 52900", "--as", "cert",
           "--certificate", str(certificate), "--days", "365")  # fmt: skip
    first = cli.design("bracket.stl")
    second = cli.ok("design", "register", str(cli.file("housing.stl")), "--as", "acme-oem",
                    "--part-number", "HS-2", "--revision", "C", "--material", "Ti-6Al-4V",
                    "--process", "L-PBF", "--title", "Housing")  # fmt: skip
    licence = cli.licence(first["design_id"], "--standard", STANDARD)
    other = cli.licence(second["design_id"])
    for serial in ("SN-1", "SN-2"):
        cli.ok("print", "attest", licence, serial, "--as", "milan-hub", "--machine",
               made["machine"], "--lot", "L1")  # fmt: skip

    # the OEM's digital inventory, with the metadata it sealed shown back
    inventory = {d["design_id"]: d for d in cli.ok("design", "list", "--as", "acme-oem")}
    assert set(inventory) == {first["design_id"], second["design_id"]}
    assert inventory[second["design_id"]]["metadata"]["partNumber"] == "HS-2"
    assert inventory[second["design_id"]]["metadata"]["title"] == "Housing"
    table = cli.run("design", "list", "--as", "acme-oem").stdout
    assert second["design_id"] in table and "Ti-6Al-4V" in table and "HS-2" in table
    public = cli.ok("design", "list", "--owner", "acme-oem")
    assert {d["metadata"] for d in public} == {None}  # no key, no metadata

    # licences of the OEM, of one design, of one hub; counts from the chain's events
    licences = {v["licence_id"]: v for v in cli.ok("licence", "list", "--as", "acme-oem")}
    assert set(licences) == {licence, other}
    assert licences[licence]["printed"] == 2 and licences[licence]["remaining"] == 3
    assert licences[licence]["required_standard"] == STANDARD
    assert [
        v["licence_id"] for v in cli.ok("licence", "list", "--design", second["design_id"])
    ] == [other]
    assert len(cli.ok("licence", "list", "--hub", "milan-hub")) == 2
    assert licence in cli.run("licence", "list", "--as", "acme-oem").stdout

    # prints per licence, per hub, per period
    prints = cli.ok("print", "list", "--licence", licence)
    assert len(prints) == 2 and {p["machine_id"] for p in prints} == {made["machine"]}
    assert prints[0]["attested_at_iso"].endswith("Z")
    assert len(cli.ok("print", "list", "--hub", "milan-hub", "--since", "2000-01-01")) == 2
    assert cli.ok("print", "list", "--hub", "milan-hub", "--until", "2000-01-01") == []
    assert cli.ok("print", "list", "--licence", other) == []

    # a hub's machines with their qualifications
    machines = cli.ok("hub", "machines", "milan-hub")
    assert machines["name"] == "Milan hub"
    [machine] = machines["machines"]
    assert machine["machine_id"] == made["machine"] and machine["retired"] is False
    assert machine["qualifications"][0]["standard"] == STANDARD
    assert made["machine"] in cli.run("hub", "machines", "--as", "milan-hub").stdout

    # qualifications, and which expire soon
    everything = cli.ok("qualify", "list")
    assert {(q["kind"], q["standard"]) for q in everything} == {
        ("machine", STANDARD), ("hub", "ISO/ASTM 52900")
    }  # fmt: skip
    expiring = cli.ok("qualify", "list", "--expiring-within", "30")
    assert [(q["subject"], q["state"]) for q in expiring] == [(made["machine"], "in force")]
    assert cli.ok("qualify", "list", "--expiring-within", "10") == []
    assert len(cli.ok("qualify", "list", "--hub", "milan-hub")) == 2
    assert len(cli.ok("qualify", "list", "--machine", made["machine"])) == 1
    assert len(cli.ok("qualify", "list", "--certifier", "cert")) == 2
    soon = cli.run("qualify", "list", "--expiring-within", "30").stdout
    assert made["machine"] in soon and re.search(r"\b(19|20) days\b", soon)
