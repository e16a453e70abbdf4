"""The append-only, hash-chained log of container downloads and key releases.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's
canonical JSON, so deleting, reordering or altering any entry breaks every hash
after it; ``verify`` walks the chain and names the first broken entry. Entries
are appended by one writer at a time: a lock in-process and, on PostgreSQL, a
transaction-scoped advisory lock, so replicas sharing the database append in turn
(``seq`` is the primary key besides, so a racing writer would fail rather than fork).

The chain alone cannot show entries cut off its end, so the head is anchored
on-chain from time to time: a transaction whose calldata is ``b"PLAL"`` + seq (8
bytes) + head hash (32 bytes). ``verify`` then also requires every anchored head
to still be in the log, and ``verify_anchors_on_chain`` re-reads the anchoring
transactions.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, text

from partledger.api.services.db import access_anchors, access_log
from partledger.chain.tx import TxSender

GENESIS = "0" * 64
ANCHOR_MAGIC = b"PLAL"
APPEND_LOCK = 0x504C414C  # "PLAL": pg_advisory_xact_lock key serialising appends


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: int
    account: str
    action: str  # container | key
    design_id: str
    licence_id: str | None
    hub: str | None
    oem: str
    blob: str
    bytes: int
    complete: bool
    client: str
    request_id: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    ok: bool
    first_broken_seq: int | None
    head_hash: str
    anchored_seq: int | None = None


@dataclass(frozen=True)
class Anchor:
    """A log head committed on-chain."""

    seq: int
    head_hash: str
    tx_hash: str
    block_number: int
    at: int


def anchor_calldata(seq: int, head_hash: str) -> bytes:
    """What an anchoring transaction carries: magic, seq, head hash."""
    return ANCHOR_MAGIC + seq.to_bytes(8, "big") + bytes.fromhex(head_hash)


_HASHED = (
    "seq", "at", "account", "action", "design_id", "licence_id", "hub", "oem", "blob",
    "bytes", "complete", "client", "request_id",
)  # fmt: skip


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps({k: fields[k] for k in _HASHED}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(bytes.fromhex(prev_hash) + body.encode()).hexdigest()


class AccessLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()

    def append(
        self,
        *,
        account: str,
        action: str,
        design_id: str,
        licence_id: str | None,
        hub: str | None,
        oem: str,
        blob: str,
        size: int,
        complete: bool,
        client: str,
        request_id: str,
    ) -> AccessEntry:
        with self._lock, self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # replicas: one appender at a time
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK})
            last = conn.execute(
                select(access_log.c.seq, access_log.c.entry_hash)
                .order_by(access_log.c.seq.desc())
                .limit(1)
            ).one_or_none()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            fields: dict[str, Any] = {
                "seq": seq,
                "at": int(time.time()),
                "account": account,
                "action": action,
                "design_id": design_id,
                "licence_id": licence_id,
                "hub": hub,
                "oem": oem,
                "blob": blob,
                "bytes": size,
                "complete": complete,
                "client": client[:128],
                "request_id": request_id[:64],
            }
            digest = entry_hash(prev, fields)
            conn.execute(insert(access_log).values(**fields, prev_hash=prev, entry_hash=digest))
        return AccessEntry(**fields, prev_hash=prev, entry_hash=digest)

    def entries(
        self, *, oem: str | None = None, hub: str | None = None, after: int = 0, limit: int = 100
    ) -> list[AccessEntry]:
        """Entries about ``oem``'s designs or ``hub``'s licences (either matches)."""
        query = select(access_log).where(access_log.c.seq > after)
        conds = []
        if oem is not None:
            conds.append(access_log.c.oem == oem)
        if hub is not None:
            conds.append(access_log.c.hub == hub)
        if conds:
            query = query.where(or_(*conds))
        query = query.order_by(access_log.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [AccessEntry(**dict(row._mapping)) for row in conn.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(access_log)).scalar_one())

    def verify(self) -> ChainCheck:
        """Walk the whole chain; the first entry whose hash or link does not match is named,
        and every anchored head must still be in the log (nothing cut off the end)."""
        prev = GENESIS
        expected_seq = 1
        count = 0
        hashes: dict[int, str] = {}
        anchors = self.anchors()
        anchored_seq = anchors[-1].seq if anchors else None
        with self.engine.connect() as conn:
            for row in conn.execute(select(access_log).order_by(access_log.c.seq)):
                entry = AccessEntry(**dict(row._mapping))
                fields = asdict(entry)
                if (
                    entry.seq != expected_seq
                    or entry.prev_hash != prev
                    or entry_hash(prev, fields) != entry.entry_hash
                ):
                    return ChainCheck(count, False, expected_seq, prev, anchored_seq)
                prev = entry.entry_hash
                hashes[entry.seq] = prev
                expected_seq += 1
                count += 1
        for anchor in anchors:
            if hashes.get(anchor.seq) != anchor.head_hash:
                return ChainCheck(count, False, anchor.seq, prev, anchored_seq)
        return ChainCheck(count, True, None, prev, anchored_seq)

    # -- anchoring ------------------------------------------------------------------------
    def head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the newest entry."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(access_log.c.seq, access_log.c.entry_hash)
                .order_by(access_log.c.seq.desc())
                .limit(1)
            ).one_or_none()
        return (int(row[0]), str(row[1])) if row else None

    def anchors(self) -> list[Anchor]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(access_anchors).order_by(access_anchors.c.seq))
            return [Anchor(**dict(r._mapping)) for r in rows]

    def anchor(self, sender: TxSender) -> Anchor | None:
        """Commit the current head on-chain if it moved since the last anchor."""
        head = self.head()
        anchors = self.anchors()
        if head is None or (anchors and anchors[-1].seq >= head[0]):
            return None
        seq, head_hash = head
        sent = sender.send(
            {"to": sender.address, "value": 0, "data": anchor_calldata(seq, head_hash)}
        )
        anchor = Anchor(seq, head_hash, sent.tx_hash, sent.block_number, int(time.time()))
        with self.engine.begin() as conn:
            conn.execute(insert(access_anchors).values(**asdict(anchor)))
        return anchor

    def verify_anchors_on_chain(self, sender: TxSender) -> list[int]:
        """Seqs of anchors whose transaction is missing, failed or carries other data."""
        bad = []
        for anchor in self.anchors():
            try:
                tx = sender.w3.eth.get_transaction(anchor.tx_hash)  # type: ignore[arg-type]
                receipt = sender.w3.eth.get_transaction_receipt(anchor.tx_hash)  # type: ignore[arg-type]
                ok = (
                    bytes(tx["input"]) == anchor_calldata(anchor.seq, anchor.head_hash)
                    and receipt["status"] == 1
                    and tx["from"] == sender.address
                )
            except Exception:
                ok = False
            if not ok:
                bad.append(anchor.seq)
        return bad
