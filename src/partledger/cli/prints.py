"""``partledger print``: attest a print, sign one for relaying, invalidate, refund, list."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from partledger.carbon import actual_from_dict
from partledger.chain import ids
from partledger.chain.ids import PrintRecord
from partledger.chain.ledger_errors import UnknownLicence, UnknownPrint
from partledger.cli.app import app, group
from partledger.cli.common import (
    EXIT_USAGE,
    Output,
    console,
    fail,
    guarded,
    label,
    load_identity,
    open_ledger,
    resolve_address,
    say,
)
from partledger.cli.format import short, table, with_iso
from partledger.crypto import Identity
from partledger.sdk import Auditor, Hub, Ledger, Oem, PrintInput
from partledger.sdk.hub import PrintCarbon, read_licence, relay_attestation
from partledger.sdk.types import to_bytes32

print_app = group("Print attestations.")
app.add_typer(print_app, name="print")

As = Annotated[str, typer.Option("--as", metavar="NAME", help="Hub identity acting.")]
LicenceId = Annotated[str, typer.Argument(metavar="LICENCE_ID", help="Licence id (0x + 64 hex).")]
Serial = Annotated[str, typer.Argument(metavar="SERIAL", help="The part's serial number.")]
Machine = Annotated[str, typer.Option(metavar="MACHINE_ID", help="Machine id (0x + 64 hex).")]
Lot = Annotated[str, typer.Option(metavar="LOT", help="Material lot identifier.")]
Report = Annotated[Path | None, typer.Option(metavar="FILE", help="Quality report file.")]


def _part(licence_id: str, serial: str, machine: str, lot: str, report: Path | None) -> PrintInput:
    return PrintInput(licence_id, serial, machine, lot, report.read_bytes() if report else None)


def _carbon(hub: Hub, licence_id: str, profile: Path, energy_kwh: float | None) -> PrintCarbon:
    """The print's footprint: the hub's profile (location, process, material, feedstock and
    last-mile legs) with this print's metered energy, on the OEM's declared baseline."""
    try:
        inputs = json.loads(profile.read_text())
    except (OSError, ValueError) as exc:
        fail(f"cannot read the carbon profile {profile}: {exc}", EXIT_USAGE)
    if not isinstance(inputs, dict):
        fail(f"the carbon profile {profile} is not a JSON object", EXIT_USAGE)
    inputs = {**inputs, "print_energy_kwh": energy_kwh,
              "print_energy_tier": None if energy_kwh is None else "primary"}  # fmt: skip
    return hub.print_footprint(licence_id, actual_from_dict(inputs, str(profile)))


@print_app.command("attest")
def attest(
    licence_id: LicenceId, serial: Serial, identity: As, machine: Machine, lot: Lot,
    report: Report = None,
    relay_by: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Sign only; this identity submits (relayer)."),
    ] = None,
    carbon_profile: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The hub's carbon profile (JSON; docs/carbon.md): "
                     "commit this print's logistics footprint with the attestation."),
    ] = None,
    energy_kwh: Annotated[
        float | None,
        typer.Option(metavar="KWH", help="This print's metered energy (with --carbon-profile)."),
    ] = None,
) -> None:  # fmt: skip
    """Attest one printed part (directly, or signed by the hub and relayed)."""
    if energy_kwh is not None and carbon_profile is None:
        fail("--energy-kwh goes with --carbon-profile", EXIT_USAGE)
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        part = _part(licence_id, serial, machine, lot, report)
        if carbon_profile is not None:
            part = dataclasses.replace(part, carbon=_carbon(hub, licence_id, carbon_profile,
                                                            energy_kwh))  # fmt: skip
        if relay_by:
            from eth_account import Account

            signed = hub.sign_attestation(part, deadline=ledger.now() + 3600)
            relayer = Account.from_key(load_identity(relay_by).eth_private_key)
            tx = relay_attestation(ledger, relayer, signed)
        else:
            tx = hub.attest_print(part).tx
    Output.show(tx, lambda: say(f"attested {serial}: tx {tx.tx_hash} (block {tx.block_number})"))


@print_app.command("invalidate")
def invalidate(
    licence_id: LicenceId, serial: Serial,
    identity: Annotated[
        str, typer.Option("--as", metavar="NAME", help="The licensed hub or the design's OEM.")
    ],
    machine: Machine, lot: Lot,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (scrapped, failed QA, ...).")],
    report: Report = None,
) -> None:  # fmt: skip
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
    Output.show(tx, lambda: say(f"invalidated {serial}: tx {tx.tx_hash}"))


@print_app.command("refund")
def refund(
    licence_id: LicenceId, serial: Serial,
    identity: Annotated[str, typer.Option("--as", metavar="NAME", help="The design's OEM.")],
    machine: Machine, lot: Lot, report: Report = None,
) -> None:  # fmt: skip
    """Confirm a hub's invalidation and give the copy back to the licence (OEM)."""
    with open_ledger() as ledger, guarded():
        actor = load_identity(identity)
        record = _record(ledger, actor, licence_id, serial, machine, lot, report)
        tx = Oem(ledger, actor).refund_print(record)
    Output.show(tx, lambda: say(f"refunded the copy of {serial}: tx {tx.tx_hash}"))


