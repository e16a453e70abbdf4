"""``partledger admin`` (roles, pause) and ``partledger qualify`` (certifiers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger, settings
from partledger.runtime import deployer_account
from partledger.sdk import Admin, Certifier, Role

admin_app = typer.Typer(help="Ledger administration (the deployer/admin account).")
qualify_app = typer.Typer(help="Certifiers: qualify hubs and machines to standards.")
app.add_typer(admin_app, name="admin")
app.add_typer(qualify_app, name="qualify")

As = Annotated[str, typer.Option("--as", help="Certifier identity acting.")]
DAY = 86_400


def _admin(ledger_admin: str | None) -> LocalAccount:
    if ledger_admin:
        account: LocalAccount = Account.from_key(load_identity(ledger_admin).eth_private_key)
        return account
    return deployer_account(settings())


@admin_app.command("grant")
def grant(
    role: Annotated[str, typer.Argument(help="oem, hub or certifier")],
    address: str,
    identity: Annotated[str | None, typer.Option("--as")] = None,
) -> None:
    """Grant a role (default acting account: the configured deployer)."""
    with open_ledger() as ledger, guarded():
        tx = Admin(ledger, _admin(identity)).grant(Role[role.upper()], address)
    Output.show(tx, lambda: console.print(f"granted {role} to {address}: tx {tx.tx_hash}"))


@admin_app.command("pause")
def pause(identity: Annotated[str | None, typer.Option("--as")] = None) -> None:
    """Stop every write on the ledger (emergency)."""
    with open_ledger() as ledger, guarded():
        Admin(ledger, _admin(identity)).pause()
    Output.show({"paused": True}, lambda: console.print("ledger paused"))


@admin_app.command("unpause")
def unpause(identity: Annotated[str | None, typer.Option("--as")] = None) -> None:
    with open_ledger() as ledger, guarded():
        Admin(ledger, _admin(identity)).unpause()
    Output.show({"paused": False}, lambda: console.print("ledger resumed"))


@qualify_app.command("machine")
def qualify_machine(
    machine_id: str,
    standard: str,
    identity: As,
    certificate: Annotated[Path, typer.Option(help="The certificate document.")],
    days: int = 365,
) -> None:
    """Record that a machine meets STANDARD for DAYS from now."""
    with open_ledger() as ledger, guarded():
        certifier = Certifier(ledger, Account.from_key(load_identity(identity).eth_private_key))
        now = ledger.now()
        tx = certifier.qualify_machine(
            machine_id, standard, certificate.read_bytes(), now, now + days * DAY
        )
    Output.show(tx, lambda: console.print(f"qualified {machine_id} to {standard}: {tx.tx_hash}"))


@qualify_app.command("hub")
def qualify_hub(
    hub: str,
    standard: str,
    identity: As,
    certificate: Annotated[Path, typer.Option()],
    days: int = 365,
) -> None:
    """Record that a hub meets STANDARD for DAYS from now."""
    with open_ledger() as ledger, guarded():
        certifier = Certifier(ledger, Account.from_key(load_identity(identity).eth_private_key))
        now = ledger.now()
        tx = certifier.qualify_hub(hub, standard, certificate.read_bytes(), now, now + days * DAY)
    Output.show(tx, lambda: console.print(f"qualified hub {hub} to {standard}: {tx.tx_hash}"))


@qualify_app.command("revoke")
def revoke(machine_id: str, standard: str, identity: As, reason: str = "revoked") -> None:
    """Revoke a machine's qualification."""
    with open_ledger() as ledger, guarded():
        certifier = Certifier(ledger, Account.from_key(load_identity(identity).eth_private_key))
        tx = certifier.revoke_machine(machine_id, standard, reason.encode())
    Output.show(tx, lambda: console.print(f"revoked: {tx.tx_hash}"))
