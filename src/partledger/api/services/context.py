"""Everything one service instance holds: ledger, databases, services, background workers."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from partledger.api.services.access_log import AccessLog
from partledger.api.services.audit import AuditService
from partledger.api.services.auth import AuthService, load_secret
from partledger.api.services.db import open_service_database
from partledger.api.services.leader import INDEX_LOCK_KEY, Leadership, LeadershipLost
from partledger.api.services.ledger import LedgerService
from partledger.api.services.metrics import Metrics
from partledger.api.services.ratelimit import RateLimiter
from partledger.api.services.reconciliation import ReconciliationService
from partledger.api.services.relayer import Relayer
from partledger.chain.local import dev_account
from partledger.chain.tx import TxSender
from partledger.config import Settings
from partledger.crypto import Identity
from partledger.errors import ConfigError
from partledger.index import Indexer, IndexerConfig, IndexReader, open_database
from partledger.index.footprints import footprint_reader
from partledger.runtime import Runtime, blob_store
from partledger.sdk import Ledger
from partledger.sdk.batches import read_batch_document
from partledger.sdk.print_evidence import parse_print_evidence

log = logging.getLogger("partledger.api")
DEV_CHAIN_IDS = (31337, 1337)


def anchor_account(settings: Settings, chain_id: int) -> LocalAccount | None:
    """The account anchoring the access log: configured key, anvil account 8 locally, or none."""
    if settings.anchor_key:
        configured: LocalAccount = Account.from_key(settings.anchor_key)
        return configured
    if chain_id not in DEV_CHAIN_IDS:
        return None
    return dev_account(8)


def relayer_account(settings: Settings, chain_id: int) -> LocalAccount:
    """The relaying account: configured key, or anvil's dev account 9 on a local chain."""
    if settings.relayer_key:
        configured: LocalAccount = Account.from_key(settings.relayer_key)
        return configured
    if chain_id not in DEV_CHAIN_IDS:
        raise ConfigError("PARTLEDGER_RELAYER_KEY is required to relay prints on this chain")
    return dev_account(9)


def _token_secret(settings: Settings) -> bytes:
    """The token key; replicas sharing a data directory may race to create the key file."""
    path = settings.data_dir / "api" / "token.key"
    for _ in range(50):
        try:
            secret = load_secret(settings.api_token_secret, path)
        except FileExistsError:  # another replica is creating it right now
            secret = b""
        if secret:
            return secret
        time.sleep(0.1)  # created but not yet written
    raise ConfigError(f"the token key file {path} stays empty")


