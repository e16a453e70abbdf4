"""Read the index: provenance by serial, licences by hub, prints by licence and period, ...

Every record carries its chain position and ``confirmed``: whether its block is at or
below the index's ``safe_block`` (chain head minus the confirmation depth at the last
sync). Tentative records (``confirmed=False``) may still disappear in a reorg.

Ids and hashes are accepted as ``bytes`` or ``0x`` hex and returned as ``0x`` hex.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

HexOrBytes = bytes | str


def to_bytes(value: HexOrBytes, size: int | None = None) -> bytes:
    """``bytes`` from ``0x`` hex (or bytes), checking the length when given."""
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if size is not None and len(raw) != size:
        raise ValueError(f"expected {size} bytes, got {len(raw)}")
    return raw


def hub_subject(hub: HexOrBytes) -> bytes:
    """A hub's qualification subject: ``bytes32(uint256(uint160(hub)))``."""
    return bytes(12) + to_bytes(hub, 20)


def serial_hash(serial_number: str) -> bytes:
    """The on-chain serial: keccak256 of the UTF-8 serial number."""
    return keccak(serial_number.encode("utf-8"))


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def _h(value: bytes) -> str:
    return "0x" + bytes(value).hex()


@dataclass(frozen=True)
class ChainPosition:
    """Where on chain a record's log is."""

    block_number: int
    log_index: int
    block_hash: str
    block_time: int
    tx_hash: str
    contract: str
    confirmed: bool


@dataclass(frozen=True)
class IndexStatus:
    chain_id: int
    start_block: int
    last_block: int
    chain_head: int
    safe_block: int
    confirmations: int
    reorgs: int
    updated_at: int


@dataclass(frozen=True)
class PrintRecord:
    licence_id: str
    design_id: str
    serial: str
    hub: str
    machine_id: str
    material_lot_hash: str
    quality_report_hash: str
    position: ChainPosition
    kind: str = "direct"
    """``direct`` (a ``PrintAttested`` log) or ``anchored`` (a leaf of an anchored batch)."""
    leaf_index: int | None = None
    """The leaf's index in its anchored batch (``None`` for a direct attestation)."""


@dataclass(frozen=True)
class InvalidationRecord:
    invalidated_by: str
    reason_hash: str
    refunded: bool
    position: ChainPosition


@dataclass(frozen=True)
class AnchoredPrintRecord:
    """One leaf of an anchored batch, read from its published batch document."""

    root: str
    leaf_index: int
    licence_id: str
    design_id: str
    serial: str
    hub: str
    machine_id: str
    material_lot_hash: str
    quality_report_hash: str
    position: ChainPosition
    """The ``BatchAnchored`` log's position."""


@dataclass(frozen=True)
class BatchDocumentStatus:
    """What became of an anchor's batch document (``status`` ``pending``: not read yet)."""

    root: str
    document_hash: str | None
    status: str  # pending | ingested | missing | invalid
    detail: str | None
    attempts: int
    position: ChainPosition


@dataclass(frozen=True)
class DesignView:
    design_id: str
    registrant: str
    owner: str
    pending_owner: str | None
    status: str  # active | deprecated | recalled
    content_hash: str
    container_hash: str
    metadata_hash: str
    revises: str | None
    position: ChainPosition


@dataclass(frozen=True)
class LicenceView:
    licence_id: str
    design_id: str
    hub: str
    licence_index: int
    status: str  # active | suspended | revoked
    max_prints: int
    valid_from: int
    valid_until: int
    required_standard: str | None
    terms_hash: str
    wrapped_key_hash: str
    refund_on_invalidate: bool
    attested_prints: int
    """Prints attested under the licence (-1 where not computed, e.g. in provenance)."""
    anchored_prints: int
    """Prints debited by Merkle-anchored batches (-1 where not computed)."""
    position: ChainPosition
    refunded_prints: int = -1
    """Copies given back: invalidations that refunded, and ``PrintRefunded`` (-1 where not
    computed)."""

    @property
    def printed(self) -> int:
        """The licence's ``printed`` as the contract counts it: attested + anchored - refunded
        (-1 where the counts were not computed)."""
        if min(self.attested_prints, self.anchored_prints, self.refunded_prints) < 0:
            return -1
        return self.attested_prints + self.anchored_prints - self.refunded_prints


