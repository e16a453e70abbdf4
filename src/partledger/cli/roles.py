"""``partledger admin`` (roles, pause) and ``partledger qualify`` (certifiers)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain import ids
from partledger.cli.app import app, group
from partledger.cli.common import (
    Output,
    console,
    guarded,
    iso,
    label,
    load_identity,
    open_ledger,
    plural,
    resolve_address,
    say,
    settings,
)
from partledger.cli.format import table, with_iso
from partledger.cli.identities import brief
from partledger.runtime import deployer_account
from partledger.sdk import Admin, Certifier, Ledger, Role
from partledger.sdk.ledger import PRINT_LEDGER
from partledger.sdk.types import decode_standard, hex32, to_bytes32

admin_app = group("Ledger administration (the deployer/admin account).")
qualify_app = group("Certifiers: qualify hubs and machines to standards; list and revoke.")
app.add_typer(admin_app, name="admin")
app.add_typer(qualify_app, name="qualify")

As = Annotated[str, typer.Option("--as", metavar="NAME", help="Certifier identity acting.")]
AdminAs = Annotated[
    str | None,
    typer.Option("--as", metavar="NAME", help="Admin identity acting (default: the deployer)."),
]
MachineId = Annotated[str, typer.Argument(metavar="MACHINE_ID", help="Machine id (0x + 64 hex).")]
Standard = Annotated[str, typer.Argument(metavar="STANDARD", help='e.g. "ISO/ASTM 52920".')]
Certificate = Annotated[
    Path, typer.Option(metavar="FILE", help="The certificate document (its hash goes on-chain).")
]
Days = Annotated[int, typer.Option(metavar="DAYS", min=1, help="Validity from now, in days.")]
DAY = 86_400


class RoleName(StrEnum):
    oem = "oem"
    hub = "hub"
    certifier = "certifier"


def _admin(ledger_admin: str | None) -> LocalAccount:
    if ledger_admin:
        account: LocalAccount = Account.from_key(load_identity(ledger_admin).eth_private_key)
        return account
    return deployer_account(settings())


def _certifier(ledger: Ledger, name: str) -> Certifier:
    return Certifier(ledger, Account.from_key(load_identity(name).eth_private_key))


@admin_app.command("grant")
def grant(
    role: Annotated[RoleName, typer.Argument(metavar="ROLE", help="oem, hub or certifier.")],
    who: Annotated[str, typer.Argument(metavar="NAME|ADDRESS", help="Identity name or address.")],
    identity: AdminAs = None,
) -> None:
    """Grant a role (default acting account: the configured deployer)."""
    address = resolve_address(who, "account")
    with open_ledger() as ledger, guarded():
        tx = Admin(ledger, _admin(identity)).grant(Role[role.name.upper()], address)
    Output.show(
        {"role": role.value, "account": address, **tx.__dict__},
        lambda: say(f"granted {role.value} to {label(address)}: tx {tx.tx_hash}"),
    )


@admin_app.command("revoke")
def revoke_role(
    role: Annotated[RoleName, typer.Argument(metavar="ROLE", help="oem, hub or certifier.")],
    who: Annotated[str, typer.Argument(metavar="NAME|ADDRESS", help="Identity name or address.")],
    identity: AdminAs = None,
) -> None:
    """Take a role away."""
    address = resolve_address(who, "account")
    with open_ledger() as ledger, guarded():
        tx = Admin(ledger, _admin(identity)).revoke(Role[role.name.upper()], address)
    Output.show(
        {"role": role.value, "account": address, **tx.__dict__},
        lambda: say(f"revoked {role.value} from {label(address)}: tx {tx.tx_hash}"),
    )


@admin_app.command("pause")
def pause(identity: AdminAs = None) -> None:
    """Stop every write on the ledger (emergency)."""
    with open_ledger() as ledger, guarded():
        Admin(ledger, _admin(identity)).pause()
    Output.show({"paused": True}, lambda: say("ledger paused"))


@admin_app.command("unpause")
def unpause(identity: AdminAs = None) -> None:
    """Let writes happen again after a pause."""
    with open_ledger() as ledger, guarded():
        Admin(ledger, _admin(identity)).unpause()
    Output.show({"paused": False}, lambda: say("ledger resumed"))


@qualify_app.command("machine")
def qualify_machine(
    machine_id: MachineId, standard: Standard, identity: As, certificate: Certificate,
    days: Days = 365,
) -> None:  # fmt: skip
    """Record that a machine meets STANDARD for DAYS from now."""
    with open_ledger() as ledger, guarded():
        certifier = _certifier(ledger, identity)
        now = ledger.now()
        tx = certifier.qualify_machine(
            machine_id, standard, certificate.read_bytes(), now, now + days * DAY
        )
    Output.show(
        {"machine_id": machine_id, "standard": standard, "valid_from": now,
         "valid_until": now + days * DAY, **tx.__dict__},
        lambda: say(f"qualified machine {machine_id} to {standard} until "
                    f"{iso(now + days * DAY)}: tx {tx.tx_hash}"),
    )  # fmt: skip


@qualify_app.command("hub")
def qualify_hub(
    hub: Annotated[str, typer.Argument(metavar="HUB", help="Hub identity name or address.")],
    standard: Standard, identity: As, certificate: Certificate, days: Days = 365,
) -> None:  # fmt: skip
    """Record that a hub meets STANDARD for DAYS from now."""
    address = resolve_address(hub, "hub")
    with open_ledger() as ledger, guarded():
        certifier = _certifier(ledger, identity)
        now = ledger.now()
        until = now + days * DAY
        tx = certifier.qualify_hub(address, standard, certificate.read_bytes(), now, until)
    Output.show(
        {"hub": address, "standard": standard, "valid_from": now,
         "valid_until": now + days * DAY, **tx.__dict__},
        lambda: say(f"qualified hub {label(address)} to {standard} until "
                    f"{iso(now + days * DAY)}: tx {tx.tx_hash}"),
    )  # fmt: skip


@qualify_app.command("revoke")
def revoke(
    machine_id: MachineId, standard: Standard, identity: As,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (hashed on-chain).")] = "revoked",
) -> None:  # fmt: skip
    """Revoke a machine's qualification."""
    with open_ledger() as ledger, guarded():
        tx = _certifier(ledger, identity).revoke_machine(machine_id, standard, reason.encode())
    Output.show(tx, lambda: say(f"revoked {standard} of machine {machine_id}: tx {tx.tx_hash}"))


