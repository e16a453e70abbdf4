"""``partledger print``: attest a print, sign one for relaying, invalidate (hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger
from partledger.sdk import Hub, PrintInput
from partledger.sdk.hub import relay_attestation

print_app = typer.Typer(help="Print attestations.")
app.add_typer(print_app, name="print")

As = Annotated[str, typer.Option("--as", help="Hub identity acting.")]


def _part(licence_id: str, serial: str, machine: str, lot: str, report: Path | None) -> PrintInput:
    return PrintInput(licence_id, serial, machine, lot, report.read_bytes() if report else None)


@print_app.command("attest")
def attest(
    licence_id: str,
    serial: str,
    identity: As,
    machine: Annotated[str, typer.Option(help="Machine id.")],
    lot: Annotated[str, typer.Option(help="Material lot identifier.")],
    report: Annotated[Path | None, typer.Option(help="Quality report file.")] = None,
    relay_by: Annotated[
        str | None, typer.Option(help="Sign only; this identity submits (relayer).")
    ] = None,
) -> None:
    """Attest one printed part (directly, or signed by the hub and relayed)."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        part = _part(licence_id, serial, machine, lot, report)
        if relay_by:
            from eth_account import Account

            signed = hub.sign_attestation(part, deadline=ledger.now() + 3600)
            relayer = Account.from_key(load_identity(relay_by).eth_private_key)
            tx = relay_attestation(ledger, relayer, signed)
        else:
            tx = hub.attest_print(part).tx
    Output.show(tx, lambda: console.print(f"attested {serial}: tx {tx.tx_hash}"))


@print_app.command("invalidate")
def invalidate(
    licence_id: str,
    serial: str,
    identity: As,
    machine: Annotated[str, typer.Option()],
    lot: Annotated[str, typer.Option()],
    reason: Annotated[str, typer.Option(help="Why (scrapped, failed QA, ...).")],
    report: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Invalidate an attested print (the fields must match what was attested)."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        part = _part(licence_id, serial, machine, lot, report)
        record = part.record(hub._report_hash(part.quality_report))
        tx = hub.invalidate_print(record, reason.encode())
    Output.show(tx, lambda: console.print(f"invalidated {serial}: tx {tx.tx_hash}"))
