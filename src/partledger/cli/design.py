"""``partledger design``: register, revise, show, deprecate, recall, transfer (OEM)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, load_identity, open_ledger
from partledger.sdk import DesignMetadata, Oem, RegisteredDesign
from partledger.sdk.hub import DESIGN_STATUS
from partledger.sdk.types import hex32, to_bytes32

design_app = typer.Typer(help="Designs: register, revise, show, deprecate, recall, transfer.")
app.add_typer(design_app, name="design")

As = Annotated[str, typer.Option("--as", help="Identity (keystore name) acting.")]


def _register(
    identity: str, path: Path, metadata: DesignMetadata, revises: str | None
) -> RegisteredDesign:
    size = path.stat().st_size if path.is_file() else 0
    with open_ledger() as ledger, guarded():
        oem = Oem(ledger, load_identity(identity))
        columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(
            "{task.description}", *columns,
            console=console, disable=Output.json_mode, transient=True,
        ) as progress:  # fmt: skip
            # the SDK reads the file twice: hashed (a duplicate is refused), then encrypted
            hashing = progress.add_task(f"hashing {path.name}", total=size)
            encrypting = progress.add_task(f"encrypting {path.name}", total=size)
            hashed = 0

            def advance(n: int) -> None:
                nonlocal hashed
                if hashed < size:
                    hashed += n
                    progress.advance(hashing, n)
                else:
                    progress.advance(encrypting, n)

            result = oem.register_design(path, metadata, revises=revises, on_progress=advance)
    Output.show(result, lambda: console.print(
        f"registered design [bold]{result.design_id}[/]\n"
        f"  content sha256   {result.content_sha256}\n"
        f"  container sha256 {result.container_sha256}\n"
        f"  tx {result.tx.tx_hash} (block {result.tx.block_number})"
    ))  # fmt: skip
    return result


@design_app.command("register")
def register(
    path: Path,
    part_number: Annotated[str, typer.Option(help="OEM part number.")],
    revision: Annotated[str, typer.Option(help="Design revision label.")],
    material: Annotated[str, typer.Option(help="Material, e.g. Ti-6Al-4V.")],
    process: Annotated[str, typer.Option(help="Process, e.g. L-PBF.")],
    identity: As,
    title: str = "",
) -> None:
    """Encrypt a design file into the store and register its hashes on-chain."""
    _register(identity, path, DesignMetadata(part_number, revision, material, process, title), None)


@design_app.command("revise")
def revise(
    design_id: str,
    path: Path,
    part_number: Annotated[str, typer.Option()],
    revision: Annotated[str, typer.Option()],
    material: Annotated[str, typer.Option()],
    process: Annotated[str, typer.Option()],
    identity: As,
) -> None:
    """Register a new revision of a design."""
    metadata = DesignMetadata(part_number, revision, material, process)
    _register(identity, path, metadata, design_id)


@design_app.command("show")
def show(design_id: str) -> None:
    """A design's on-chain record and revision chain."""
    with open_ledger() as ledger, guarded():
        raw = to_bytes32(design_id, "design id")
        d = ledger.view("DesignRegistry", "design", raw)
        data = {
            "design_id": hex32(raw),
            "owner": d[0],
            "status": DESIGN_STATUS[d[2]],
            "content_hash": hex32(d[3]),
            "container_hash": hex32(d[4]),
            "metadata_hash": hex32(d[5]),
            "revises": hex32(d[6]),
            "latest_revision": hex32(ledger.view("DesignRegistry", "latestRevision", raw)),
        }
    Output.show(data, lambda: console.print(data))


def _lifecycle(identity: str, action: str, design_id: str, *args: str) -> None:
    with open_ledger() as ledger, guarded():
        oem = Oem(ledger, load_identity(identity))
        if action == "deprecate":
            tx = oem.deprecate(design_id)
        elif action == "recall":
            tx = oem.recall(design_id, args[0].encode())
        elif action == "transfer":
            tx = oem.transfer_ownership(design_id, args[0])
        else:
            tx = oem.accept_ownership(design_id)
    Output.show(tx, lambda: console.print(f"{action}: tx {tx.tx_hash} (block {tx.block_number})"))


@design_app.command("deprecate")
def deprecate(design_id: str, identity: As) -> None:
    """No new licences for the design."""
    _lifecycle(identity, "deprecate", design_id)


@design_app.command("recall")
def recall(design_id: str, identity: As, reason: str = "recall") -> None:
    """No new licences and no new prints; printed parts show as recalled."""
    _lifecycle(identity, "recall", design_id, reason)


@design_app.command("transfer")
def transfer(design_id: str, new_owner: str, identity: As) -> None:
    """Offer the design to another OEM (two-step)."""
    _lifecycle(identity, "transfer", design_id, new_owner)


@design_app.command("accept")
def accept(design_id: str, identity: As) -> None:
    """Accept a design offered to you."""
    _lifecycle(identity, "accept", design_id)


@design_app.command("recover")
def recover(identity: As) -> None:
    """Finish or roll back registrations and licences interrupted by a crash."""
    with open_ledger() as ledger, guarded():
        done = Oem(ledger, load_identity(identity)).recover()
    Output.show({"recovered": done}, lambda: console.print("\n".join(done) or "nothing pending"))