@dataclass(frozen=True)
class HubView:
    hub: str
    name: str | None
    locode: str | None
    key_version: int | None
    hpke_public_key: str | None
    position: ChainPosition


@dataclass(frozen=True)
class MachineView:
    machine_id: str
    hub: str
    machine_hash: str | None
    retired: bool
    position: ChainPosition


@dataclass(frozen=True)
class QualificationView:
    subject: str
    standard: str
    certifier: str
    certificate_hash: str | None
    valid_from: int | None
    valid_until: int | None
    revoked: bool
    position: ChainPosition


@dataclass(frozen=True)
class Provenance:
    """A part's history: print → licence → design → hub → machine → qualification."""

    print: PrintRecord
    design: DesignView | None
    licence: LicenceView | None
    hub: HubView | None
    machine: MachineView | None
    qualification: QualificationView | None
    invalidation: InvalidationRecord | None
    design_recalled: bool

    @property
    def confirmed(self) -> bool:
        """Whether the print and everything it rests on are final."""
        parts: list[Any] = [self.print, self.design, self.licence, self.invalidation]
        return all(p.position.confirmed for p in parts if p is not None)


Record = dict[str, Any]

_SQL = {
    "safe": "SELECT safe_block FROM sync_state WHERE id = 1",
    "status": "SELECT * FROM sync_state WHERE id = 1",
    "design": "SELECT * FROM designs WHERE design_id = ? ORDER BY block_number LIMIT 1",
    "design_events": (
        "SELECT kind, new_owner FROM design_events WHERE design_id = ? "
        "ORDER BY block_number, log_index"
    ),
    "design_by_content": "SELECT design_id FROM designs WHERE content_hash = ? LIMIT 1",
    "designs_of_registrant": "SELECT design_id FROM designs WHERE registrant = ?",
    "designs_transferred_to": (
        "SELECT design_id FROM design_events WHERE new_owner = ? AND kind = 'transferred'"
    ),
    "revision_of": "SELECT design_id FROM designs WHERE revises = ? LIMIT 1",
    "hub_events": "SELECT * FROM hub_events WHERE hub = ? ORDER BY block_number, log_index",
    "machine_events": (
        "SELECT * FROM machine_events WHERE machine_id = ? ORDER BY block_number, log_index"
    ),
    "machines_of_hub": (
        "SELECT machine_id FROM machine_events WHERE hub = ? AND kind = 'registered' "
        "ORDER BY block_number, log_index"
    ),
    "qualifications": (
        "SELECT * FROM qualification_events WHERE subject = ? ORDER BY block_number, log_index"
    ),
    "qualification": (
        "SELECT * FROM qualification_events WHERE subject = ? AND standard = ? "
        "ORDER BY block_number, log_index"
    ),
    "licence": "SELECT * FROM licences WHERE licence_id = ? ORDER BY block_number LIMIT 1",
    "licences_of_hub": "SELECT * FROM licences WHERE hub = ? ORDER BY block_number, log_index",
    "licences_of_design": (
        "SELECT * FROM licences WHERE design_id = ? ORDER BY block_number, log_index"
    ),
    "licence_events": (
        "SELECT * FROM licence_events WHERE licence_id = ? ORDER BY block_number, log_index"
    ),
    "attested_count": "SELECT COUNT(*) FROM prints WHERE licence_id = ?",
    "anchored_count": (
        "SELECT COALESCE(SUM(count), 0) FROM batch_anchor_entries WHERE licence_id = ?"
    ),
    "refunded_count": (
        "SELECT (SELECT COUNT(*) FROM print_invalidations WHERE licence_id = ? AND refunded) "
        "+ (SELECT COUNT(*) FROM print_refunds WHERE licence_id = ?)"
    ),
    "anchored_by_serial": (
        "SELECT p.*, a.block_hash, a.block_time, a.tx_hash, a.contract FROM anchored_prints p "
        "JOIN batch_anchors a ON a.block_number = p.block_number AND a.log_index = p.log_index "
        "WHERE p.serial = ? ORDER BY p.block_number, p.log_index, p.leaf_index"
    ),
    "batch_documents": (
        "SELECT a.block_number, a.log_index, a.block_hash, a.block_time, a.tx_hash, a.contract, "
        "a.root, a.document_hash, d.status, d.detail, d.attempts FROM batch_anchors a "
        "LEFT JOIN batch_documents d "
        "ON d.block_number = a.block_number AND d.log_index = a.log_index "
        "WHERE a.root = ? ORDER BY a.block_number, a.log_index"
    ),
    # the safe block rides along: one round trip less on the hot path
    "prints_by_serial": (
        "SELECT p.*, (SELECT safe_block FROM sync_state WHERE id = 1) AS safe_block_ "
        "FROM prints p WHERE serial = ? ORDER BY block_number, log_index"
    ),
    "prints_by_serial_design": (
        "SELECT p.*, (SELECT safe_block FROM sync_state WHERE id = 1) AS safe_block_ "
        "FROM prints p WHERE serial = ? AND design_id = ? ORDER BY block_number, log_index"
    ),
    "invalidation": (
        "SELECT * FROM print_invalidations WHERE serial = ? AND design_id = ? "
        "ORDER BY block_number, log_index LIMIT 1"
    ),
    "role_events": (
        "SELECT kind, account FROM role_events WHERE contract = ? AND role = ? "
        "ORDER BY block_number, log_index"
    ),
}