@dataclass
class ServiceContext:
    settings: Settings
    runtime: Runtime
    ledger: Ledger
    engine: Engine
    auth: AuthService
    access: AccessLog
    chain: LedgerService
    relayer: Relayer
    audit: AuditService
    metrics: Metrics
    limiter: RateLimiter
    index: IndexReader | None
    index_engine: Engine | None
    reconciliation: ReconciliationService
    leadership: Leadership
    indexer: Indexer | None = None
    index_writer: Leadership | None = None
    """Who writes the index (PostgreSQL: the holder of the index lock; SQLite: this replica)."""
    _index_epoch: int = 0
    anchor_sender: TxSender | None = None
    anchor_account: LocalAccount | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        *,
        custodians: Sequence[Identity] = (),
        relayer: LocalAccount | None = None,
    ) -> ServiceContext:
        settings = runtime.settings
        ledger = Ledger.open(
            runtime.w3, runtime.deployment, settings.data_dir, store=blob_store(settings),
            confirmations=0,
        )  # fmt: skip
        engine = open_service_database(settings.service_sqlalchemy_url)
        chain_id = int(runtime.deployment.chain_id)
        metrics = Metrics()
        leadership = Leadership(
            engine, on_change=lambda leader: metrics.relayer_leader.set(1 if leader else 0)
        )
        if leadership.shared and not settings.api_token_secret:
            log.warning(
                "service database on PostgreSQL without PARTLEDGER_API_TOKEN_SECRET: replicas "
                "accept each other's tokens only if they share %s (a shared data directory)",
                settings.data_dir / "api" / "token.key",
            )
        index_engine = open_database(settings.sqlalchemy_url) if settings.api_indexer else None
        index = IndexReader(index_engine) if index_engine is not None else None
        auth = AuthService(
            engine,
            ledger,
            _token_secret(settings),
            chain_id=chain_id,
            token_ttl=settings.api_token_ttl,
            nonce_ttl=settings.api_nonce_ttl,
            role_cache_seconds=settings.api_role_cache_seconds,
            domain=settings.api_siwe_domain,
            origins=settings.api_siwe_origins,
        )
        if (
            settings.api_origin is None
            and settings.api_domain is None
            and settings.api_host
            in (
                "0.0.0.0",  # noqa: S104 (a check, not a bind)
                "::",
            )
        ):
            log.warning(
                "PARTLEDGER_API_HOST is a wildcard address: sign-in messages must name %s; set "
                "PARTLEDGER_API_ORIGIN to the origin clients use",
                settings.api_siwe_domain,
            )
        finality = settings.relay_finality_blocks
        if finality is None:
            finality = 0 if chain_id in DEV_CHAIN_IDS else 12
        return cls(
            settings=settings,
            runtime=runtime,
            ledger=ledger,
            engine=engine,
            auth=auth,
            access=AccessLog(engine),
            chain=LedgerService(ledger, index, custodians),
            relayer=Relayer(
                engine,
                ledger,
                relayer or relayer_account(settings, chain_id),
                batch_size=settings.relay_batch_size,
                window=settings.relay_window_ms / 1000,
                finality=finality,
                metrics=metrics,
                leadership=leadership,
            ),
            audit=AuditService(ledger, index),
            metrics=metrics,
            limiter=RateLimiter(settings.api_rate_per_second, settings.api_rate_burst),
            index=index,
            index_engine=index_engine,
            reconciliation=ReconciliationService(
                ledger, settings.sqlalchemy_url, settings.data_dir / "quarantine", metrics
            ),
            leadership=leadership,
        )

    # -- background work --------------------------------------------------------------------
    def start(self) -> None:
        self.purge_leftovers()
        self.leadership.start()
        self.relayer.start()
        self._spawn("pl-head", self._watch_head)
        self.anchor_account = anchor_account(self.settings, int(self.ledger.deployment.chain_id))
        if self.anchor_account is not None and self.settings.api_anchor_seconds > 0:
            self._spawn("pl-anchor", self._anchor_access_log)
        else:
            log.warning("access-log anchoring is off (no PARTLEDGER_ANCHOR_KEY on this chain)")
        if self.index_engine is not None:
            rpc_url = str(getattr(self.ledger.w3.provider, "endpoint_uri", ""))
            config = IndexerConfig.from_deployment(
                self.ledger.deployment, rpc_url, self.settings.sqlalchemy_url, poll_interval=0.5
            )
            store = self.ledger.store
            writer = self.index_writer = Leadership(self.index_engine, key=INDEX_LOCK_KEY)
            self.indexer = Indexer(
                config,
                engine=self.index_engine,
                documents=lambda blob: read_batch_document(store, blob),
                footprints=footprint_reader(store, parse_print_evidence),
                fence=lambda: writer.fence(self._index_epoch),
            )
            writer.start()
            self._spawn("pl-indexer", self._run_indexer)

    def purge_leftovers(self) -> None:
        """Remove what a killed upload left: spooled plaintext and unfinished blob temp files
        (a blob becomes visible only by an atomic rename, so none is ever partial)."""
        spool = self.settings.data_dir / "api" / "spool"
        if spool.is_dir():
            for leftover in spool.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)
        purge = getattr(self.ledger.store, "purge_temp", None)
        if purge is not None:
            purge(older_than_seconds=0.0)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run_indexer(self) -> None:
        """Write the index while this replica holds the index lock; read it otherwise."""
        assert self.indexer is not None and self.index_writer is not None
        writer = self.index_writer
        while not self._stop.is_set():
            if not writer.is_leader:  # a reader: the writer keeps the shared index
                self._stop.wait(writer.poll / 2)
                continue
            self._index_epoch = writer.epoch
            try:
                self.indexer.run(self._stop)
            except LeadershipLost:
                log.warning("this replica no longer writes the index")
            except Exception:
                log.exception("indexer stopped with an error; restarting in 2s")
                self._stop.wait(2.0)

    @property
    def index_role(self) -> str:
        """``writer`` if this replica writes the index, ``reader`` if it only reads the index
        another replica writes, ``off`` without an indexer."""
        if self.index_writer is None:
            return "off"
        return "writer" if self.index_writer.is_leader else "reader"

    def anchoring(self) -> TxSender | None:
        """The sender anchoring the access log (made on first use: the chain may be away)."""
        if self.anchor_sender is None and self.anchor_account is not None:
            self.anchor_sender = TxSender(self.ledger.w3, self.anchor_account)
        return self.anchor_sender

    def _anchor_access_log(self) -> None:
        while not self._stop.wait(self.settings.api_anchor_seconds):
            try:
                sender = self.anchoring() if self.leadership.is_leader else None
                if sender is not None:  # one anchor writer: the leader
                    self.access.anchor(sender)
            except Exception as exc:  # the chain may be away; the next round retries
                log.warning("access-log anchoring failed: %s", type(exc).__name__)

    def _watch_head(self) -> None:
        while not self._stop.is_set():
            try:
                head = int(self.ledger.w3.eth.block_number)
                self.audit.head = head
                self.relayer.head = max(self.relayer.head, head)
                status = self.index.status() if self.index is not None else None
                if status is not None:
                    self.metrics.indexer_lag.set(max(0, head - status.last_block))
            except Exception as exc:  # the chain may be briefly away; /ready reports it
                log.debug("head poll failed: %s", type(exc).__name__)
            self._stop.wait(0.25)

    def indexer_lag(self) -> int | None:
        if self.index is None:
            return None
        status = self.index.status()
        if status is None:
            return None
        return max(0, int(self.ledger.w3.eth.block_number) - status.last_block)

    def close(self) -> None:
        self._stop.set()
        self.relayer.stop()
        self.leadership.stop()
        for thread in self._threads:
            thread.join(timeout=10)
        if self.index_writer is not None:
            self.index_writer.stop()
        if self.indexer is not None:
            self.indexer.close()
        self.ledger.journal.close()
        self.engine.dispose()
