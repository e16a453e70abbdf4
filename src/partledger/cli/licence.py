"""``partledger licence``: issue, amend, suspend, resume, revoke (OEM); show, list."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from partledger.cli.app import app, group
from partledger.cli.common import (
    EXIT_INVALID,
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
from partledger.cli.identities import brief
from partledger.index import IndexReader
from partledger.sdk import LicenceView, Oem, TxRef, read_licence
from partledger.sdk.types import decode_standard, to_bytes32

licence_app = group("Per-hub print licences.")
app.add_typer(licence_app, name="licence")

As = Annotated[str, typer.Option("--as", metavar="NAME", help="OEM identity acting.")]
LicenceId = Annotated[str, typer.Argument(metavar="LICENCE_ID", help="Licence id (0x + 64 hex).")]
Reason = Annotated[str, typer.Option(metavar="TEXT", help="Why (hashed on-chain).")]
DAY = 86_400


def licence_json(view: LicenceView) -> dict[str, Any]:
    """A licence for JSON output: chain fields, decoded standard, seconds and ISO times."""
    data = {**view.__dict__, "required_standard": decode_standard(view.required_standard),
            "remaining": view.remaining}  # fmt: skip
    return with_iso(data, "valid_from", "valid_until")


def licence_rows(view: LicenceView) -> list[tuple[str, Any]]:
    """A licence for people: one fact a line, names and ISO dates."""
    standard = decode_standard(view.required_standard)
    return [
        ("design", view.design_id),
        ("hub", label(view.hub)),
        ("status", view.status.lower()),
        ("prints", f"{view.printed} of {view.max_prints} used, {view.remaining} left"),
        ("valid", f"{iso(view.valid_from)} .. {iso(view.valid_until)}"),
        ("requires", f"a machine qualified to {standard}" if standard else "no qualification"),
        ("refunds invalidated prints", "yes" if view.refund_on_invalidate else "no"),
        ("terms hash", view.terms_hash),
        ("wrapped key hash", view.wrapped_key_hash),
    ]


@licence_app.command("issue")
def issue(
    design_id: Annotated[str, typer.Argument(metavar="DESIGN_ID", help="The OEM's design.")],
    hub: Annotated[str, typer.Argument(metavar="HUB", help="The hub: identity name or address.")],
    identity: As,
    max_prints: Annotated[int, typer.Option(metavar="N", min=1, help="Prints allowed.")],
    days: Annotated[int, typer.Option(metavar="DAYS", min=1, help="Validity from now.")] = 30,
    standard: Annotated[
        str | None,
        typer.Option(metavar="STANDARD", help='Required qualification, e.g. "ISO/ASTM 52920".'),
    ] = None,
    terms: Annotated[
        Path | None, typer.Option(metavar="FILE", help="JSON file with the licence terms.")
    ] = None,
    refund_on_invalidate: Annotated[
        bool, typer.Option(help="Prints the OEM invalidates give their copy back.")
    ] = False,
    carbon_baseline: Annotated[
        str | None,
        typer.Option(metavar="BLOB_ID", help="The design's declared carbon baseline "
                     "(`partledger design baseline`): the hub's footprints rest on it."),
    ] = None,
) -> None:  # fmt: skip
    """License a hub: wrap the design key to its on-chain HPKE key and record the terms."""
    hub_address = resolve_address(hub, "hub")
    terms_doc = _terms(terms)
    if carbon_baseline is not None:
        if not re.fullmatch(r"[0-9a-f]{64}", carbon_baseline):
            fail(f"--carbon-baseline: not a blob id (64 lowercase hex): {carbon_baseline!r}",
                 EXIT_USAGE)  # fmt: skip
        terms_doc = {**terms_doc, "carbon_baseline": carbon_baseline}
    with open_ledger() as ledger, guarded():
        valid_until = ledger.now() + days * DAY
        issued = Oem(ledger, load_identity(identity)).issue_licence(
            design_id, hub_address, max_prints=max_prints, valid_until=valid_until,
            required_standard=standard, terms=terms_doc,
            refund_on_invalidate=refund_on_invalidate,
        )  # fmt: skip
    Output.show(issued, lambda: show_fields(f"issued licence {issued.licence_id}", [
        ("design", issued.design_id),
        ("hub", label(issued.hub)),
        ("prints", str(max_prints)),
        ("valid until", iso(valid_until)),
        ("tx", f"{issued.tx.tx_hash} (block {issued.tx.block_number})"),
    ]))  # fmt: skip


def _terms(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with guarded():
        try:
            document = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            fail(f"{path} is not JSON: {exc}", EXIT_INVALID)
    if not isinstance(document, dict):
        fail(f"{path} must hold a JSON object (the terms), not {type(document).__name__}",
             EXIT_INVALID)  # fmt: skip
    return document


@licence_app.command("show")
def show(licence_id: LicenceId) -> None:
    """A licence as the chain sees it now (remaining prints, status, window)."""
    with open_ledger() as ledger, guarded():
        view = read_licence(ledger, licence_id)
    Output.show(licence_json(view),
                lambda: show_fields(f"licence {view.licence_id}", licence_rows(view)))  # fmt: skip


@licence_app.command("list")
def list_licences(
    identity: Annotated[
        str | None, typer.Option("--as", metavar="NAME", help="The OEM: licences of its designs.")
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(metavar="NAME|ADDRESS", help="Licences of this OEM's designs."),
    ] = None,
    design: Annotated[
        str | None, typer.Option(metavar="DESIGN_ID", help="Only licences of this design.")
    ] = None,
    hub: Annotated[
        str | None, typer.Option(metavar="HUB", help="Only licences issued to this hub.")
    ] = None,
) -> None:
    """Licences of an OEM's designs (or of one design, or held by one hub).

    Reads the local SQL index, brought up to the chain head first; counts include
    direct, relayed and anchored prints, minus refunds."""
    from partledger.cli.reconcile import synced_index

    if identity is not None and owner is not None:
        fail("give --as or --owner, not both", EXIT_USAGE)
    if identity is None and owner is None and design is None and hub is None:
        fail("say whose licences: --as OEM, --owner OEM, --design DESIGN_ID or --hub HUB",
             EXIT_USAGE)  # fmt: skip
    named = identity or owner  # listing needs no key: a name stands for its address
    oem = resolve_address(named, "OEM") if named else None
    hub_address = resolve_address(hub, "hub") if hub else None
    with open_ledger() as ledger, guarded(), synced_index(ledger) as index:
        views = _licences(index, oem, design, hub_address)

    def human() -> None:
        if not views:
            say("no licences")
            return
        console.print(table("Licences", (
            "licence", "design", "hub", "status", "printed", "left", "valid until", "requires"
        ), [(v.licence_id, short(v.design_id), brief(v.hub), v.status, f"{v.printed}",
             str(max(0, v.max_prints - v.printed)), iso(v.valid_until),
             _standard(v.required_standard)) for v in views]))  # fmt: skip

    Output.show([_index_json(v) for v in views], human)


def _licences(
    index: IndexReader, oem: str | None, design: str | None, hub: str | None
) -> list[Any]:
    if design is not None:
        views = index.licences_by_design(to_bytes32(design, "design id"))
    elif hub is not None and oem is None:
        views = index.licences_by_hub(hub)
    else:
        assert oem is not None
        designs = index.designs_by_owner(oem)
        views = [v for d in designs for v in index.licences_by_design(d.design_id)]
    if hub is not None:
        views = [v for v in views if v.hub.lower() == hub.lower()]
    return views


def _standard(code: str | None) -> str:
    if not code:
        return "-"
    return decode_standard(bytes.fromhex(code.removeprefix("0x")))


def _index_json(view: Any) -> dict[str, Any]:
    data = {k: v for k, v in view.__dict__.items() if k != "position"}
    data.update(
        printed=view.printed,
        remaining=max(0, view.max_prints - view.printed),
        required_standard=_standard(view.required_standard) or None,
        issued_block=view.position.block_number,
        issued_tx=view.position.tx_hash,
    )
    return with_iso(data, "valid_from", "valid_until")


# -- changes by the OEM ----------------------------------------------------------------------
def _change(identity: str, verb: str, licence_id: str, act: Callable[[Oem], TxRef]) -> None:
    with open_ledger() as ledger, guarded():
        oem = Oem(ledger, load_identity(identity))
        tx = act(oem)
        view = read_licence(ledger, licence_id)
    Output.show({**tx.__dict__, "licence": licence_json(view)},
                lambda: say(f"{verb} licence {licence_id}: now {view.status.lower()}, "
                            f"{view.remaining} of {view.max_prints} prints left, valid until "
                            f"{iso(view.valid_until)} (tx {tx.tx_hash})"))  # fmt: skip


@licence_app.command("amend")
def amend(
    licence_id: LicenceId, identity: As,
    add_prints: Annotated[int, typer.Option(metavar="N", min=0, help="More prints.")] = 0,
    days: Annotated[int, typer.Option(metavar="DAYS", min=0, help="Extend by DAYS.")] = 0,
) -> None:  # fmt: skip
    """Add prints and/or extend the validity (a licence is never shortened)."""
    if add_prints == 0 and days == 0:
        fail("nothing to amend: give --add-prints N and/or --days DAYS", EXIT_USAGE)

    def act(oem: Oem) -> TxRef:
        current = read_licence(oem.ledger, licence_id).valid_until
        return oem.amend_licence(licence_id, add_prints=add_prints,
                                 valid_until=current + days * DAY)  # fmt: skip

    _change(identity, "amended", licence_id, act)


@licence_app.command("suspend")
def suspend(licence_id: LicenceId, identity: As, reason: Reason = "suspended") -> None:
    """Stop the hub from fetching and printing until resumed."""
    _change(identity, "suspended", licence_id,
            lambda oem: oem.suspend_licence(licence_id, reason.encode()))  # fmt: skip


@licence_app.command("resume")
def resume(licence_id: LicenceId, identity: As) -> None:
    """Let a suspended licence be used again."""
    _change(identity, "resumed", licence_id, lambda oem: oem.resume_licence(licence_id))


@licence_app.command("revoke")
def revoke(licence_id: LicenceId, identity: As, reason: Reason = "revoked") -> None:
    """End the licence for good."""
    _change(identity, "revoked", licence_id,
            lambda oem: oem.revoke_licence(licence_id, reason.encode()))  # fmt: skip
