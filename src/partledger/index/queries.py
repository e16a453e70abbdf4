"""Read the index: provenance by serial, licences by hub, prints by licence and period, ...

Every record carries its chain position and ``confirmed``: whether its block is at or
below the index's ``safe_block`` (chain head minus the confirmation depth at the last
sync). Tentative records (``confirmed=False``) may still disappear in a reorg.

Ids and hashes are accepted as ``bytes`` or ``0x`` hex and returned as ``0x`` hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import Engine, Row, and_, func, select
from sqlalchemy.engine import Connection

from partledger.index import schema as s

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


@dataclass(frozen=True)
class InvalidationRecord:
    invalidated_by: str
    reason_hash: str
    refunded: bool
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


class IndexReader:
    """Queries over the index (one short read transaction per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    def _safe(conn: Connection) -> int:
        value = conn.execute(select(s.sync_state.c.safe_block)).scalar()
        return -1 if value is None else int(value)

    @staticmethod
    def _position(row: Row[Any], safe: int) -> ChainPosition:
        m = row._mapping
        return ChainPosition(
            block_number=int(m["block_number"]),
            log_index=int(m["log_index"]),
            block_hash=_h(m["block_hash"]),
            block_time=int(m["block_time"]),
            tx_hash=_h(m["tx_hash"]),
            contract=_h(m["contract"]),
            confirmed=int(m["block_number"]) <= safe,
        )

    def _print(self, row: Row[Any], safe: int) -> PrintRecord:
        m = row._mapping
        return PrintRecord(
            licence_id=_h(m["licence_id"]),
            design_id=_h(m["design_id"]),
            serial=_h(m["serial"]),
            hub=_h(m["hub"]),
            machine_id=_h(m["machine_id"]),
            material_lot_hash=_h(m["material_lot_hash"]),
            quality_report_hash=_h(m["quality_report_hash"]),
            position=self._position(row, safe),
        )

    # -- status --------------------------------------------------------------------------
    def status(self) -> IndexStatus | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s.sync_state)).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return IndexStatus(
            **{k: int(m[k]) for k in IndexStatus.__dataclass_fields__ if k != "chain_id"},
            chain_id=int(m["chain_id"]),
        )

    # -- designs -------------------------------------------------------------------------
    def _design(self, conn: Connection, design_id: bytes, safe: int) -> DesignView | None:
        row = conn.execute(
            select(s.designs).where(s.designs.c.design_id == design_id).limit(1)
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        owner: bytes = m["registrant"]
        pending: bytes | None = None
        status = "active"
        events = conn.execute(
            select(s.design_events.c.kind, s.design_events.c.new_owner)
            .where(s.design_events.c.design_id == design_id)
            .order_by(s.design_events.c.block_number, s.design_events.c.log_index)
        )
        for kind, new_owner in events:
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
            position=self._position(row, safe),
        )

    def design(self, design_id: HexOrBytes) -> DesignView | None:
        with self.engine.connect() as conn:
            return self._design(conn, to_bytes(design_id, 32), self._safe(conn))

    def design_by_content(self, content_hash: HexOrBytes) -> DesignView | None:
        with self.engine.connect() as conn:
            design_id = conn.execute(
                select(s.designs.c.design_id).where(
                    s.designs.c.content_hash == to_bytes(content_hash, 32)
                )
            ).scalar()
            return None if design_id is None else self._design(conn, design_id, self._safe(conn))

    def designs_by_owner(self, owner: HexOrBytes) -> list[DesignView]:
        """Designs whose current owner is ``owner`` (registrations and accepted transfers)."""
        who = to_bytes(owner, 20)
        with self.engine.connect() as conn:
            safe = self._safe(conn)
            candidates = set(
                conn.execute(
                    select(s.designs.c.design_id).where(s.designs.c.registrant == who)
                ).scalars()
            )
            candidates |= set(
                conn.execute(
                    select(s.design_events.c.design_id).where(
                        s.design_events.c.new_owner == who,
                        s.design_events.c.kind == "transferred",
                    )
                ).scalars()
            )
            views = [self._design(conn, bytes(d), safe) for d in candidates]
        found = [v for v in views if v is not None and v.owner == _h(who)]
        return sorted(found, key=lambda v: (v.position.block_number, v.position.log_index))

    def revision_chain(self, design_id: HexOrBytes) -> list[DesignView]:
        """The design's revision chain, oldest first (the root to the latest revision)."""
        with self.engine.connect() as conn:
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
                nxt = conn.execute(
                    select(s.designs.c.design_id).where(
                        s.designs.c.revises == to_bytes(chain[-1].design_id)
                    )
                ).scalar()
                later = None if nxt is None else self._design(conn, nxt, safe)
                if later is None:
                    break
                chain.append(later)
            return chain

    # -- hubs, machines, qualifications --------------------------------------------------
    def _hub(self, conn: Connection, hub: bytes, safe: int) -> HubView | None:
        rows = conn.execute(
            select(s.hub_events)
            .where(s.hub_events.c.hub == hub)
            .order_by(s.hub_events.c.block_number, s.hub_events.c.log_index)
        ).all()
        if not rows:
            return None
        name = locode = key = None
        version: int | None = None
        for row in rows:
            m = row._mapping
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
        with self.engine.connect() as conn:
            return self._hub(conn, to_bytes(hub, 20), self._safe(conn))

    def _machine(self, conn: Connection, machine_id: bytes, safe: int) -> MachineView | None:
        rows = conn.execute(
            select(s.machine_events)
            .where(s.machine_events.c.machine_id == machine_id)
            .order_by(s.machine_events.c.block_number, s.machine_events.c.log_index)
        ).all()
        if not rows:
            return None
        first = rows[0]._mapping
        return MachineView(
            machine_id=_h(machine_id),
            hub=_h(first["hub"]),
            machine_hash=_hex(first["machine_hash"]),
            retired=any(r._mapping["kind"] == "retired" for r in rows),
            position=self._position(rows[0], safe),
        )

    def machine(self, machine_id: HexOrBytes) -> MachineView | None:
        with self.engine.connect() as conn:
            return self._machine(conn, to_bytes(machine_id, 32), self._safe(conn))

    def machines_by_hub(self, hub: HexOrBytes) -> list[MachineView]:
        with self.engine.connect() as conn:
            safe = self._safe(conn)
            ids = conn.execute(
                select(s.machine_events.c.machine_id)
                .where(
                    s.machine_events.c.hub == to_bytes(hub, 20),
                    s.machine_events.c.kind == "registered",
                )
                .order_by(s.machine_events.c.block_number, s.machine_events.c.log_index)
            ).scalars()
            views = [self._machine(conn, bytes(i), safe) for i in ids]
        return [v for v in views if v is not None]

    def _qualifications(
        self, conn: Connection, subject: bytes, standard: bytes | None, safe: int
    ) -> list[QualificationView]:
        q = s.qualification_events
        cond = q.c.subject == subject
        if standard is not None:
            cond = and_(cond, q.c.standard == standard)
        rows = conn.execute(select(q).where(cond).order_by(q.c.block_number, q.c.log_index))
        latest: dict[bytes, QualificationView] = {}
        for row in rows:
            m = row._mapping
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
                    position=self._position(row, safe),
                )
            elif key in latest:
                old = latest[key]
                latest[key] = QualificationView(
                    **{**old.__dict__, "revoked": True, "position": self._position(row, safe)}
                )
        return list(latest.values())

    def qualifications(
        self, subject: HexOrBytes, standard: HexOrBytes | None = None
    ) -> list[QualificationView]:
        """Current qualifications of a machine id or hub subject (one per standard)."""
        with self.engine.connect() as conn:
            return self._qualifications(
                conn,
                to_bytes(subject, 32),
                None if standard is None else to_bytes(standard, 32),
                self._safe(conn),
            )

    # -- licences ------------------------------------------------------------------------
    def _licence_views(
        self, conn: Connection, rows: Sequence[Row[Any]], safe: int, *, counts: bool = True
    ) -> list[LicenceView]:
        views = []
        for row in rows:
            m = row._mapping
            licence_id: bytes = m["licence_id"]
            status, max_prints, valid_until, terms = (
                "active",
                m["max_prints"],
                m["valid_until"],
                m["terms_hash"],
            )
            events = conn.execute(
                select(s.licence_events)
                .where(s.licence_events.c.licence_id == licence_id)
                .order_by(s.licence_events.c.block_number, s.licence_events.c.log_index)
            )
            for event in events:
                e = event._mapping
                kind = e["kind"]
                if kind == "amended":
                    max_prints, valid_until, terms = (
                        e["max_prints"],
                        e["valid_until"],
                        e["terms_hash"],
                    )
                elif kind == "suspended" and status != "revoked":
                    status = "suspended"
                elif kind == "resumed" and status != "revoked":
                    status = "active"
                elif kind == "revoked":
                    status = "revoked"
            attested = anchored = -1
            if counts:
                attested = conn.execute(
                    select(func.count()).where(s.prints.c.licence_id == licence_id)
                ).scalar_one()
                anchored = conn.execute(
                    select(func.coalesce(func.sum(s.batch_anchor_entries.c.count), 0)).where(
                        s.batch_anchor_entries.c.licence_id == licence_id
                    )
                ).scalar_one()
            views.append(
                LicenceView(
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
                    attested_prints=int(attested),
                    anchored_prints=int(anchored),
                    position=self._position(row, safe),
                )
            )
        return views

    def licence(self, licence_id: HexOrBytes) -> LicenceView | None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.licences).where(s.licences.c.licence_id == to_bytes(licence_id, 32))
            ).all()
            views = self._licence_views(conn, rows[:1], self._safe(conn))
        return views[0] if views else None

    def licences_by_hub(self, hub: HexOrBytes) -> list[LicenceView]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.licences)
                .where(s.licences.c.hub == to_bytes(hub, 20))
                .order_by(s.licences.c.block_number, s.licences.c.log_index)
            ).all()
            return self._licence_views(conn, rows, self._safe(conn))

    def licences_by_design(self, design_id: HexOrBytes) -> list[LicenceView]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.licences)
                .where(s.licences.c.design_id == to_bytes(design_id, 32))
                .order_by(s.licences.c.block_number, s.licences.c.log_index)
            ).all()
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
        p = s.prints
        cond = p.c.licence_id == to_bytes(licence_id, 32)
        return self._prints(cond, since, until, limit, offset)

    def prints_by_hub(
        self,
        hub: HexOrBytes,
        *,
        since: int | None = None,
        until: int | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[PrintRecord]:
        p = s.prints
        return self._prints(p.c.hub == to_bytes(hub, 20), since, until, limit, offset)

    def _prints(
        self, cond: Any, since: int | None, until: int | None, limit: int, offset: int
    ) -> list[PrintRecord]:
        p = s.prints
        if since is not None:
            cond = and_(cond, p.c.block_time >= since)
        if until is not None:
            cond = and_(cond, p.c.block_time <= until)
        query = (
            select(p)
            .where(cond)
            .order_by(p.c.block_time, p.c.block_number, p.c.log_index)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            safe = self._safe(conn)
            return [self._print(r, safe) for r in conn.execute(query)]

    def count_prints(
        self, licence_id: HexOrBytes, *, since: int | None = None, until: int | None = None
    ) -> int:
        p = s.prints
        cond = p.c.licence_id == to_bytes(licence_id, 32)
        if since is not None:
            cond = and_(cond, p.c.block_time >= since)
        if until is not None:
            cond = and_(cond, p.c.block_time <= until)
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(cond)).scalar_one())

    def prints_by_serial(
        self, serial: HexOrBytes, design_id: HexOrBytes | None = None
    ) -> list[PrintRecord]:
        p = s.prints
        cond = p.c.serial == to_bytes(serial, 32)
        if design_id is not None:
            cond = and_(cond, p.c.design_id == to_bytes(design_id, 32))
        with self.engine.connect() as conn:
            safe = self._safe(conn)
            rows = conn.execute(select(p).where(cond).order_by(p.c.block_number))
            return [self._print(r, safe) for r in rows]

    def provenance(
        self, serial: HexOrBytes, design_id: HexOrBytes | None = None
    ) -> list[Provenance]:
        """Every print with this serial (one per design) and its full history.

        ``serial`` is the on-chain serial (keccak256 of the serial number; see
        ``serial_hash``); give ``design_id`` to pick one design's print.
        """
        p = s.prints
        cond = p.c.serial == to_bytes(serial, 32)
        if design_id is not None:
            cond = and_(cond, p.c.design_id == to_bytes(design_id, 32))
        out = []
        with self.engine.connect() as conn:
            safe = self._safe(conn)
            for row in conn.execute(select(p).where(cond).order_by(p.c.block_number)).all():
                record = self._print(row, safe)
                m = row._mapping
                design = self._design(conn, m["design_id"], safe)
                licence_rows = conn.execute(
                    select(s.licences).where(s.licences.c.licence_id == m["licence_id"]).limit(1)
                ).all()
                licences = self._licence_views(conn, licence_rows, safe, counts=False)
                licence = licences[0] if licences else None
                qualification = None
                if licence is not None and licence.required_standard is not None:
                    found = self._qualifications(
                        conn, m["machine_id"], to_bytes(licence.required_standard), safe
                    )
                    qualification = found[0] if found else None
                inv = conn.execute(
                    select(s.print_invalidations)
                    .where(
                        s.print_invalidations.c.serial == m["serial"],
                        s.print_invalidations.c.design_id == m["design_id"],
                    )
                    .limit(1)
                ).one_or_none()
                invalidation = None
                if inv is not None:
                    im = inv._mapping
                    invalidation = InvalidationRecord(
                        invalidated_by=_h(im["invalidated_by"]),
                        reason_hash=_h(im["reason_hash"]),
                        refunded=bool(im["refunded"]),
                        position=self._position(inv, safe),
                    )
                out.append(
                    Provenance(
                        print=record,
                        design=design,
                        licence=licence,
                        hub=self._hub(conn, m["hub"], safe),
                        machine=self._machine(conn, m["machine_id"], safe),
                        qualification=qualification,
                        invalidation=invalidation,
                        design_recalled=design is not None and design.status == "recalled",
                    )
                )
        return out

    # -- roles ---------------------------------------------------------------------------
    def role_members(self, contract: HexOrBytes, role: HexOrBytes) -> list[str]:
        """Accounts holding ``role`` on ``contract`` per the indexed grants and revocations."""
        r = s.role_events
        rows = (
            select(r.c.kind, r.c.account)
            .where(r.c.contract == to_bytes(contract, 20), r.c.role == to_bytes(role, 32))
            .order_by(r.c.block_number, r.c.log_index)
        )
        members: dict[bytes, None] = {}
        with self.engine.connect() as conn:
            for kind, account in conn.execute(rows):
                if kind == "granted":
                    members[bytes(account)] = None
                elif kind == "revoked":
                    members.pop(bytes(account), None)
        return [_h(a) for a in members]
