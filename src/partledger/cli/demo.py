"""``partledger demo``: the whole story on the embedded local chain, ending in an audit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from eth_account import Account
from web3 import Web3

from partledger.cli.app import app
from partledger.cli.audit import print_report, provenance_report
from partledger.cli.common import Output, console, fail, guarded, open_ledger, settings
from partledger.cli.demo_carbon import CarbonNetwork, print_carbon_network, run_carbon_network
from partledger.crypto import Identity
from partledger.passport.credentials import part_url
from partledger.runtime import deployer_account
from partledger.sdk import (
    Admin,
    Auditor,
    Certifier,
    DesignMetadata,
    Hub,
    Ledger,
    Oem,
    PrintInput,
    Role,
)

STANDARD = "ISO/ASTM 52920"
DAY = 86_400


def sample_design(path: Path) -> Path:
    """A small ASCII STL (a tetrahedron with a unique name) to stand for a design file."""
    name = f"bracket-{os.urandom(4).hex()}"
    facets = [
        ((0, 0, 0), (1, 0, 0), (0, 1, 0)),
        ((0, 0, 0), (0, 1, 0), (0, 0, 1)),
        ((0, 0, 0), (0, 0, 1), (1, 0, 0)),
        ((1, 0, 0), (0, 0, 1), (0, 1, 0)),
    ]
    lines = [f"solid {name}"]
    for facet in facets:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x} {y} {z}" for x, y, z in facet]
        lines += ["    endloop", "  endfacet"]
    lines.append(f"endsolid {name}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _funded(ledger: Ledger, name: str) -> Identity:
    identity = Identity.generate(name)
    ledger.w3.provider.make_request(
        "anvil_setBalance",  # type: ignore[arg-type]
        [identity.eth_address, hex(Web3.to_wei(100, "ether"))],
    )
    return identity


def _step(text: str) -> None:
    if not Output.json_mode:
        console.print(f"[cyan]>[/] {text}")


@app.command()
def demo(
    carbon: Annotated[
        bool,
        typer.Option(
            "--carbon/--no-carbon",
            help="Also build the carbon network (a Frankfurt warehouse vs four hubs near "
            "customers) and report baseline, actual and avoided kg CO2e, a chart and ESRS E1.",
        ),
    ] = True,
) -> None:
    """Register a design, license a hub, fetch, print, attest and audit — on the local chain;
    then (``--no-carbon`` skips it) what printing at four hubs does to logistics CO2e."""
    if not settings().uses_local_chain:
        fail("the demo runs on the embedded local chain only (unset PARTLEDGER_RPC_URL)", 1)
    work = settings().data_dir / "demo"
    work.mkdir(parents=True, exist_ok=True)
    with open_ledger() as ledger, guarded():
        admin = Admin(ledger, deployer_account(settings()))
        oem = Oem(ledger, _funded(ledger, "demo-oem"))
        hub = Hub(ledger, _funded(ledger, "demo-hub"))
        certifier_id = _funded(ledger, "demo-certifier")
        certifier = Certifier(ledger, Account.from_key(certifier_id.eth_private_key))
        _step("admin onboards an OEM, a hub and a certifier")
        admin.grant(Role.OEM, oem.address)
        admin.grant(Role.HUB, hub.address)
        admin.grant(Role.CERTIFIER, certifier_id.eth_address)

        _step("hub publishes itself (HPKE key on-chain) and its printer")
        hub.register("Milano micro-factory", "ITMIL")
        machine = hub.register_machine("EOS", "M 290", f"SN-{os.urandom(3).hex()}")
        now = ledger.now()
        _step(f"certifier qualifies the printer to {STANDARD}")
        certifier.qualify_machine(machine, STANDARD, b"demo certificate", now, now + 365 * DAY)

        # the carbon network first: the main part's print is then the chain's newest block, so
        # its passport exports even after the embedded chain restarts from its snapshot (a
        # restarted anvil keeps no historical state: see docs/passport.md)
        network: CarbonNetwork | None = None
        if carbon:
            network = run_carbon_network(
                ledger, admin=admin, oem=oem, certifier=certifier,
                funded=lambda name: _funded(ledger, name), design_file=sample_design,
                work=work, step=_step,
            )  # fmt: skip

        source = sample_design(work / "bracket.stl")
        _step(f"OEM encrypts and registers {source.name}")
        design = oem.register_design(
            source, DesignMetadata("PN-4711", "B", "Ti-6Al-4V", "L-PBF", title="Bracket")
        )
        _step(f"OEM licenses the hub for 10 prints (design {design.design_id[:18]}…)")
        licence = oem.issue_licence(
            design.design_id, hub.address, max_prints=10, valid_until=now + 30 * DAY,
            required_standard=STANDARD, terms={"royalty_eur": 12.5},
        )  # fmt: skip

        fetched = work / "fetched.stl"
        _step("hub fetches, verifies and decrypts the design")
        hub.fetch_design(licence.licence_id, fetched)
        if fetched.read_bytes() != source.read_bytes():
            fail("decrypted design differs from the original", 1)
        serial = f"PL-{os.urandom(3).hex().upper()}"
        _step(f"hub prints part {serial} and attests it")
        hub.attest_print(
            PrintInput(licence.licence_id, serial, machine, "LOT-2026-11", b"CT scan: pass")
        )
        _step("auditor assembles and verifies the part's provenance")
        auditor = Auditor(ledger)
        found = auditor.provenance(design.design_id, serial)
        verification = auditor.verify(found)
    config = settings()
    origin = config.api_origin or f"http://{config.api_host}:{config.api_port}"
    page = part_url(origin, design.design_id, serial)
    report = provenance_report(found, verification) | {"part_url": page}
    if network is not None:
        report["carbon"] = network.to_json()

    def human() -> None:
        print_report(found, verification)
        console.print(f"the part's page: {page}  (served by `bash scripts/run.sh`)", soft_wrap=True)
        console.print(f"its passport:    partledger passport export {design.design_id} {serial} "
                      "--as NAME -o part.passport.json", soft_wrap=True)  # fmt: skip
        if network is not None:
            print_carbon_network(network)

    Output.show(report, human)
    if not verification.ok:
        fail(f"claims failed: {', '.join(verification.failed)}", 5)
    if network is not None and not network.verified:
        failed = [p["serial"] for p in network.prints if not p["verified"]]
        fail(f"carbon prints not verified: {', '.join(failed)}", 5)
