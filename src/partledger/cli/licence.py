"""``partledger licence``: issue, amend, suspend, resume, revoke (OEM); show (anyone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger
from partledger.sdk import Oem, read_licence
from partledger.sdk.types import decode_standard

licence_app = typer.Typer(help="Per-hub print licences.")
app.add_typer(licence_app, name="licence")

As = Annotated[str, typer.Option("--as", help="OEM identity acting.")]
DAY = 86_400


@licence_app.command("issue")
def issue(
    design_id: str,
    hub: str,
    identity: As,
    max_prints: Annotated[int, typer.Option(min=1)],
    days: Annotated[int, typer.Option(min=1, help="Validity from now, in days.")] = 30,
    standard: Annotated[str | None, typer.Option(help="Required machine qualification.")] = None,
    terms: Annotated[Path | None, typer.Option(help="JSON file with the licence terms.")] = None,
    refund_on_invalidate: bool = False,
) -> None:
    """License a hub: wrap the design key to its on-chain HPKE key and record the terms."""
    with open_ledger() as ledger, guarded():
        terms_doc = json.loads(terms.read_text()) if terms else {}
        issued = Oem(ledger, load_identity(identity)).issue_licence(
            design_id, hub, max_prints=max_prints, valid_until=ledger.now() + days * DAY,
            required_standard=standard, terms=terms_doc,
            refund_on_invalidate=refund_on_invalidate,
        )  # fmt: skip
    Output.show(issued, lambda: console.print(f"issued licence [bold]{issued.licence_id}[/]"))


@licence_app.command("show")
def show(licence_id: str) -> None:
    """A licence as the chain sees it now (remaining prints, status, window)."""
    with open_ledger() as ledger, guarded():
        view = read_licence(ledger, licence_id)
    data = {**view.__dict__, "required_standard": decode_standard(view.required_standard),
            "remaining": view.remaining}  # fmt: skip
    Output.show(data, lambda: console.print(data))


def _change(identity: str, action: str, licence_id: str, **kwargs: object) -> None:
    with open_ledger() as ledger, guarded():
        oem = Oem(ledger, load_identity(identity))
        if action == "amend":
            days = int(kwargs.pop("days") or 0)  # type: ignore[call-overload]
            current = read_licence(ledger, licence_id).valid_until
            tx = oem.amend_licence(
                licence_id, add_prints=int(kwargs["add_prints"]),  # type: ignore[call-overload]
                valid_until=current + days * DAY,
            )  # fmt: skip
        elif action == "suspend":
            tx = oem.suspend_licence(licence_id, str(kwargs["reason"]).encode())
        elif action == "resume":
            tx = oem.resume_licence(licence_id)
        else:
            tx = oem.revoke_licence(licence_id, str(kwargs["reason"]).encode())
    Output.show(tx, lambda: console.print(f"{action}: tx {tx.tx_hash}"))


@licence_app.command("amend")
def amend(
    licence_id: str, identity: As, add_prints: int = 0,
    days: Annotated[int, typer.Option(help="Extend validity by this many days.")] = 0,
) -> None:  # fmt: skip
    """Add prints and/or extend the validity."""
    _change(identity, "amend", licence_id, add_prints=add_prints, days=days)


@licence_app.command("suspend")
def suspend(licence_id: str, identity: As, reason: str = "suspended") -> None:
    _change(identity, "suspend", licence_id, reason=reason)


@licence_app.command("resume")
def resume(licence_id: str, identity: As) -> None:
    _change(identity, "resume", licence_id)


@licence_app.command("revoke")
def revoke(licence_id: str, identity: As, reason: str = "revoked") -> None:
    _change(identity, "revoke", licence_id, reason=reason)
