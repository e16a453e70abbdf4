"""The indexer: follow the ledger contracts from their deployment block into SQL.

``Indexer.sync_once()`` checks the stored head against the chain (rolling back a
reorg to the common ancestor), then ingests every block up to the chain head in
adaptive ranges; ``Indexer.run(stop_event)`` repeats that until told to stop,
riding out an unreachable node. Blocks deeper than ``confirmations`` below the head
are final, the others tentative (``safe_block`` in the checkpoint tells which).

Several writers (service replicas sharing one PostgreSQL index): every checkpoint-moving
transaction (a range, a reorg rollback, the head update) first locks the checkpoint row and
checks it still holds the block and hash this sync started from (compare-and-swap), so a
writer that fell behind (paused, or racing another) aborts with :class:`CheckpointMoved`
instead of writing rows above another writer's checkpoint; ``fence`` (optional) is asked
before each sync and immediately before each such transaction commits (the service checks
its index-writer leadership there). Event rows are upserts keyed by chain position, batch
documents and footprints are rewritten only under the anchor's/print's current block hash:
re-ingesting by a second writer changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import URL

from partledger.index import schema
from partledger.index.db import open_database
from partledger.index.decode import LogDecoder
from partledger.index.documents import DocumentReader, DocumentsReport, ingest_batch_documents
from partledger.index.errors import IndexerError, IndexMismatch, ReorgTooDeep, RpcUnavailable
from partledger.index.fetch import AdaptiveSpan, FetchedRange, fetch_ranges, prefetch
from partledger.index.footprints import FootprintReader, FootprintsReport, ingest_footprints
from partledger.index.rpc import JsonRpc
from partledger.index.store import STATE_ID, Store, SyncState

if TYPE_CHECKING:
    from partledger.chain.deployer import Deployment

log = logging.getLogger(__name__)

ABI = Sequence[Mapping[str, Any]]
Fence = Callable[[], None]
"""Raises if this indexer may no longer write (e.g. its replica lost the index leadership)."""
WRITE_IDLE_TIMEOUT_MS = 10_000
"""PostgreSQL: a writer stalled inside a write transaction (paused process) loses its session
after this long, which releases the checkpoint row lock for the next writer."""


class CheckpointMoved(IndexerError):
    """Another writer moved the checkpoint since this sync read it: nothing was written."""


def ledger_abis(names: Sequence[str]) -> list[list[dict[str, Any]]]:
    """The ABIs of the named contracts from the shipped artifacts."""
    from partledger.chain.artifacts import load_artifact

    return [load_artifact(name).abi for name in names]


@dataclass(frozen=True)
class IndexerConfig:
    """Where to read, where to write, and how."""

    rpc_url: str
    database_url: str | URL | Path
    contracts: Mapping[str, str]
    """Contract name → address of every followed contract."""
    start_block: int
    abis: Sequence[ABI] | None = None
    """Event ABIs; default: the artifacts named in ``contracts``."""
    confirmations: int = 0
    reorg_window: int = 128
    """How many recent block hashes are kept to find a common ancestor (at least
    ``confirmations + 1``)."""
    initial_span: int = 100
    max_span: int = 100_000
    target_logs: int = 10_000
    prefetch: bool = True
    poll_interval: float = 1.0
    rpc_timeout: float = 30.0
    document_retry_seconds: float = 10.0
    """How often batch documents that were missing are read again (new anchors' documents are
    read on the sync that indexes them; the first sync of an ``Indexer`` retries them all).
    Missing print evidence (footprints) is retried on the same schedule."""
    footprint_batch: int = 500
    """At most this many prints' evidence blobs are read per sync (the rest on later syncs)."""

    @classmethod
    def from_deployment(
        cls,
        deployment: Deployment,
        rpc_url: str,
        database_url: str | URL | Path,
        **options: Any,
    ) -> IndexerConfig:
        """Follow every contract of a deployment record from its first block."""
        contracts = {name: c.address for name, c in deployment.contracts.items()}
        return cls(rpc_url, database_url, contracts, deployment.start_block, **options)


@dataclass(frozen=True)
class Reorg:
    """A reorganisation found and rolled back by one sync."""

    stored_head: int
    ancestor: int
    removed: Mapping[str, int]

    @property
    def depth(self) -> int:
        return self.stored_head - self.ancestor