# -- listing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class QualificationRow:
    """A qualification record as the chain holds it now."""

    subject: str
    kind: str  # machine | hub
    hub: str
    standard: str
    certifier: str
    certificate_hash: str
    valid_from: int
    valid_until: int
    revoked: bool
    state: str  # in force | expired | revoked | not yet valid

    def json(self) -> dict[str, Any]:
        return with_iso(self.__dict__, "valid_from", "valid_until")


def read_qualifications(
    ledger: Ledger, *, subjects: list[bytes] | None = None, certifier: str | None = None
) -> list[QualificationRow]:
    """Every qualification ever recorded (optionally of ``subjects`` or by ``certifier``), each
    in its current on-chain state; read from the ``QualificationRecorded`` events."""
    filters: dict[str, Any] = {}
    if certifier:
        filters["certifier"] = certifier
    event = ledger.prints.events.QualificationRecorded()
    logs = event.get_logs(from_block=ledger.deployment.start_block, argument_filters=filters)
    wanted = None if subjects is None else set(subjects)
    seen: dict[tuple[bytes, bytes], None] = {}
    for log in logs:
        key = (bytes(log["args"]["subject"]), bytes(log["args"]["standard"]))
        if wanted is None or key[0] in wanted:
            seen[key] = None
    now = ledger.now()
    rows = []
    for subject, standard in seen:
        q = ledger.view(PRINT_LEDGER, "qualification", subject, standard)
        record_certifier, valid_from, valid_until, revoked = q[0], int(q[1]), int(q[2]), q[3]
        if certifier and record_certifier != certifier:
            continue  # another certifier holds the record now
        machine = ledger.view(PRINT_LEDGER, "machine", subject)
        if machine[0] != "0x0000000000000000000000000000000000000000":
            kind, hub = "machine", str(machine[0])
        else:
            kind, hub = "hub", Web3.to_checksum_address(subject[12:])
        state = ("revoked" if revoked else "not yet valid" if now < valid_from
                 else "expired" if now > valid_until else "in force")  # fmt: skip
        rows.append(QualificationRow(
            subject=hex32(subject), kind=kind, hub=hub, standard=decode_standard(standard),
            certifier=str(record_certifier), certificate_hash=hex32(q[4]),
            valid_from=valid_from, valid_until=valid_until, revoked=bool(revoked), state=state,
        ))  # fmt: skip
    return sorted(rows, key=lambda r: (r.valid_until, r.subject, r.standard))


@qualify_app.command("list")
def list_qualifications(
    hub: Annotated[
        str | None,
        typer.Option(metavar="HUB", help="Only this hub and its machines (name or address)."),
    ] = None,
    machine: Annotated[
        str | None, typer.Option(metavar="MACHINE_ID", help="Only this machine.")
    ] = None,
    certifier: Annotated[
        str | None,
        typer.Option(metavar="NAME|ADDRESS", help="Only records this certifier holds."),
    ] = None,
    expiring_within: Annotated[
        int | None,
        typer.Option(metavar="DAYS", min=0, help="Only records in force now that end within DAYS."),
    ] = None,
) -> None:
    """Qualifications of machines and hubs, soonest-ending first (read from the chain)."""
    hub_address = resolve_address(hub, "hub") if hub else None
    certifier_address = resolve_address(certifier, "certifier") if certifier else None
    with open_ledger() as ledger, guarded():
        subjects: list[bytes] | None = None
        if machine:
            subjects = [to_bytes32(machine, "machine id")]
        if hub_address:
            own = [ids.hub_subject(hub_address), *_machines_of(ledger, hub_address)]
            subjects = own if subjects is None else [s for s in subjects if s in own]
        rows = read_qualifications(ledger, subjects=subjects, certifier=certifier_address)
        now = ledger.now()
    if expiring_within is not None:
        horizon = now + expiring_within * DAY
        rows = [r for r in rows if r.state == "in force" and r.valid_until <= horizon]

    def human() -> None:
        if not rows:
            say("no qualifications" + (" expiring in that window" if expiring_within else ""))
            return
        console.print(table(
            "Qualifications", ("subject", "kind", "standard", "state", "valid from",
                               "valid until", "ends in", "hub", "certifier"),
            [(r.subject, r.kind, r.standard, r.state, iso(r.valid_from), iso(r.valid_until),
              _ends_in(r.valid_until - now), brief(r.hub), brief(r.certifier)) for r in rows],
        ))  # fmt: skip

    Output.show([r.json() for r in rows], human)


def _machines_of(ledger: Ledger, hub: str) -> list[bytes]:
    event = ledger.prints.events.MachineRegistered()
    logs = event.get_logs(from_block=ledger.deployment.start_block, argument_filters={"hub": hub})
    return [bytes(log["args"]["machineId"]) for log in logs]


def _ends_in(seconds: int) -> str:
    if seconds < 0:
        return "ended"
    days = seconds // DAY
    return plural(days, "day") if days else "today"
