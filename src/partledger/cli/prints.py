"""``partledger print``: attest a print, sign one for relaying, invalidate (hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from partledger.chain import ids
from partledger.chain.ids import PrintRecord
from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger
from partledger.crypto import Identity
from partledger.sdk import Hub, Ledger, Oem, PrintInput
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
    identity: Annotated[str, typer.Option("--as", help="The licensed hub or the design's OEM.")],
    machine: Annotated[str, typer.Option()],
    lot: Annotated[str, typer.Option()],
    reason: Annotated[str, typer.Option(help="Why (scrapped, failed QA, ...).")],
    report: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Invalidate an attested print (the fields must match what was attested).

    By the hub: the part is marked invalid, its copy stays used. By the design's OEM: on a
    licence that refunds invalidations, the copy also goes back to the licence."""
    with open_ledger() as ledger, guarded():
        actor = load_identity(identity)
        record = _record(ledger, actor, licence_id, serial, machine, lot, report)
        if ids.hub_of_licence(record.licence_id) == actor.eth_address:
            tx = Hub(ledger, actor).invalidate_print(record, reason.encode())
        else:
            tx = Oem(ledger, actor).invalidate_print(record, reason.encode())
    Output.show(tx, lambda: console.print(f"invalidated {serial}: tx {tx.tx_hash}"))


@print_app.command("refund")
def refund(
    licence_id: str,
    serial: str,
    identity: Annotated[str, typer.Option("--as", help="The design's OEM.")],
    machine: Annotated[str, typer.Option()],
    lot: Annotated[str, typer.Option()],
    report: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Confirm a hub's invalidation and give the copy back to the licence (OEM)."""
    with open_ledger() as ledger, guarded():
        actor = load_identity(identity)
        record = _record(ledger, actor, licence_id, serial, machine, lot, report)
        tx = Oem(ledger, actor).refund_print(record)
    Output.show(tx, lambda: console.print(f"refunded the copy of {serial}: tx {tx.tx_hash}"))


def _record(
    ledger: Ledger, actor: Identity, licence_id: str, serial: str, machine: str, lot: str,
    report: Path | None,
) -> PrintRecord:  # fmt: skip
    """The attested record of a part, rebuilt from its fields (report hashed as stored)."""
    part = _part(licence_id, serial, machine, lot, report)
    return part.record(Hub(ledger, actor)._report_hash(part.quality_report))
