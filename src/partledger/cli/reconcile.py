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
from partledger.cli.format import err
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


KEPT_BY_A_REPLICA = (
    "a service replica writes this shared index (it holds the index-writer lock): "
    "this command reads it as that replica keeps it"
)


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


def read_documents(indexer: Indexer, ledger: Ledger) -> Indexer:
    """Let a sync ingest the batch documents and footprints from the ledger's blob store."""
    store = ledger.store
    indexer.documents = lambda blob: read_batch_document(store, blob)
    indexer.footprints = footprint_reader(store, parse_print_evidence)
    return indexer


@contextmanager
def index_writer(indexer: Indexer) -> Iterator[bool]:
    """Whether this command may write the index. An index on SQLite is the data directory's
    own: always. A PostgreSQL index may be shared by service replicas, which elect one
    writer with an advisory lock: the command writes only if it takes that lock (held, and
    fencing every commit, until it ends), otherwise it must only read."""
    if indexer.engine.dialect.name != "postgresql":
        yield True
        return
    from partledger.api.services.leader import INDEX_LOCK_KEY, Leadership

    lock = Leadership(indexer.engine, key=INDEX_LOCK_KEY, holder="this command (index writer)")
    lock.renew()  # one attempt: a replica holding the lock keeps it while it lives
    try:
        if lock.is_leader:
            epoch = lock.epoch
            indexer.fence = lambda: lock.fence(epoch)
        yield lock.is_leader
    finally:
        lock.stop()


@contextmanager
def ledger_and_index() -> Iterator[tuple[Ledger, Indexer, bool]]:
    """The ledger, its index and whether this command may write it, errors reported."""
    with (
        open_ledger() as ledger,
        guarded(),
        open_indexer(ledger) as indexer,
        index_writer(indexer) as writing,
    ):
        yield ledger, indexer, writing


@contextmanager
def synced_index(ledger: Ledger) -> Iterator[IndexReader]:
    """The index, first brought up to the chain head unless a service replica keeps it
    (what the list commands read)."""
    with open_indexer(ledger) as indexer, index_writer(indexer) as writing:
        if writing:
            read_documents(indexer, ledger).sync_once()
        else:
            err.print(f"[dim]{KEPT_BY_A_REPLICA}[/]")
        yield IndexReader(indexer.engine)


@index_app.command("sync")
def sync() -> None:
    """Bring the index up to the chain head (handling reorgs), with the anchored leaves of the
    batch documents in the blob store (missing ones are tried again on the next sync). On a
    PostgreSQL index that a service replica writes, nothing is written: it says so."""
    with ledger_and_index() as (ledger, indexer, writing):
        if not writing:
            state = indexer.state()
            last = state.last_block if state else None
            kept = {"writer": "service-replica", "last_block": last}
            Output.show(kept, lambda: console.print(
                f"{KEPT_BY_A_REPLICA}; it is at block {last}: nothing synced"
            ))  # fmt: skip
            return
        report = read_documents(indexer, ledger).sync_once()
    docs = report.documents
    documents = {k: getattr(docs, k, 0) for k in ("ingested", "missing", "invalid", "leaves")}
    data = {"writer": "this command", "last_block": report.last_block, "logs": report.logs,
            "reorg": bool(report.reorg), "documents": documents}  # fmt: skip
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
    with ledger_and_index() as (ledger, indexer, writing):
        if not writing:
            err.print(f"[dim]{KEPT_BY_A_REPLICA}: index divergences are reported only[/]")
        reconciler = Reconciler(
            ledger,
            indexer,
            quarantine_dir=Settings().data_dir / "quarantine",
            options=options,
            index_kept_by=None if writing else "a service replica (the index-writer lock)",
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
