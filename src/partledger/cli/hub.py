"""``partledger hub``: register, machines, key rotation, licences held, fetch designs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger
from partledger.crypto import HpkePrivateKey, HpkeSuiteId
from partledger.sdk import Hub

hub_app = typer.Typer(help="Print hubs: identity, machines, licensed design files.")
app.add_typer(hub_app, name="hub")

As = Annotated[str, typer.Option("--as", help="Hub identity acting.")]


@hub_app.command("register")
def register(
    identity: As,
    name: Annotated[str, typer.Option(help="Display name.")],
    locode: Annotated[str, typer.Option(help="UN/LOCODE of the site, e.g. ITMIL.")],
) -> None:
    """Publish the hub with its HPKE public key (needs the hub role)."""
    with open_ledger() as ledger, guarded():
        tx = Hub(ledger, load_identity(identity)).register(name, locode)
    Output.show(tx, lambda: console.print(f"hub registered: tx {tx.tx_hash}"))


@hub_app.command("machine-add")
def machine_add(
    identity: As,
    maker: Annotated[str, typer.Option()],
    model: Annotated[str, typer.Option()],
    serial: Annotated[str, typer.Option(help="The machine's serial number.")],
) -> None:
    """Register a machine of this hub; prints its machine id."""
    with open_ledger() as ledger, guarded():
        machine_id = Hub(ledger, load_identity(identity)).register_machine(maker, model, serial)
    Output.show({"machine_id": machine_id}, lambda: console.print(f"machine id {machine_id}"))


@hub_app.command("rotate-key")
def rotate_key(identity: As, suite: str = "x25519") -> None:
    """Publish a new HPKE key (the keystore keeps the old one for existing licences)."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        new_key = HpkePrivateKey.generate(HpkeSuiteId.from_label(suite))
        tx = hub.rotate_key(new_key)
    Output.show(tx, lambda: console.print(f"key rotated: tx {tx.tx_hash}"))


@hub_app.command("licences")
def licences(identity: As) -> None:
    """Licences held by this hub, with remaining prints."""
    with open_ledger() as ledger, guarded():
        held = Hub(ledger, load_identity(identity)).licences()

    def human() -> None:
        table = Table("licence", "design", "status", "printed", "remaining", "valid until")
        for lic in held:
            table.add_row(lic.licence_id[:18] + "…", lic.design_id[:18] + "…", lic.status,
                          str(lic.printed), str(lic.remaining), str(lic.valid_until))  # fmt: skip
        console.print(table)

    Output.show(held, human)


@hub_app.command("fetch")
def fetch(licence_id: str, output: Path, identity: As) -> None:
    """Download, verify and decrypt a licensed design to OUTPUT."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        size = hub.container_size(licence_id)
        columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(
            "verifying and decrypting", *columns,
            console=console, disable=Output.json_mode, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task(licence_id, total=size)
            digest = hub.fetch_design(
                licence_id, output, on_progress=lambda n: progress.advance(task, n)
            )
    Output.show({"output": str(output), "sha256": digest},
                lambda: console.print(f"wrote {output} (sha256 {digest}, verified)"))  # fmt: skip
