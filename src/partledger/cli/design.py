"""``partledger design``: register, revise, list, show, deprecate, recall, transfer (OEM)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from partledger.chain.ledger_errors import UnknownDesign
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
from partledger.cli.format import short, table
from partledger.errors import PartLedgerError
from partledger.sdk import DesignMetadata, Ledger, Oem, RegisteredDesign, TxRef
from partledger.sdk.documents import open_document
from partledger.sdk.hub import DESIGN_STATUS
from partledger.sdk.ledger import REGISTRY
from partledger.sdk.types import ZERO32, hex32, to_bytes32

design_app = group("Designs: register, revise, list, show, deprecate, recall, transfer.")
app.add_typer(design_app, name="design")

As = Annotated[str, typer.Option("--as", metavar="NAME", help="OEM identity acting.")]
DesignId = Annotated[str, typer.Argument(metavar="DESIGN_ID", help="Design id (0x + 64 hex).")]
File = Annotated[Path, typer.Argument(metavar="FILE", help="The design file (any size).")]
PartNumber = Annotated[str, typer.Option(metavar="TEXT", help="OEM part number.")]
Revision = Annotated[str, typer.Option(metavar="TEXT", help="Design revision label.")]
Material = Annotated[str, typer.Option(metavar="TEXT", help="Material, e.g. Ti-6Al-4V.")]
Process = Annotated[str, typer.Option(metavar="TEXT", help="Process, e.g. L-PBF.")]
Title = Annotated[str, typer.Option(metavar="TEXT", help="Free-text title.")]
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


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
    Output.show(result, lambda: show_fields(f"registered design {result.design_id}", [
        ("content sha256", result.content_sha256),
        ("container sha256", result.container_sha256),
        ("revises", result.revises or "-"),
        ("tx", f"{result.tx.tx_hash} (block {result.tx.block_number})"),
    ]))  # fmt: skip
    return result


@design_app.command("register")
def register(
    path: File, part_number: PartNumber, revision: Revision, material: Material,
    process: Process, identity: As, title: Title = "",
) -> None:  # fmt: skip
    """Encrypt a design file into the store and register its hashes on-chain (needs the OEM
    role)."""
    _register(identity, path, DesignMetadata(part_number, revision, material, process, title), None)


@design_app.command("revise")
def revise(
    design_id: DesignId, path: File, part_number: PartNumber, revision: Revision,
    material: Material, process: Process, identity: As, title: Title = "",
) -> None:  # fmt: skip
    """Register FILE as the next revision of a design."""
    with guarded():
        to_bytes32(design_id, "design id")  # before reading a possibly huge file
    metadata = DesignMetadata(part_number, revision, material, process, title)
    _register(identity, path, metadata, design_id)


def read_metadata(ledger: Ledger, oem: Oem, design_id: str, metadata_hash: str) -> dict[str, Any]:
    """The sealed metadata document of one of the OEM's designs (its own key unwraps it)."""
    return open_document(ledger.store, metadata_hash.removeprefix("0x"), oem.design_key(design_id))


def _metadata_or_none(
    ledger: Ledger, oem: Oem | None, design_id: str, metadata_hash: str
) -> dict[str, Any] | None:
    if oem is None:
        return None
    try:
        return read_metadata(ledger, oem, design_id, metadata_hash)
    except PartLedgerError:  # not registered from this data directory, or blob missing
        return None


@design_app.command("show")
def show(
    design_id: DesignId,
    identity: Annotated[
        str | None,
        typer.Option("--as", metavar="NAME", help="The owning OEM: also show the metadata."),
    ] = None,
) -> None:
    """A design's on-chain record, its revision chain and (for its OEM) its metadata."""
    with open_ledger() as ledger, guarded():
        raw = to_bytes32(design_id, "design id")
        d = ledger.view(REGISTRY, "design", raw)
        if d[0] == ZERO_ADDRESS:
            raise UnknownDesign("UnknownDesign", {"designId": raw})
        data: dict[str, Any] = {
            "design_id": hex32(raw),
            "owner": d[0],
            "status": DESIGN_STATUS[d[2]],
            "registered_at": int(d[1]),
            "registered_at_iso": iso(int(d[1])),
            "content_hash": hex32(d[3]),
            "container_hash": hex32(d[4]),
            "metadata_hash": hex32(d[5]),
            "revises": None if bytes(d[6]) == ZERO32 else hex32(d[6]),
            "latest_revision": hex32(ledger.view(REGISTRY, "latestRevision", raw)),
            "pending_owner": _pending_owner(ledger, raw),
        }
        oem = Oem(ledger, load_identity(identity)) if identity else None
        data["metadata"] = _metadata_or_none(ledger, oem, data["design_id"], data["metadata_hash"])

    def human() -> None:
        rows = [
            ("owner", label(data["owner"])),
            ("status", data["status"].lower()),
            ("registered", data["registered_at_iso"]),
            ("content sha256", data["content_hash"]),
            ("container sha256", data["container_hash"]),
            ("metadata hash", data["metadata_hash"]),
            ("revises", data["revises"] or "-"),
            ("latest revision", data["latest_revision"]),
        ]
        if data["pending_owner"]:
            rows.append(("offered to", label(data["pending_owner"])))
        if meta := data["metadata"]:
            rows += _metadata_rows(meta)
        elif identity:
            rows.append(("metadata", "not readable here (no key of this design in the journal)"))
        show_fields(f"design {data['design_id']}", rows)

    Output.show(data, human)