class IndexReader:
    """Queries over the index (one short read transaction per call).

    Hot queries run as prepared driver-level SQL (no ORM, no statement building per
    call): provenance by serial is a handful of index lookups.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        self._sql = {k: v.replace("?", mark) for k, v in _SQL.items()}
        self._mark = mark

    # -- helpers -------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A pooled connection; on PostgreSQL read in autocommit for the call.

        Autocommit spares the BEGIN and the ROLLBACK round trips around every call (each
        statement still sees one committed state: the indexer commits whole ranges). The
        flag is client-side in psycopg 3 and restored before the connection goes back to
        the pool, which writers share.
        """
        with self.engine.connect() as conn:
            if not self._postgres:
                yield conn
                return
            dbapi: Any = conn.connection.dbapi_connection
            dbapi.autocommit = True
            try:
                yield conn
            finally:
                dbapi.autocommit = False

    def _all(self, conn: Connection, key: str, *params: Any) -> list[Record]:
        return self._run(conn, self._sql[key], params)

    @staticmethod
    def _run(conn: Connection, sql: str, params: Sequence[Any]) -> list[Record]:
        cursor: Any = conn.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def _many(
        self, conn: Connection, queries: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> list[list[Record]]:
        """Run independent queries; on PostgreSQL in one pipeline (one network round trip)."""
        dbapi: Any = conn.connection.dbapi_connection
        if self.engine.dialect.name != "postgresql" or not hasattr(dbapi, "pipeline"):
            return [self._all(conn, key, *params) for key, params in queries]
        cursors = []
        with dbapi.pipeline():
            for key, params in queries:
                cursor = dbapi.cursor()
                cursor.execute(self._sql[key], params)
                cursors.append(cursor)
        out = []
        for cursor in cursors:
            names = [d[0] for d in cursor.description]
            out.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
            cursor.close()
        return out

    def _scalar(self, conn: Connection, key: str, *params: Any) -> Any:
        cursor: Any = conn.connection.cursor()
        try:
            cursor.execute(self._sql[key], params)
            row = cursor.fetchone()
            return None if row is None else row[0]
        finally:
            cursor.close()

    def _safe(self, conn: Connection) -> int:
        value = self._scalar(conn, "safe")
        return -1 if value is None else int(value)

    @staticmethod
    def _position(m: Record, safe: int) -> ChainPosition:
        return ChainPosition(
            block_number=int(m["block_number"]),
            log_index=int(m["log_index"]),
            block_hash=_h(m["block_hash"]),
            block_time=int(m["block_time"]),
            tx_hash=_h(m["tx_hash"]),
            contract=_h(m["contract"]),
            confirmed=int(m["block_number"]) <= safe,
        )

    def _print(self, m: Record, safe: int) -> PrintRecord:
        return PrintRecord(
            licence_id=_h(m["licence_id"]),
            design_id=_h(m["design_id"]),
            serial=_h(m["serial"]),
            hub=_h(m["hub"]),
            machine_id=_h(m["machine_id"]),
            material_lot_hash=_h(m["material_lot_hash"]),
            quality_report_hash=_h(m["quality_report_hash"]),
            position=self._position(m, safe),
        )

    # -- status --------------------------------------------------------------------------
    def status(self) -> IndexStatus | None:
        with self._connect() as conn:
            rows = self._all(conn, "status")
        if not rows:
            return None
        m = rows[0]
        return IndexStatus(**{k: int(m[k]) for k in IndexStatus.__dataclass_fields__})

    # -- designs -------------------------------------------------------------------------
    def _design(self, conn: Connection, design_id: bytes, safe: int) -> DesignView | None:
        rows = self._all(conn, "design", design_id)
        if not rows:
            return None
        return self._design_view(rows, self._all(conn, "design_events", design_id), safe)

    def _design_view(
        self, rows: list[Record], events: list[Record], safe: int
    ) -> DesignView | None:
        if not rows:
            return None
        m = rows[0]
        design_id: bytes = m["design_id"]
        owner: bytes = m["registrant"]
        pending: bytes | None = None
        status = "active"
        for event in events:
            kind, new_owner = event["kind"], event["new_owner"]
            if kind == "transferred":
                owner, pending = new_owner, None
            elif kind == "transfer_started":
                pending = None if new_owner == bytes(20) else new_owner
            elif kind in ("recalled", "recall_recorded"):
                status = "recalled"
            elif kind == "deprecated" and status == "active":
                status = "deprecated"
        return DesignView(
            design_id=_h(design_id),
            registrant=_h(m["registrant"]),
            owner=_h(owner),
            pending_owner=_hex(pending),
            status=status,
            content_hash=_h(m["content_hash"]),
            container_hash=_h(m["container_hash"]),
            metadata_hash=_h(m["metadata_hash"]),
            revises=_hex(m["revises"]),
            position=self._position(m, safe),
        )

    def design(self, design_id: HexOrBytes) -> DesignView | None:
        with self._connect() as conn:
            return self._design(conn, to_bytes(design_id, 32), self._safe(conn))

    def design_by_content(self, content_hash: HexOrBytes) -> DesignView | None:
        with self._connect() as conn:
            design_id = self._scalar(conn, "design_by_content", to_bytes(content_hash, 32))
            if design_id is None:
                return None
            return self._design(conn, bytes(design_id), self._safe(conn))

    def designs_by_owner(self, owner: HexOrBytes) -> list[DesignView]:
        """Designs whose current owner is ``owner`` (registrations and accepted transfers)."""
        who = to_bytes(owner, 20)
        with self._connect() as conn:
            safe = self._safe(conn)
            candidates = {
                bytes(r["design_id"]) for r in self._all(conn, "designs_of_registrant", who)
            }
            candidates |= {
                bytes(r["design_id"]) for r in self._all(conn, "designs_transferred_to", who)
            }
            views = [self._design(conn, d, safe) for d in candidates]
        found = [v for v in views if v is not None and v.owner == _h(who)]
        return sorted(found, key=lambda v: (v.position.block_number, v.position.log_index))

    def revision_chain(self, design_id: HexOrBytes) -> list[DesignView]:
        """The design's revision chain, oldest first (the root to the latest revision)."""
        with self._connect() as conn:
            safe = self._safe(conn)
            current = self._design(conn, to_bytes(design_id, 32), safe)
            if current is None:
                return []
            chain = [current]
            while chain[0].revises is not None and len(chain) < 10_000:
                earlier = self._design(conn, to_bytes(chain[0].revises, 32), safe)
                if earlier is None:
                    break
                chain.insert(0, earlier)
            while len(chain) < 10_000:
                nxt = self._scalar(conn, "revision_of", to_bytes(chain[-1].design_id))
                later = None if nxt is None else self._design(conn, bytes(nxt), safe)
                if later is None:
                    break
                chain.append(later)
            return chain

    # -- hubs, machines, qualifications --------------------------------------------------
    def _hub(self, conn: Connection, hub: bytes, safe: int) -> HubView | None:
        return self._hub_view(self._all(conn, "hub_events", hub), hub, safe)

    def _hub_view(self, rows: list[Record], hub: bytes, safe: int) -> HubView | None:
        if not rows:
            return None
        name = locode = key = None
        version: int | None = None
        for m in rows:
            if m["name"] is not None:
                name, locode = m["name"], m["locode"]
            if m["hpke_public_key"] is not None:
                key, version = m["hpke_public_key"], m["key_version"]
        return HubView(
            hub=_h(hub),
            name=name,
            locode=None if locode is None else bytes(locode).decode("ascii", "replace"),
            key_version=version,
            hpke_public_key=_hex(key),
            position=self._position(rows[0], safe),
        )

    def hub(self, hub: HexOrBytes) -> HubView | None:
        with self._connect() as conn:
            return self._hub(conn, to_bytes(hub, 20), self._safe(conn))

    def _machine(self, conn: Connection, machine_id: bytes, safe: int) -> MachineView | None:
        return self._machine_view(self._all(conn, "machine_events", machine_id), machine_id, safe)

    def _machine_view(self, rows: list[Record], machine_id: bytes, safe: int) -> MachineView | None:
        if not rows:
            return None
        first = rows[0]
        return MachineView(
            machine_id=_h(machine_id),
            hub=_h(first["hub"]),
            machine_hash=_hex(first["machine_hash"]),
            retired=any(r["kind"] == "retired" for r in rows),
            position=self._position(first, safe),
        )

    def machine(self, machine_id: HexOrBytes) -> MachineView | None:
        with self._connect() as conn:
            return self._machine(conn, to_bytes(machine_id, 32), self._safe(conn))

    def machines_by_hub(self, hub: HexOrBytes) -> list[MachineView]:
        with self._connect() as conn:
            safe = self._safe(conn)
            ids = [
                bytes(r["machine_id"])
                for r in self._all(conn, "machines_of_hub", to_bytes(hub, 20))
            ]
            views = [self._machine(conn, i, safe) for i in ids]
        return [v for v in views if v is not None]

    def _qualifications(
        self, conn: Connection, subject: bytes, standard: bytes | None, safe: int
    ) -> list[QualificationView]:
        if standard is None:
            rows = self._all(conn, "qualifications", subject)
        else:
            rows = self._all(conn, "qualification", subject, standard)
        return self._qualification_views(rows, subject, safe)

    def _qualification_views(
        self, rows: list[Record], subject: bytes, safe: int
    ) -> list[QualificationView]:
        latest: dict[bytes, QualificationView] = {}
        for m in rows:
            key = bytes(m["standard"])
            if m["kind"] == "recorded":
                latest[key] = QualificationView(
                    subject=_h(subject),
                    standard=_h(key),
                    certifier=_h(m["certifier"]),
                    certificate_hash=_hex(m["certificate_hash"]),
                    valid_from=m["valid_from"],
                    valid_until=m["valid_until"],
                    revoked=False,
                    position=self._position(m, safe),
                )
            elif key in latest:
                old = latest[key]
                latest[key] = QualificationView(
                    **{**old.__dict__, "revoked": True, "position": self._position(m, safe)}
                )
        return list(latest.values())

    def qualifications(
        self, subject: HexOrBytes, standard: HexOrBytes | None = None
    ) -> list[QualificationView]:
        """Current qualifications of a machine id or hub subject (one per standard)."""
        with self._connect() as conn:
            return self._qualifications(
                conn,
                to_bytes(subject, 32),
                None if standard is None else to_bytes(standard, 32),
                self._safe(conn),
            )

    # -- licences ------------------------------------------------------------------------
    def _licence_views(
        self, conn: Connection, rows: Sequence[Record], safe: int, *, counts: bool = True
    ) -> list[LicenceView]:
        views = []
        for m in rows:
            licence_id: bytes = m["licence_id"]
            attested = anchored = refunded = -1
            if counts:
                attested = int(self._scalar(conn, "attested_count", licence_id))
                anchored = int(self._scalar(conn, "anchored_count", licence_id))
                refunded = int(self._scalar(conn, "refunded_count", licence_id, licence_id))
            events = self._all(conn, "licence_events", licence_id)
            views.append(self._licence_view(m, events, safe, attested, anchored, refunded))
        return views

    def _licence_view(
        self,
        m: Record,
        events: list[Record],
        safe: int,
        attested: int,
        anchored: int,
        refunded: int = -1,
    ) -> LicenceView:
        licence_id: bytes = m["licence_id"]
        status = "active"
        max_prints, valid_until, terms = m["max_prints"], m["valid_until"], m["terms_hash"]
        for e in events:
            kind = e["kind"]
            if kind == "amended":
                max_prints, valid_until = e["max_prints"], e["valid_until"]
                terms = e["terms_hash"]
            elif kind == "suspended" and status != "revoked":
                status = "suspended"
            elif kind == "resumed" and status != "revoked":
                status = "active"
            elif kind == "revoked":
                status = "revoked"
        return LicenceView(
            licence_id=_h(licence_id),
            design_id=_h(m["design_id"]),
            hub=_h(m["hub"]),
            licence_index=int(m["licence_index"]),
            status=status,
            max_prints=int(max_prints),
            valid_from=int(m["valid_from"]),
            valid_until=int(valid_until),
            required_standard=_hex(m["required_standard"]),
            terms_hash=_h(terms),
            wrapped_key_hash=_h(m["wrapped_key_hash"]),
            refund_on_invalidate=bool(m["refund_on_invalidate"]),
            attested_prints=attested,
            anchored_prints=anchored,
            position=self._position(m, safe),
            refunded_prints=refunded,
        )

    def licence(self, licence_id: HexOrBytes) -> LicenceView | None:
        with self._connect() as conn:
            rows = self._all(conn, "licence", to_bytes(licence_id, 32))
            views = self._licence_views(conn, rows, self._safe(conn))
        return views[0] if views else None

    def licences_by_hub(self, hub: HexOrBytes) -> list[LicenceView]:
        with self._connect() as conn:
            rows = self._all(conn, "licences_of_hub", to_bytes(hub, 20))
            return self._licence_views(conn, rows, self._safe(conn))

    def licences_by_design(self, design_id: HexOrBytes) -> list[LicenceView]:
        with self._connect() as conn:
            rows = self._all(conn, "licences_of_design", to_bytes(design_id, 32))
            return self._licence_views(conn, rows, self._safe(conn))

    # -- prints --------------------------------------------------------------------------
    def prints_by_licence(
        self,
        licence_id: HexOrBytes,
        *,
        since: int | None = None,
        until: int | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[PrintRecord]:
        """Prints of a licence, oldest first; ``since``/``until`` bound the block time."""
        return self._prints("licence_id", to_bytes(licence_id, 32), since, until, limit, offset)

    def prints_by_hub(
        self,
        hub: HexOrBytes,
        *,
        since: int | None = None,
        until: int | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[PrintRecord]:
        """Prints of a hub, oldest first; ``since``/``until`` bound the block time."""
        return self._prints("hub", to_bytes(hub, 20), since, until, limit, offset)

    def _period(
        self, column: str, key: bytes, since: int | None, until: int | None
    ) -> tuple[str, list[Any]]:
        mark = self._mark
        where = f"{column} = {mark}"
        params: list[Any] = [key]
        if since is not None:
            where += f" AND block_time >= {mark}"
            params.append(since)
        if until is not None:
            where += f" AND block_time <= {mark}"
            params.append(until)
        return where, params

    def _prints(
        self, column: str, key: bytes, since: int | None, until: int | None, limit: int, offset: int
    ) -> list[PrintRecord]:
        where, params = self._period(column, key, since, until)
        sql = (
            f"SELECT * FROM prints WHERE {where} "  # noqa: S608 - fixed columns, bound values
            f"ORDER BY block_time, block_number, log_index LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        with self._connect() as conn:
            safe = self._safe(conn)
            return [self._print(m, safe) for m in self._run(conn, sql, params)]

    def _print_filter(
        self,
        hub: HexOrBytes | None,
        design_id: HexOrBytes | None,
        since: int | None,
        until: int | None,
    ) -> tuple[str, list[Any]]:
        mark = self._mark
        clauses: list[str] = []
        params: list[Any] = []
        if hub is not None:
            clauses.append(f"hub = {mark}")
            params.append(to_bytes(hub, 20))
        if design_id is not None:  # through the licences: prints are indexed by licence
            clauses.append(
                f"licence_id IN (SELECT licence_id FROM licences WHERE design_id = {mark})"  # noqa: S608
            )
            params.append(to_bytes(design_id, 32))
        if since is not None:
            clauses.append(f"block_time >= {mark}")
            params.append(since)
        if until is not None:
            clauses.append(f"block_time <= {mark}")
            params.append(until)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    _ALL_PRINTS = (
        "(SELECT block_number, log_index, block_hash, block_time, tx_hash, contract, "
        "licence_id, design_id, serial, hub, machine_id, material_lot_hash, "
        "quality_report_hash, 'direct' AS kind, -1 AS leaf_index FROM prints "
        "UNION ALL "
        "SELECT a.block_number, a.log_index, b.block_hash, b.block_time, b.tx_hash, b.contract, "
        "a.licence_id, a.design_id, a.serial, a.hub, a.machine_id, a.material_lot_hash, "
        "a.quality_report_hash, 'anchored' AS kind, a.leaf_index FROM anchored_prints a "
        "JOIN batch_anchors b ON b.block_number = a.block_number AND b.log_index = a.log_index"
        ") AS all_prints"
    )
    """Direct attestations and the leaves of anchored batches (from their published documents),
    one row per print, the anchored ones at their anchor's position."""

    def find_prints(
        self,
        *,
        hub: HexOrBytes | None = None,
        design_id: HexOrBytes | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
    ) -> tuple[list[PrintRecord], int]:
        """Prints of a hub and/or a design in a block-time period (any filter may be left out),
        attested directly or anchored in a batch, newest first unless told otherwise, and how
        many match in all."""
        where, params = self._print_filter(hub, design_id, since, until)
        order = "DESC" if newest_first else "ASC"
        source = self._ALL_PRINTS
        sql = (
            f"SELECT * FROM {source}{where} "  # noqa: S608 - fixed columns, bound values
            f"ORDER BY block_time {order}, block_number {order}, log_index {order}, "
            f"leaf_index {order} LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        count = f"SELECT COUNT(*) AS n FROM {source}{where}"  # noqa: S608
        with self._connect() as conn:
            safe = self._safe(conn)
            rows = self._run(conn, sql, params)
            total = int(self._run(conn, count, params)[0]["n"])
        out = []
        for m in rows:
            record = self._print(m, safe)
            if m["kind"] == "anchored":
                record = replace(record, kind="anchored", leaf_index=int(m["leaf_index"]))
            out.append(record)
        return out, total

    def find_licences(
        self, *, hub: HexOrBytes | None = None, design_id: HexOrBytes | None = None
    ) -> list[LicenceView]:
        """Licences of a hub and/or a design (every licence without a filter), oldest first,
        with their print counts."""
        mark = self._mark
        clauses: list[str] = []
        params: list[Any] = []
        if hub is not None:
            clauses.append(f"hub = {mark}")
            params.append(to_bytes(hub, 20))
        if design_id is not None:
            clauses.append(f"design_id = {mark}")
            params.append(to_bytes(design_id, 32))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT * FROM licences{where} ORDER BY block_number, log_index"  # noqa: S608
        with self._connect() as conn:
            rows = self._run(conn, sql, params)
            return self._licence_views(conn, rows, self._safe(conn))

    def all_qualifications(self) -> list[QualificationView]:
        """The current qualification of every subject and standard (revoked ones included)."""
        sql = "SELECT * FROM qualification_events ORDER BY subject, block_number, log_index"
        by_subject: dict[bytes, list[Record]] = {}
        with self._connect() as conn:
            safe = self._safe(conn)
            for m in self._run(conn, sql, ()):
                by_subject.setdefault(bytes(m["subject"]), []).append(m)
        out: list[QualificationView] = []
        for subject, rows in by_subject.items():
            out += self._qualification_views(rows, subject, safe)
        return out

    def count_prints(
        self, licence_id: HexOrBytes, *, since: int | None = None, until: int | None = None
    ) -> int:
        """Number of prints of a licence in a block-time period."""
        where, params = self._period("licence_id", to_bytes(licence_id, 32), since, until)
        sql = f"SELECT COUNT(*) AS n FROM prints WHERE {where}"  # noqa: S608
        with self._connect() as conn:
            return int(self._run(conn, sql, params)[0]["n"])

    def _prints_by_serial(
        self, conn: Connection, serial: HexOrBytes, design_id: HexOrBytes | None
    ) -> list[Record]:
        if design_id is None:
            return self._all(conn, "prints_by_serial", to_bytes(serial, 32))
        return self._all(
            conn, "prints_by_serial_design", to_bytes(serial, 32), to_bytes(design_id, 32)
        )

    def prints_by_serial(
        self, serial: HexOrBytes, design_id: HexOrBytes | None = None
    ) -> list[PrintRecord]:
        with self._connect() as conn:
            safe = self._safe(conn)
            return [self._print(m, safe) for m in self._prints_by_serial(conn, serial, design_id)]

    def anchored_prints_by_serial(
        self, serial: HexOrBytes, design_id: HexOrBytes | None = None
    ) -> list[AnchoredPrintRecord]:
        """Leaves of anchored batches with this serial (from the ingested batch documents)."""
        with self._connect() as conn:
            safe = self._safe(conn)
            rows = self._all(conn, "anchored_by_serial", to_bytes(serial, 32))
        design = None if design_id is None else to_bytes(design_id, 32)
        return [
            AnchoredPrintRecord(
                root=_h(m["root"]),
                leaf_index=int(m["leaf_index"]),
                licence_id=_h(m["licence_id"]),
                design_id=_h(m["design_id"]),
                serial=_h(m["serial"]),
                hub=_h(m["hub"]),
                machine_id=_h(m["machine_id"]),
                material_lot_hash=_h(m["material_lot_hash"]),
                quality_report_hash=_h(m["quality_report_hash"]),
                position=self._position(m, safe),
            )
            for m in rows
            if design is None or bytes(m["design_id"]) == design
        ]

    def batch_documents(self, root: HexOrBytes) -> list[BatchDocumentStatus]:
        """The batch-document status of the anchors of ``root`` (one, unless re-anchored after
        a reorg)."""
        with self._connect() as conn:
            safe = self._safe(conn)
            rows = self._all(conn, "batch_documents", to_bytes(root, 32))
        return [
            BatchDocumentStatus(
                root=_h(m["root"]),
                document_hash=_hex(m["document_hash"]),
                status=m["status"] or "pending",
                detail=m["detail"],
                attempts=int(m["attempts"] or 0),
                position=self._position(m, safe),
            )
            for m in rows
        ]

    def provenance(
        self, serial: HexOrBytes, design_id: HexOrBytes | None = None
    ) -> list[Provenance]:
        """Every print with this serial (one per design) and its full history.

        ``serial`` is the on-chain serial (keccak256 of the serial number; see
        ``serial_hash``); give ``design_id`` to pick one design's print.
        """
        out = []
        with self._connect() as conn:
            for m in self._prints_by_serial(conn, serial, design_id):
                safe = -1 if m["safe_block_"] is None else int(m["safe_block_"])
                (
                    design_rows,
                    design_events,
                    licence_rows,
                    licence_events,
                    hub_rows,
                    machine_rows,
                    quals,
                    invs,
                ) = self._many(
                    conn,
                    [
                        ("design", (m["design_id"],)),
                        ("design_events", (m["design_id"],)),
                        ("licence", (m["licence_id"],)),
                        ("licence_events", (m["licence_id"],)),
                        ("hub_events", (m["hub"],)),
                        ("machine_events", (m["machine_id"],)),
                        ("qualifications", (m["machine_id"],)),
                        ("invalidation", (m["serial"], m["design_id"])),
                    ],
                )
                design = self._design_view(design_rows, design_events, safe)
                licence = None
                if licence_rows:
                    licence = self._licence_view(licence_rows[0], licence_events, safe, -1, -1)
                qualification = None
                if licence is not None and licence.required_standard is not None:
                    found = [
                        q
                        for q in self._qualification_views(quals, m["machine_id"], safe)
                        if q.standard == licence.required_standard
                    ]
                    qualification = found[0] if found else None
                invalidation = None
                for im in invs:
                    invalidation = InvalidationRecord(
                        invalidated_by=_h(im["invalidated_by"]),
                        reason_hash=_h(im["reason_hash"]),
                        refunded=bool(im["refunded"]),
                        position=self._position(im, safe),
                    )
                out.append(
                    Provenance(
                        print=self._print(m, safe),
                        design=design,
                        licence=licence,
                        hub=self._hub_view(hub_rows, m["hub"], safe),
                        machine=self._machine_view(machine_rows, m["machine_id"], safe),
                        qualification=qualification,
                        invalidation=invalidation,
                        design_recalled=design is not None and design.status == "recalled",
                    )
                )
        return out

    # -- roles ---------------------------------------------------------------------------
    def role_members(self, contract: HexOrBytes, role: HexOrBytes) -> list[str]:
        """Accounts holding ``role`` on ``contract`` per the indexed grants and revocations."""
        members: dict[bytes, None] = {}
        with self._connect() as conn:
            rows = self._all(conn, "role_events", to_bytes(contract, 20), to_bytes(role, 32))
        for m in rows:
            if m["kind"] == "granted":
                members[bytes(m["account"])] = None
            elif m["kind"] == "revoked":
                members.pop(bytes(m["account"]), None)
        return [_h(a) for a in members]
