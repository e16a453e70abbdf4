"""``partledger passport``: a part's proof bundle, exported and verified offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from web3 import Web3

from partledger.chain.ledger_errors import UnknownPrint
from partledger.cli.app import app
from partledger.cli.audit import EXIT_UNVERIFIED
from partledger.cli.common import (
    EXIT_INVALID,
    Output,
    console,
    fail,
    guarded,
    load_identity,
    open_ledger,
    settings,
)
from partledger.passport import export_bundle, verify_bundle
from partledger.passport.credentials import part_url
from partledger.passport.qr import label_svg, qr_png, qr_svg
from partledger.sdk import Auditor, Verification

passport_app = typer.Typer(help="Part passports: proof bundles anyone can verify offline.")
app.add_typer(passport_app, name="passport")


@passport_app.command("export")
def export(
    design_id: Annotated[str, typer.Argument(metavar="DESIGN_ID")],
    serial: Annotated[str, typer.Argument(metavar="SERIAL")],
    identity: Annotated[
        str, typer.Option("--as", metavar="NAME", help="Identity that signs the bundle.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE")] = Path(
        "part.passport.json"
    ),
    base_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Where the part's public page lives (default: the "
            "service's origin, PARTLEDGER_API_ORIGIN or http://API_HOST:API_PORT).",
        ),
    ] = None,
    gtin: Annotated[
        str | None, typer.Option(metavar="GTIN", help="GS1 GTIN: a Digital Link URL.")
    ] = None,
    product_name: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Product name shown in the passport.")
    ] = None,
) -> None:
    """Write the part's proof bundle: UNTP passport, state proofs and the record, signed."""
    with open_ledger() as ledger, guarded():
        signer = load_identity(identity)
        config = settings()
        origin = base_url or config.api_origin or f"http://{config.api_host}:{config.api_port}"
        try:
            provenance = Auditor(ledger).provenance(design_id, serial)
        except UnknownPrint:
            fail(f"part {serial!r} of design {design_id} is not on the ledger — NOT VERIFIED",
                 EXIT_UNVERIFIED)  # fmt: skip
        bundle = export_bundle(
            ledger, provenance, signer.eth_private_key, base_url=origin, gtin=gtin,
            signer_name=identity, product_name=product_name,
        )  # fmt: skip
    data = json.dumps(bundle, separators=(",", ":")).encode()
    output.write_bytes(data)
    payload = bundle["payload"]
    summary = {
        "file": str(output),
        "bytes": len(data),
        "print_block": int(payload["atPrint"]["header"]["number"], 16),
        "print_block_hash": payload["atPrint"]["header"]["hash"],
        "export_block": int(payload["atExport"]["header"]["number"], 16),
        "export_block_hash": payload["atExport"]["header"]["hash"],
        "url": payload["credentials"]["url"],
    }
    Output.show(summary, lambda: console.print(
        f"wrote {output} ({len(data):,} bytes): print in block {summary['print_block']} "
        f"({summary['print_block_hash']}), status at block {summary['export_block']} "
        f"({summary['export_block_hash']})", soft_wrap=True))  # fmt: skip


def _checkpoint(text: str) -> tuple[int, bytes]:
    number, sep, digest = text.partition(":")
    try:
        raw = bytes.fromhex(digest.removeprefix("0x"))
        if not sep or len(raw) != 32:
            raise ValueError
        return int(number), raw
    except ValueError:
        raise typer.BadParameter(f"expected N:0xBLOCKHASH (32 bytes), got {text!r}") from None


@passport_app.command("verify")
def verify(
    bundle: Annotated[Path, typer.Argument(metavar="FILE", help="A *.passport.json bundle.")],
    trusted_block: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-block",
            metavar="N:HASH",
            help="A block hash you trust (repeatable); no node needed.",
        ),
    ] = None,
    rpc_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Check the headers against this node.")
    ] = None,
    part: Annotated[
        str | None,
        typer.Option(metavar="DESIGN_ID:SERIAL", help="The part you hold (refuses others)."),
    ] = None,
) -> None:
    """Check every signature, hash and proof of a bundle; exit 5 if any claim fails."""
    trusted = dict(_checkpoint(t) for t in trusted_block or [])
    expect = None
    if part is not None:
        design, sep, serial = part.partition(":")
        if not sep:
            raise typer.BadParameter("--part is DESIGN_ID:SERIAL")
        expect = (design, serial)
    try:
        data = bundle.read_bytes()
    except OSError as exc:
        fail(f"cannot read {bundle}: {exc.strerror or exc}", EXIT_INVALID)
    node = None
    if rpc_url is not None:
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))

        def node(number: int) -> bytes | None:
            with guarded():
                block = w3.eth.get_block(number)
            return bytes(block["hash"]) if block else None

    result = verify_bundle(data, trusted=trusted, node=node, expect=expect)
    Output.show(
        {"verified": result.ok, "claims": [c.__dict__ for c in result.claims]},
        lambda: _print(result),
    )
    if not result.ok:
        fail(f"claims failed: {', '.join(result.failed)}", EXIT_UNVERIFIED)


def _print(result: Verification) -> None:
    table = Table("claim", "result", "detail", title="Passport verification")
    for claim in result.claims:
        mark = "[green]pass[/]" if claim.passed else "[bold red]FAIL[/]"
        table.add_row(claim.name, mark, claim.detail)
    console.print(table)
    console.print("[bold green]VERIFIED[/]" if result.ok else "[bold red]NOT VERIFIED[/]")


@passport_app.command("qr")
def qr(
    design_id: Annotated[str, typer.Argument(metavar="DESIGN_ID")],
    serial: Annotated[str, typer.Argument(metavar="SERIAL")],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="*.svg, *.png or *-label.svg")
    ] = Path("part-qr.svg"),
    base_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Where the part's page lives.")
    ] = None,
    gtin: Annotated[str | None, typer.Option(metavar="GTIN")] = None,
    label: Annotated[
        bool, typer.Option("--label", help="A printable 50 x 30 mm label (SVG).")
    ] = False,
) -> None:
    """Write the QR code of the part's public URL (SVG or PNG), or a printable label."""
    with open_ledger() as ledger, guarded():
        try:
            Auditor(ledger).provenance(design_id, serial)
        except UnknownPrint:
            fail(f"part {serial!r} of design {design_id} is not on the ledger — NOT VERIFIED",
                 EXIT_UNVERIFIED)  # fmt: skip
    config = settings()
    origin = base_url or config.api_origin or f"http://{config.api_host}:{config.api_port}"
    url = part_url(origin, design_id, serial, gtin)
    if label:
        data = label_svg(url, serial, design_id[:10])
    elif output.suffix.lower() == ".png":
        data = qr_png(url)
    else:
        data = qr_svg(url)
    output.write_bytes(data)
    Output.show({"file": str(output), "url": url},
                lambda: console.print(f"wrote {output}: {url}", soft_wrap=True))  # fmt: skip
