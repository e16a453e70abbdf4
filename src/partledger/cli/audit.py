"""``partledger audit``: a part's provenance with every claim verified (no role needed)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer
from rich.table import Table

from partledger.chain.ledger_errors import UnknownPrint
from partledger.cli.app import app, group
from partledger.cli.common import (
    Output,
    console,
    fail,
    guarded,
    iso,
    label,
    open_ledger,
    plural,
)
from partledger.cli.remote import service_client, service_url
from partledger.sdk import Auditor, Provenance, Verification, load_batch

audit_app = group("Provenance of parts, verified against the chain and the store.")
app.add_typer(audit_app, name="audit")
EXIT_UNVERIFIED = 5


def provenance_report(provenance: Provenance, verification: Verification) -> dict[str, object]:
    """The JSON shape of an audit: the history plus per-claim results."""
    return {
        "provenance": provenance,
        "verified": verification.ok,
        "claims": [c.__dict__ for c in verification.claims],
    }


def print_report(provenance: Provenance, verification: Verification) -> None:
    """The human audit report."""
    p = provenance
    facts = Table(title=f"Provenance of part {p.serial_number}", show_header=False)
    rows = [
        ("design", f"{p.design_id} ({p.design['status']}"
                   + (", RECALLED" if p.recalled else "") + ")"),
        ("owner", label(p.design["owner"])),
        ("content sha256", p.design["content_hash"]),
        ("licence", f"{p.licence.licence_id} ({p.licence.status}, "
                    f"{p.licence.printed}/{p.licence.max_prints} printed)"),
        ("terms hash", p.licence.terms_hash),
        ("hub", f"{p.hub['name']} @ {p.hub['locode']} ({p.hub['address']})"),
        ("machine", p.machine["machine_id"]),
        ("qualification", _qualification_text(p.qualification)),
        ("material lot hash", "0x" + p.record.material_lot_hash.hex()),
        ("quality report", "0x" + p.record.quality_report_hash.hex()),
        ("attestation", f"{p.attestation.kind} in tx {p.attestation.tx_hash}"
                        + (f", leaf {p.anchor.leaf_index} of {p.anchor.root}" if p.anchor else "")),
        ("attestations of this serial", str(len(p.serial_claims))),
        ("block", f"{p.attestation.block_number} "
                  f"({plural(p.attestation.confirmations, 'confirmation')})"),
        ("invalidated", str(p.invalidated)),
    ]  # fmt: skip
    for key, value in rows:
        facts.add_row(key, value)
    console.print(facts)
    claims = Table("claim", "result", "detail", title="Verification")
    for claim in verification.claims:
        mark = "[green]pass[/]" if claim.passed else "[bold red]FAIL[/]"
        claims.add_row(claim.name, mark, _abbreviate(humanize_times(claim.detail)))
    console.print(claims)
    verdict = "[bold green]VERIFIED[/]" if verification.ok else "[bold red]NOT VERIFIED[/]"
    console.print(verdict)


def _qualification_text(q: dict[str, Any] | None) -> str:
    """The record in force at the print, as the auditor judged it."""
    if q is None:
        return "not required"
    if q.get("certifier") is None:
        return f"{q['standard']}: no record before the print"
    state = "in force" if q["in_force"] else "NOT in force"
    return (f"{q['standard']} by {q['certifier']}, valid {iso(q['valid_from'])} .. "
            f"{iso(q['valid_until'])}, {state} at the print "
            f"(record of block {q['recorded_at_block']})")  # fmt: skip


_TIMES = re.compile(r"\b(valid |\.\.|at )(\d{9,11})\b")


def humanize_times(text: str) -> str:
    """Unix seconds in the SDK's claim details (``valid A..B``, ``at T``) as ISO 8601."""
    return _TIMES.sub(lambda m: m.group(1) + iso(int(m.group(2))), text)


def _abbreviate(text: str) -> str:
    """Shorten long hex strings for humans (JSON output keeps them whole)."""
    return re.sub(r"(0x)?([0-9a-fA-F]{10})[0-9a-fA-F]{30,}", r"\1\2…", text)


@audit_app.command("provenance")
def provenance(
    design_id: Annotated[str, typer.Argument(metavar="DESIGN_ID", help="The part's design.")],
    serial: Annotated[str, typer.Argument(metavar="SERIAL", help="The part's serial number.")],
    batch: Annotated[
        str | None, typer.Option(metavar="BLOB_ID", help="Merkle batch blob id (anchored parts).")
    ] = None,
    no_blobs: Annotated[bool, typer.Option(help="Skip checking the blob store.")] = False,
) -> None:
    """Assemble and verify a part's provenance; exit 5 if any claim fails."""
    if (url := service_url()) is not None:
        _remote_provenance(url, design_id, serial)
        return
    with open_ledger() as ledger, guarded():
        auditor = Auditor(ledger)
        anchored = load_batch(ledger, batch) if batch else None
        try:
            found = auditor.provenance(design_id, serial, batch=anchored)
        except UnknownPrint:
            fail(
                f"part {serial!r} of design {design_id} is not on the ledger — NOT VERIFIED",
                EXIT_UNVERIFIED,
                "no attestation, direct or in a published batch document, names this serial: "
                "it may be counterfeit, or its hub never published its batch",
            )
        verification = auditor.verify(found, check_blobs=not no_blobs)
    Output.show(provenance_report(found, verification), lambda: print_report(found, verification))
    if not verification.ok:
        fail(f"claims failed: {', '.join(verification.failed)}", EXIT_UNVERIFIED)


def _remote_provenance(url: str, design_id: str, serial: str) -> None:
    """``audit provenance`` through a service (its public provenance; no identity needed)."""
    from partledger.sdk.remote import ServiceError

    with service_client(url, None) as client:
        try:
            report = client.provenance(serial, design_id, signed_in=False)
        except ServiceError as exc:
            if exc.status != 404:
                raise
            fail(f"part {serial!r} of design {design_id} is not on the ledger — NOT VERIFIED",
                 EXIT_UNVERIFIED)  # fmt: skip

    def human() -> None:
        claims = Table("claim", "result", "detail", title=f"Provenance of part {serial} ({url})")
        for claim in report["claims"]:
            mark = "[green]pass[/]" if claim["passed"] else "[bold red]FAIL[/]"
            claims.add_row(claim["name"], mark, claim["detail"])
        console.print(claims)
        console.print(
            "[bold green]VERIFIED[/]" if report["verified"] else "[bold red]NOT VERIFIED[/]"
        )

    Output.show(report, human)
    if not report["verified"]:
        failed = [c["name"] for c in report["claims"] if not c["passed"]]
        fail(f"claims failed: {', '.join(failed)}", EXIT_UNVERIFIED)
