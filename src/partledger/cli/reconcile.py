"""``partledger reconcile`` and ``partledger index``: chain vs. index vs. blob store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from partledger.cli.app import app, group
from partledger.cli.common import Output, console, fail, guarded, load_identity, open_ledger
from partledger.config import Settings
from partledger.index import Indexer, IndexerConfig, IndexReader
from partledger.index.footprints import footprint_reader
from partledger.reconcile import Options, Reconciler
from partledger.sdk import Ledger
from partledger.sdk.batches import read_batch_document
from partledger.sdk.print_evidence import parse_print_evidence

index_app = group("The SQL index of ledger events (the list commands sync it first).")
app.add_typer(index_app, name="index")
EXIT_DIVERGED = 6


@contextmanager
def open_indexer(ledger: Ledger) -> Iterator[Indexer]:
    """The index of the configured database (SQLite in the data directory by default)."""
    settings = Settings()
    config = IndexerConfig.from_deployment(
        ledger.deployment,
        ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        settings.sqlalchemy_url,
        confirmations=settings.confirmations,
    )
    with Indexer(config) as indexer:
        yield indexer


@contextmanager
def synced_index(ledger: Ledger) -> Iterator[IndexReader]:
    """The index, first brought up to the chain head (what the list commands read)."""
    with open_indexer(ledger) as indexer:
        store = ledger.store
        indexer.documents = lambda blob: read_batch_document(store, blob)
        indexer.footprints = footprint_reader(store, parse_print_evidence)
        indexer.sync_once()
        yield IndexReader(indexer.engine)


@index_app.command("sync")
def sync() -> None:
    """Bring the index up to the chain head (handling reorgs), with the anchored leaves of the
    batch documents in the blob store (missing ones are tried again on the next sync)."""
    with open_ledger() as ledger, guarded(), open_indexer(ledger) as indexer:
        store = ledger.store
        indexer.documents = lambda blob: read_batch_document(store, blob)
        indexer.footprints = footprint_reader(store, parse_print_evidence)
        report = indexer.sync_once()
    docs = report.documents
    documents = {k: getattr(docs, k, 0) for k in ("ingested", "missing", "invalid", "leaves")}
    data = {"last_block": report.last_block, "logs": report.logs, "reorg": bool(report.reorg),
            "documents": documents}  # fmt: skip
    Output.show(data, lambda: console.print(
        f"indexed up to block {report.last_block} ({report.logs} new events; batch documents: "
        f"{documents['ingested']} ingested, {documents['missing']} missing, "
        f"{documents['invalid']} invalid)"
    ))  # fmt: skip


@app.command()
def reconcile(
    repair: Annotated[bool, typer.Option(help="Fix what is safely fixable.")] = False,
    shallow: Annotated[bool, typer.Option(help="Check blobs exist without re-hashing.")] = False,
    grace_hours: Annotated[
        float, typer.Option(metavar="HOURS", help="Orphans younger than this are fine.")
    ] = 1.0,
    identity: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="OEM identity to resume its interrupted operations."),
    ] = None,
) -> None:
    """Compare chain, index and blob store; exit 6 when divergences remain."""
    options = Options(deep=not shallow, orphan_grace=timedelta(hours=grace_hours))
    with open_ledger() as ledger, guarded(), open_indexer(ledger) as indexer:
        reconciler = Reconciler(
            ledger, indexer, quarantine_dir=Settings().data_dir / "quarantine", options=options
        )
        report = reconciler.run()
        outcomes = []
        if repair and not report.clean:
            identities = [load_identity(name) for name in identity or []]
            outcomes = reconciler.repair(report, identities=identities)
            report = reconciler.run()
    data = {**report.to_json(), "repairs": [o.to_json() for o in outcomes]}

    def human() -> None:
        for outcome in outcomes:
            mark = "[green]repaired[/]" if outcome.repaired else "[yellow]not repaired[/]"
            console.print(f"{mark} {outcome.finding.check}: {outcome.action}")
        table = Table("severity", "check", "ids", "message", title="Reconciliation")
        for f in report.findings:
            ids = ", ".join(f"{k}={v[:14]}" for k, v in f.ids.items())
            table.add_row(f.severity.label, f.check, ids, f.message)
        if report.findings:
            console.print(table)
        console.print(
            f"{'clean' if report.clean else 'DIVERGENT'}: {len(report.findings)} findings "
            f"in {report.seconds:.2f}s"
        )

    Output.show(data, human)
    if not report.clean:
        fail(f"{len(report.findings)} divergences remain", EXIT_DIVERGED)
