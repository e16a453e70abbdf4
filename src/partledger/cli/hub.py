"""``partledger hub``: register, machines, key rotation, licences held, fetch designs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from partledger.cli.app import app, group
from partledger.cli.common import (
    EXIT_USAGE,
    Output,
    console,
    fail,
    guarded,
    iso,
    label,
    load_identity,
    open_ledger,
    resolve_address,
    say,
    show_fields,
)
from partledger.cli.format import short, table, with_iso
from partledger.cli.licence import licence_json
from partledger.cli.remote import service_client, service_url
from partledger.crypto import HpkePrivateKey, HpkeSuiteId
from partledger.sdk import Hub
from partledger.sdk.hub import HubRecord
from partledger.sdk.types import decode_standard

hub_app = group("Print hubs: identity, machines, licensed design files.")
app.add_typer(hub_app, name="hub")

As = Annotated[str, typer.Option("--as", metavar="NAME", help="Hub identity acting.")]
LicenceId = Annotated[str, typer.Argument(metavar="LICENCE_ID", help="Licence id (0x + 64 hex).")]


@hub_app.command("register")
def register(
    identity: As,
    name: Annotated[str, typer.Option(metavar="TEXT", help="Display name.")],
    locode: Annotated[
        str, typer.Option(metavar="LOCODE", help="UN/LOCODE of the site, e.g. ITMIL.")
    ],
) -> None:
    """Publish the hub with its HPKE public key (needs the hub role)."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        tx = hub.register(name, locode)
    Output.show({"hub": hub.address, **tx.__dict__},
                lambda: say(f"hub {name} ({hub.address}) registered: tx {tx.tx_hash}"))  # fmt: skip


@hub_app.command("machine-add")
def machine_add(
    identity: As,
    maker: Annotated[str, typer.Option(metavar="TEXT", help="Manufacturer, e.g. EOS.")],
    model: Annotated[str, typer.Option(metavar="TEXT", help="Model, e.g. M 290.")],
    serial: Annotated[str, typer.Option(metavar="TEXT", help="The machine's serial number.")],
) -> None:
    """Register a machine of this hub; prints its machine id."""
    with open_ledger() as ledger, guarded():
        machine_id = Hub(ledger, load_identity(identity)).register_machine(maker, model, serial)
    Output.show({"machine_id": machine_id}, lambda: say(f"machine id {machine_id}"))


@hub_app.command("machines")
def machines(
    hub: Annotated[
        str | None, typer.Argument(metavar="HUB", help="The hub: identity name or address.")
    ] = None,
    identity: Annotated[
        str | None, typer.Option("--as", metavar="NAME", help="The hub (instead of HUB).")
    ] = None,
) -> None:
    """A hub's machines with their qualifications (read from the local SQL index, synced
    first)."""
    from partledger.cli.reconcile import synced_index

    if (hub is None) == (identity is None):
        fail("name the hub: HUB or --as NAME", EXIT_USAGE)
    address = resolve_address(hub or identity or "", "hub")
    with open_ledger() as ledger, guarded():
        record = HubRecord.read(ledger, address)
        with synced_index(ledger) as index:
            machines = index.machines_by_hub(address)
            found = [(m, index.qualifications(m.machine_id)) for m in machines]
    rows: list[dict[str, Any]] = [{
        "machine_id": m.machine_id,
        "machine_hash": m.machine_hash,
        "retired": m.retired,
        "registered_at": m.position.block_time,
        "registered_at_iso": iso(m.position.block_time),
        "qualifications": [with_iso({
            "standard": _standard(q.standard), "certifier": q.certifier,
            "valid_from": q.valid_from, "valid_until": q.valid_until, "revoked": q.revoked,
        }, "valid_from", "valid_until") for q in quals],
    } for m, quals in found]  # fmt: skip
    title = f"Machines of {record.name or 'unregistered hub'} ({label(address)})"

    def human() -> None:
        if not rows:
            say(f"{title}: none")
            return
        console.print(table(title, ("machine", "status", "registered", "qualifications"), [
            (r["machine_id"], "retired" if r["retired"] else "active", r["registered_at_iso"],
             "; ".join(_qualification(q) for q in r["qualifications"]) or "none")
            for r in rows
        ]))  # fmt: skip

    Output.show({"hub": address, "name": record.name, "machines": rows}, human)


