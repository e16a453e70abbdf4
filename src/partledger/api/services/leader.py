"""Leader election among service replicas: exactly one runs the relayer and the anchor writer.

On PostgreSQL the leader is the replica whose dedicated connection holds a session
advisory lock (``pg_try_advisory_lock``). The lock lives exactly as long as that
connection:

- a SIGKILLed (or crashed) leader's socket is closed by the kernel, the server ends its
  session and the lock is free at once; a standby polling every ``poll`` seconds takes
  over within about that long;
- a leader that is paused (SIGSTOP, a stalled VM) or cut off stops renewing; the server
  ends its idle session after ``ttl`` seconds (``idle_session_timeout``, with TCP
  keepalives for a vanished host), which frees the lock for a standby.

Fencing: every acquisition gets a new local ``epoch``. The relayer takes the epoch when it
starts a batch and calls :meth:`Leadership.confirm` immediately before it persists and
before it broadcasts: that runs a query on the lock's own connection (``pg_locks``), so a
leader whose session was ended (paused past the TTL, partitioned) learns it is no longer
leader before it sends anything, and steps down. The chain's nonce is the last fence: a
new leader re-reads the relaying account's pending nonce and the highest nonce the shared
queue records, so an old leader's late transaction and the new leader's can never both
be mined with the same nonce, and rows whose nonce was spent by another transaction are
requeued by the relayer's stale-transaction recovery.

On SQLite (one process per data directory) the replica is always the leader.

The index writer is elected the same way, with a second lock (:data:`INDEX_LOCK_KEY`) taken
in the index database itself (``PARTLEDGER_DATABASE_URL``, which may differ from the service
database; advisory locks are per database): among the replicas with the indexer on, exactly
one writes a shared PostgreSQL index; the others read it. An index on SQLite is the
replica's own: it always writes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger("partledger.leader")

LOCK_KEY = 0x504C524C  # "PLRL": the relayer/anchor-writer leadership (fits objid, classid 0)
INDEX_LOCK_KEY = 0x504C4958  # "PLIX": the index writer, taken in the index database
POLL_SECONDS = 0.5
TTL_SECONDS = 4.0


class LeadershipLost(Exception):
    """This replica no longer holds the leadership a step began under."""


class Leadership:
    """Whether this replica is the leader; renewed by a background thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        key: int = LOCK_KEY,
        poll: float = POLL_SECONDS,
        ttl: float = TTL_SECONDS,
        on_change: Callable[[bool], None] | None = None,
        holder: str = "this replica",
    ) -> None:
        self.holder = holder  # who holds it, in log messages
        self.shared = engine.dialect.name == "postgresql"
        self.key = key
        self.poll = poll
        self.ttl = ttl
        self.on_change = on_change
        self.epoch = 0
        self._leader = not self.shared
        self._conn: Connection | None = None
        self._engine: Engine | None = None
        if self.shared:
            # a pool of its own (none): the lock must never go back to a shared pool
            self._engine = create_engine(
                engine.url,
                poolclass=NullPool,
                connect_args={
                    "keepalives": 1,
                    "keepalives_idle": 2,
                    "keepalives_interval": 1,
                    "keepalives_count": 2,
                    "connect_timeout": 3,
                },
            )
        else:
            self.epoch = 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state ------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def state(self) -> str:
        return "leader" if self._leader else "standby"

    def confirm(self, epoch: int) -> bool:
        """Still the leader of ``epoch``? Asks the server on the lock's connection."""
        if not self.shared:
            return self._leader
        with self._lock:
            if not self._leader or self.epoch != epoch:
                return False
            if self._holds():
                return True
            self._lose("the leadership lock is no longer held")
            return False

    def fence(self, epoch: int) -> None:
        """Raise :class:`LeadershipLost` unless still the leader of ``epoch`` (:meth:`confirm`)."""
        if not self.confirm(epoch):
            raise LeadershipLost(f"no longer the leader of epoch {epoch}")

    # -- the renewing thread ---------------------------------------------------------------
    def start(self) -> None:
        if not self.shared:
            self._notify(True)
            return
        self.renew()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pl-leader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            if self._leader and self.shared:
                self._lose("stopping")
            self._close()
        if self._engine is not None:
            self._engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            self.renew()

    def renew(self) -> None:
        """Take the lock if free, or check it is still ours (this keeps the session busy)."""
        with self._lock:
            if self._leader:
                if not self._holds():
                    self._lose("the leadership lock is no longer held")
                return
            try:
                conn = self._connection()
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
                )
            except Exception as exc:
                log.warning("leader election: database unreachable: %s", type(exc).__name__)
                self._close()
                return
            if got:
                self.epoch += 1
                self._leader = True
                log.warning("%s is now the leader (epoch %d)", self.holder, self.epoch)
                self._notify(True)

    # -- internals (called with self._lock held) --------------------------------------------
    def _connection(self) -> Connection:
        if self._conn is None:
            assert self._engine is not None
            conn = self._engine.connect()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            ms = max(1000, int(self.ttl * 1000))
            # a paused or cut-off leader's session ends after ``ttl`` idle: the lock with it
            conn.execute(text(f"SET idle_session_timeout = {ms}"))
            conn.execute(text(f"SET statement_timeout = {ms}"))
            self._conn = conn
        return self._conn

    def _holds(self) -> bool:
        try:
            conn = self._connection()
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND classid = 0 AND objid = :k "
                    "AND objsubid = 1 AND granted"
                ),
                {"k": self.key},
            ).scalar()
            return bool(held)
        except Exception as exc:
            log.warning("leader check failed: %s", type(exc).__name__)
            self._close()
            return False

    def _lose(self, why: str) -> None:
        self._leader = False
        self.epoch += 1
        log.warning("%s is no longer the leader: %s", self.holder, why)
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            except Exception:
                self._close()
        self._notify(False)

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception as exc:
                log.debug("closing the leadership connection: %s", type(exc).__name__)
            self._conn = None

    def _notify(self, leader: bool) -> None:
        if self.on_change is not None:
            try:
                self.on_change(leader)
            except Exception:
                log.exception("leadership change handler failed")