def _pending_owner(ledger: Ledger, design: bytes) -> str | None:
    pending = str(ledger.view(REGISTRY, "pendingOwnerOf", design))
    return None if pending == ZERO_ADDRESS else pending


def _metadata_rows(meta: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("part number", meta.get("partNumber", "")),
        ("revision label", meta.get("revision", "")),
        ("material", meta.get("material", "")),
        ("process", meta.get("process", "")),
    ]
    if meta.get("title"):
        rows.append(("title", meta["title"]))
    rows.append(("file", f"{meta.get('fileName', '')} ({meta.get('size', 0)} bytes)"))
    rows += [(k, v) for k, v in (meta.get("extra") or {}).items()]
    return rows


@design_app.command("list")
def list_designs(
    identity: Annotated[
        str | None,
        typer.Option("--as", metavar="NAME", help="The OEM: its designs with their metadata."),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(metavar="NAME|ADDRESS", help="Any owner: on-chain facts only."),
    ] = None,
) -> None:
    """An OEM's digital inventory: the designs it owns, with their metadata.

    Reads the local SQL index, brought up to the chain head first."""
    from partledger.cli.reconcile import synced_index

    if (identity is None) == (owner is None):
        fail("name the OEM: --as NAME (with metadata) or --owner NAME|ADDRESS", EXIT_USAGE)
    who = resolve_address(owner, "owner") if owner else None
    with open_ledger() as ledger, guarded():
        oem = Oem(ledger, load_identity(identity)) if identity else None
        address = oem.address if oem else who
        assert address is not None
        with synced_index(ledger) as index:
            views = index.designs_by_owner(address)
        rows: list[dict[str, Any]] = []
        for v in views:
            meta = _metadata_or_none(ledger, oem, v.design_id, v.metadata_hash)
            rows.append({
                "design_id": v.design_id, "owner": address, "status": v.status,
                "registered_at": v.position.block_time,
                "registered_at_iso": iso(v.position.block_time),
                "content_hash": v.content_hash, "container_hash": v.container_hash,
                "metadata_hash": v.metadata_hash, "revises": v.revises, "metadata": meta,
            })  # fmt: skip

    def human() -> None:
        if not rows:
            say(f"{label(address)} owns no designs")
            return
        columns = ("design", "part number", "rev", "material", "process", "title", "status",
                   "registered", "revises")  # fmt: skip
        console.print(table(f"Designs of {label(address)}", columns, [
            (r["design_id"], *_meta_cells(r["metadata"]), r["status"],
             r["registered_at_iso"], short(r["revises"]))
            for r in rows
        ]))  # fmt: skip

    Output.show(rows, human)


def _meta_cells(meta: dict[str, Any] | None) -> tuple[str, ...]:
    if meta is None:
        return ("?", "?", "?", "?", "")
    keys = ("partNumber", "revision", "material", "process", "title")
    return tuple(str(meta.get(k, "")) for k in keys)


def _lifecycle(identity: str, action: Callable[[Oem], TxRef], done: str) -> None:
    with open_ledger() as ledger, guarded():
        tx = action(Oem(ledger, load_identity(identity)))
    Output.show(tx, lambda: say(f"{done}: tx {tx.tx_hash} (block {tx.block_number})"))


@design_app.command("deprecate")
def deprecate(design_id: DesignId, identity: As) -> None:
    """No new licences for the design; existing ones keep working."""
    _lifecycle(identity, lambda oem: oem.deprecate(design_id), f"deprecated {design_id}")


@design_app.command("recall")
def recall(
    design_id: DesignId, identity: As,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (hashed on-chain).")] = "recall",
) -> None:  # fmt: skip
    """No new licences and no new prints; printed parts show as recalled."""
    _lifecycle(
        identity, lambda oem: oem.recall(design_id, reason.encode()), f"recalled {design_id}"
    )


@design_app.command("transfer")
def transfer(
    design_id: DesignId,
    new_owner: Annotated[
        str, typer.Argument(metavar="NEW_OWNER", help="The receiving OEM: name or address.")
    ],
    identity: As,
) -> None:
    """Offer the design to another OEM (it accepts with `design accept`)."""
    address = resolve_address(new_owner, "new owner")
    _lifecycle(identity, lambda oem: oem.transfer_ownership(design_id, address),
               f"offered {design_id} to {label(address)}")  # fmt: skip


@design_app.command("accept")
def accept(design_id: DesignId, identity: As) -> None:
    """Accept a design offered to you."""
    _lifecycle(identity, lambda oem: oem.accept_ownership(design_id), f"accepted {design_id}")


@design_app.command("recover")
def recover(identity: As) -> None:
    """Finish or roll back registrations and licences interrupted by a crash."""
    with open_ledger() as ledger, guarded():
        done = Oem(ledger, load_identity(identity)).recover()
    Output.show({"recovered": done}, lambda: say("\n".join(done) or "nothing pending"))