def _standard(code: str | None) -> str:
    return decode_standard(bytes.fromhex(code.removeprefix("0x"))) if code else ""


def _qualification(q: dict[str, Any]) -> str:
    state = " (revoked)" if q["revoked"] else ""
    return f"{q['standard']} until {q['valid_until_iso']}{state}"


@hub_app.command("rotate-key")
def rotate_key(
    identity: As,
    suite: Annotated[
        str, typer.Option(metavar="SUITE", help="HPKE suite: x25519 or mlkem768-x25519.")
    ] = "x25519",
) -> None:
    """Publish a new HPKE key (the keystore keeps the old one for existing licences)."""
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        new_key = HpkePrivateKey.generate(HpkeSuiteId.from_label(suite))
        tx = hub.rotate_key(new_key)
    Output.show(tx, lambda: say(f"key rotated: tx {tx.tx_hash}"))


@hub_app.command("licences")
def licences(identity: As) -> None:
    """Licences held by this hub, with remaining prints (full ids, to copy)."""
    if (url := service_url()) is not None:
        _remote_licences(url, identity)
        return
    with open_ledger() as ledger, guarded():
        hub = Hub(ledger, load_identity(identity))
        held = [licence_json(lic) for lic in hub.licences()]
    _show_licences(label(hub.address), held)


def _show_licences(holder: str, held: list[dict[str, Any]]) -> None:
    """A hub's licences (chain or service alike): a table for people, the list for --json."""

    def human() -> None:
        if not held:
            say(f"{holder} holds no licences")
            return
        console.print(table(f"Licences of {holder}", (
            "licence", "design", "status", "printed", "left", "valid until", "requires"
        ), [(lic["licence_id"], short(lic["design_id"]), str(lic["status"]).lower(),
             f"{lic['printed']} of {lic['max_prints']}", str(lic["remaining"]),
             iso(lic["valid_until"]), lic.get("required_standard") or "-")
            for lic in held]))  # fmt: skip

    Output.show(held, human)


@hub_app.command("fetch")
def fetch(
    licence_id: LicenceId,
    output: Annotated[Path, typer.Argument(metavar="OUT", help="Where to write the design.")],
    identity: As,
) -> None:
    """Download, verify and decrypt a licensed design to OUT."""
    if (url := service_url()) is not None:
        _remote_fetch(url, identity, licence_id, output)
        return
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
    rows = [("sha256", digest), ("verified", "hashes and licence checked against the chain")]
    Output.show({"output": str(output), "sha256": digest},
                lambda: show_fields(f"wrote {output}", rows))  # fmt: skip


def _remote_licences(url: str, identity: str) -> None:
    """``hub licences`` through the service."""
    actor = load_identity(identity)
    with service_client(url, actor) as client:
        held = client.hub_licences()
    _show_licences(f"{actor.eth_address} at {url}", held)


def _remote_fetch(url: str, identity: str, licence_id: str, output: Path) -> None:
    """``hub fetch`` through the service: the container is decrypted here, with the hub's key."""
    actor = load_identity(identity)
    keys = [actor.hpke_key, *getattr(actor, "previous_hpke_keys", ())]
    with guarded(), service_client(url, actor) as client:
        columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(
            "downloading and decrypting", *columns,
            console=console, disable=Output.json_mode, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task(licence_id, total=None)
            digest = client.fetch_design(
                licence_id, output, keys, on_progress=lambda n: progress.advance(task, n)
            )
    checked = "segments, container and plaintext hashes; opened with this hub's key only"
    rows = [("sha256", digest), ("verified", checked)]
    Output.show({"output": str(output), "sha256": digest, "service": url},
                lambda: show_fields(f"wrote {output}", rows))  # fmt: skip