def _record(
    ledger: Ledger, actor: Identity, licence_id: str, serial: str, machine: str, lot: str,
    report: Path | None,
) -> PrintRecord:  # fmt: skip
    """The attested record of a part: as the ledger has it when the given machine and lot match
    it (its evidence hash may name a footprint), else rebuilt from the fields (report hashed as
    stored)."""
    part = _part(licence_id, serial, machine, lot, report)
    rebuilt = part.record(bytes(32))
    try:
        design = read_licence(ledger, licence_id).design_id
        attested = Auditor(ledger).provenance(design, serial).record
    except (UnknownPrint, UnknownLicence):
        attested = None
    if attested is not None and (attested.machine_id, attested.material_lot_hash) == (
        rebuilt.machine_id,
        rebuilt.material_lot_hash,
    ):
        return attested
    return part.record(Hub(ledger, actor).evidence_hash(part))


def _moment(value: str | None) -> int | None:
    """``2026-11-30`` or ``2026-11-30T09:15:00Z`` (UTC unless an offset is given) as seconds."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date or time (e.g. 2026-11-30 or 2026-11-30T09:15Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


When = Annotated[
    str | None, typer.Option(metavar="DATE", help="ISO 8601 date or time (UTC by default).")
]


@print_app.command("list")
def list_prints(
    licence: Annotated[
        str | None, typer.Option(metavar="LICENCE_ID", help="Prints of this licence.")
    ] = None,
    hub: Annotated[
        str | None, typer.Option(metavar="HUB", help="Prints of this hub (name or address).")
    ] = None,
    since: When = None,
    until: When = None,
    limit: Annotated[int, typer.Option(metavar="N", min=1, help="At most N prints.")] = 1000,
) -> None:
    """Prints attested per licence or per hub, in a period, oldest first.

    Direct and relayed attestations, read from the local SQL index (synced first); prints
    anchored in Merkle batches count in `licence list` and are audited by serial."""
    from partledger.cli.reconcile import synced_index

    if (licence is None) == (hub is None):
        fail("say whose prints: --licence LICENCE_ID or --hub HUB", EXIT_USAGE)
    start, end = _moment(since), _moment(until)
    hub_address = resolve_address(hub, "hub") if hub else None
    with open_ledger() as ledger, guarded():
        licence_key = to_bytes32(licence, "licence id") if licence else None
        with synced_index(ledger) as index:
            if licence_key is not None:
                found = index.prints_by_licence(licence_key, since=start, until=end, limit=limit)
            else:
                assert hub_address is not None
                found = index.prints_by_hub(hub_address, since=start, until=end, limit=limit)
    rows: list[dict[str, Any]] = [
        with_iso({
            "attested_at": p.position.block_time, "licence_id": p.licence_id,
            "design_id": p.design_id, "serial_hash": p.serial, "hub": p.hub,
            "machine_id": p.machine_id, "material_lot_hash": p.material_lot_hash,
            "quality_report_hash": p.quality_report_hash, "tx_hash": p.position.tx_hash,
            "block": p.position.block_number,
        }, "attested_at")
        for p in found
    ]  # fmt: skip

    def human() -> None:
        if not rows:
            say("no prints")
            return
        whose = f"licence {licence}" if licence else label(hub_address or "")
        columns = ("tx", "attested", "serial (keccak256)", "licence", "machine", "block")
        console.print(table(f"Prints of {whose}", columns, [
            (r["tx_hash"], r["attested_at_iso"], short(r["serial_hash"]), short(r["licence_id"]),
             short(r["machine_id"]), str(r["block"])) for r in rows
        ]))  # fmt: skip

    Output.show(rows, human)