@dataclass
class SyncReport:
    """What one ``sync_once`` did."""

    chain_head: int = 0
    safe_block: int = 0
    first_block: int | None = None
    last_block: int = 0
    ranges: int = 0
    logs: int = 0
    rows: int = 0
    reorg: Reorg | None = None
    interrupted: bool = False
    documents: DocumentsReport | None = None
    """What the batch-document ingestion did (``None``: no reader, or nothing to do)."""
    footprints: FootprintsReport | None = None
    """What the footprint ingestion did (``None``: no reader, or nothing to do)."""
    timings: dict[str, float] = field(
        default_factory=lambda: {"fetch": 0.0, "decode": 0.0, "insert": 0.0}
    )


class Indexer:
    """Mirror every ledger event into the index database."""

    def __init__(
        self,
        config: IndexerConfig,
        *,
        engine: Engine | None = None,
        documents: DocumentReader | None = None,
        footprints: FootprintReader | None = None,
        fence: Fence | None = None,
    ) -> None:
        """``documents`` reads an anchored batch's published document by its blob id (e.g.
        ``lambda blob: read_batch_document(store, blob)``): with it, every sync also stores
        the anchored leaves (``partledger.index.documents``). ``footprints`` reads the prints'
        evidence blobs (``footprint_reader(store, parse_print_evidence)``): with it, every sync
        also stores the prints' carbon footprints (``partledger.index.footprints``). ``fence`` is
        called before each sync and immediately before each of its write transactions commits;
        whatever it raises aborts the transaction and ends the sync."""
        self.config = config
        self.fence = fence
        self.documents = documents
        self._documents_retried_at: float | None = None
        self.footprints = footprints
        self._footprints_retried_at: float | None = None
        self._footprints_backlog = False
        self.addresses = tuple(sorted(a.lower() for a in config.contracts.values()))
        abis = config.abis if config.abis is not None else ledger_abis(list(config.contracts))
        self.decoder = LogDecoder(abis)
        self.rpc = JsonRpc(config.rpc_url, timeout=config.rpc_timeout)
        self.engine = engine if engine is not None else open_database(config.database_url)
        self.store = Store(self.engine.dialect.name)
        self.span = AdaptiveSpan(
            span=config.initial_span, max_span=config.max_span, target_logs=config.target_logs
        )
        self._chain_id: int | None = None

    @property
    def window(self) -> int:
        """Recent blocks whose hashes are kept: the reorg window, covering the tentative ones."""
        return max(self.config.reorg_window, self.config.confirmations + 1)

    def close(self) -> None:
        self.rpc.close()
        self.engine.dispose()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- state ---------------------------------------------------------------------------
    def state(self) -> SyncState | None:
        """The checkpoint as stored (``None`` before the first sync)."""
        with self.engine.connect() as conn:
            return self.store.load_state(conn)

    def _ensure_state(self) -> SyncState:
        if self._chain_id is None:
            self._chain_id = self.rpc.chain_id()
        with self._writing(None) as conn:
            state = self.store.load_state(conn)
            if state is None:
                state = SyncState(
                    chain_id=self._chain_id,
                    contracts=self.addresses,
                    start_block=self.config.start_block,
                    last_block=self.config.start_block - 1,
                    last_hash=None,
                    chain_head=0,
                    safe_block=-1,
                    confirmations=self.config.confirmations,
                    reorgs=0,
                    updated_at=0,
                )
                self.store.init_state(conn, state)
                return state
        if state.chain_id != self._chain_id:
            raise IndexMismatch(
                f"the index holds chain id {state.chain_id}, the node serves {self._chain_id}"
            )
        if state.contracts != self.addresses or state.start_block != self.config.start_block:
            raise IndexMismatch(
                f"the index follows {list(state.contracts)} from block {state.start_block}, "
                f"not {list(self.addresses)} from block {self.config.start_block}; "
                "use a fresh database"
            )
        return state

    # -- reorgs --------------------------------------------------------------------------
    def _check_reorg(self, state: SyncState, head: int) -> tuple[SyncState, Reorg | None]:
        if state.last_hash is None or state.last_block < state.start_block:
            return state, None
        if head >= state.last_block:
            chain = self.rpc.headers([state.last_block]).get(state.last_block)
            if chain is not None and chain.hash == state.last_hash:
                return state, None
        with self.engine.connect() as conn:
            stored = self.store.stored_headers(conn, min(state.last_block, head))
        ancestor: int | None = None
        if stored:
            chain_headers = self.rpc.headers([n for n, _ in stored])
            for number, stored_hash in stored:
                found = chain_headers.get(number)
                if found is not None and found.hash == stored_hash:
                    ancestor = number
                    break
        if ancestor is None:
            lowest = stored[-1][0] if stored else state.last_block
            if lowest > state.start_block and state.last_block >= state.start_block:
                raise ReorgTooDeep(
                    f"the chain no longer holds any of the {len(stored)} block hashes the index "
                    f"kept (blocks {lowest}..{state.last_block}); rebuild the index or raise "
                    "reorg_window"
                )
            ancestor = state.start_block - 1
        with self._writing(state) as conn:
            removed = self.store.rollback_above(conn, ancestor)
            kept = dict(self.store.stored_headers(conn, ancestor))
            new_state = replace(
                state,
                last_block=ancestor,
                last_hash=kept.get(ancestor),
                safe_block=min(state.safe_block, ancestor),
                reorgs=state.reorgs + 1,
            )
            self.store.save_state(conn, new_state)
        reorg = Reorg(stored_head=state.last_block, ancestor=ancestor, removed=removed)
        log.warning("reorg: rolled back blocks %d..%d", ancestor + 1, state.last_block)
        return new_state, reorg

    # -- ingest --------------------------------------------------------------------------
    def _ranges(self, first: int, last: int, head: int) -> Iterator[FetchedRange]:
        header_from = head - self.window + 1
        addresses = list(self.addresses)
        if not self.config.prefetch:
            yield from fetch_ranges(self.rpc, addresses, first, last, self.span, header_from)
            return
        url, timeout = self.config.rpc_url, self.config.rpc_timeout

        def make(stop: threading.Event) -> Iterator[FetchedRange]:
            rpc = JsonRpc(url, timeout=timeout)
            try:
                yield from fetch_ranges(rpc, addresses, first, last, self.span, header_from, stop)
            finally:
                rpc.close()

        yield from prefetch(make)

    def sync_once(
        self, *, max_blocks: int | None = None, stop: threading.Event | None = None
    ) -> SyncReport:
        """Check for a reorg, then ingest up to the chain head (or ``max_blocks`` blocks)."""
        report = SyncReport()
        self._fenced()
        state = self._ensure_state()
        head = self.rpc.block_number()
        report.chain_head = head
        state, report.reorg = self._check_reorg(state, head)
        safe = head - self.config.confirmations
        report.safe_block = safe
        last = head if max_blocks is None else min(head, state.last_block + max_blocks)
        report.last_block = state.last_block
        if last <= state.last_block:
            self._save_head(state, head, safe)
            report.documents = self.ingest_documents(new_rows=report.reorg is not None)
            report.footprints = self.ingest_footprints(new_rows=bool(report.documents))
            return report
        report.first_block = state.last_block + 1
        timings = report.timings
        t_fetch = time.perf_counter()
        for fetched in self._ranges(state.last_block + 1, last, head):
            t0 = time.perf_counter()
            timings["fetch"] += t0 - t_fetch
            logs = fetched.logs()
            if not self._consistent(fetched, logs):
                report.interrupted = True  # a reorg happened while fetching: next sync sees it
                break
            rows = self.decoder.decode(logs, {n: h.timestamp for n, h in fetched.headers.items()})
            t1 = time.perf_counter()
            timings["decode"] += t1 - t0
            with self._writing(state) as conn:
                report.rows += self.store.insert_rows(conn, rows)
                self.store.save_headers(conn, fetched.headers.values())
                self.store.prune_headers(conn, below=head - self.window + 1, keep=fetched.last)
                state = replace(
                    state,
                    last_block=fetched.last,
                    last_hash=fetched.headers[fetched.last].hash,
                    chain_head=head,
                    safe_block=safe,
                    confirmations=self.config.confirmations,
                )
                self.store.save_state(conn, state)
            t_fetch = time.perf_counter()
            timings["insert"] += t_fetch - t1
            report.ranges += 1
            report.logs += len(logs)
            report.last_block = fetched.last
            if stop is not None and stop.is_set():
                report.interrupted = True
                break
        self._fenced()
        report.documents = self.ingest_documents(new_rows=report.rows > 0)
        leaves = report.documents is not None and report.documents.leaves > 0
        report.footprints = self.ingest_footprints(new_rows=report.rows > 0 or leaves)
        return report

    def ingest_documents(self, *, new_rows: bool = True) -> DocumentsReport | None:
        """Store the leaves of anchors whose batch document was not read yet (and, every
        ``document_retry_seconds``, of those whose document was missing); ``None`` without a
        reader or when nothing could have changed."""
        if self.documents is None:
            return None
        now = time.monotonic()
        last = self._documents_retried_at
        retry = last is None or now - last >= self.config.document_retry_seconds
        if not (new_rows or retry):
            return None
        report = ingest_batch_documents(self.engine, self.documents, retry_missing=retry)
        if retry:
            self._documents_retried_at = now
        return report

    def ingest_footprints(self, *, new_rows: bool = True) -> FootprintsReport | None:
        """Store the footprints of up to ``footprint_batch`` prints whose evidence was not read
        yet (and, every ``document_retry_seconds``, of those whose evidence was missing);
        ``None`` without a reader or when nothing could have changed."""
        if self.footprints is None:
            return None
        now = time.monotonic()
        last = self._footprints_retried_at
        retry = last is None or now - last >= self.config.document_retry_seconds
        if not (new_rows or retry or self._footprints_backlog):
            return None
        report = ingest_footprints(
            self.engine, self.footprints, retry_missing=retry, limit=self.config.footprint_batch
        )
        self._footprints_backlog = report.more
        if retry:
            self._footprints_retried_at = now
        return report

    # -- writing -------------------------------------------------------------------------
    def _fenced(self) -> None:
        if self.fence is not None:
            self.fence()

    @contextmanager
    def _writing(self, expect: SyncState | None) -> Iterator[Connection]:
        """One write transaction: the checkpoint must still be ``expect``'s (its row stays
        locked until commit), and the fence is asked right before the commit."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(
                    text(f"SET LOCAL idle_in_transaction_session_timeout = {WRITE_IDLE_TIMEOUT_MS}")
                )
            if expect is not None:
                c = schema.sync_state.c
                row = conn.execute(
                    select(c.last_block, c.last_hash).where(c.id == STATE_ID).with_for_update()
                ).one_or_none()
                stored = None if row is None else (int(row[0]), row[1] and bytes(row[1]))
                if stored != (expect.last_block, expect.last_hash):
                    raise CheckpointMoved(
                        f"the checkpoint moved from block {expect.last_block} to "
                        f"{None if stored is None else stored[0]} under this sync"
                    )
            yield conn
            self._fenced()

    @staticmethod
    def _consistent(fetched: FetchedRange, logs: list[Any]) -> bool:
        """Whether every log of a block whose header was fetched carries that block's hash."""
        if fetched.last not in fetched.headers:
            return False
        lowest = min(fetched.headers)
        expected = {n: "0x" + h.hash.hex() for n, h in fetched.headers.items()}
        for entry in reversed(logs):  # logs come in block order: the checked ones are last
            number = int(entry["blockNumber"], 16)
            if number < lowest:
                break
            block_hash = expected.get(number)
            if block_hash is not None and block_hash != entry["blockHash"].lower():
                return False
        return True

    def _save_head(self, state: SyncState, head: int, safe: int) -> None:
        if state.chain_head == head and state.safe_block == safe:
            return
        with self._writing(state) as conn:
            self.store.save_state(conn, replace(state, chain_head=head, safe_block=safe))

    def run(
        self,
        stop: threading.Event,
        *,
        on_sync: Callable[[SyncReport], None] | None = None,
        max_backoff: float = 30.0,
    ) -> None:
        """Sync until ``stop`` is set; an unreachable node is retried with backoff."""
        backoff = self.config.poll_interval
        while not stop.is_set():
            try:
                report = self.sync_once(stop=stop)
            except RpcUnavailable as exc:
                log.warning("indexer: node unavailable (%s); retrying in %.1fs", exc, backoff)
                stop.wait(backoff)
                backoff = min(max_backoff, backoff * 2)
                continue
            except CheckpointMoved as exc:  # another writer got there first: read it again
                log.info("indexer: %s; syncing again", exc)
                continue
            except IndexerError:
                raise
            backoff = self.config.poll_interval
            if on_sync is not None:
                on_sync(report)
            if report.first_block is None and not report.interrupted:
                stop.wait(self.config.poll_interval)
