"""Anchored leaves from the published batch documents.

A ``BatchAnchored`` log carries a Merkle root, the per-licence counts it debited and the SHA-256
of the batch document listing every leaf; the document itself lives in the blob store under that
hash. ``ingest_batch_documents`` reads the documents of the indexed anchors through an injected
reader (the index does not know the blob store or the document format: the SDK's
``read_batch_document`` fetches, hash-checks, parses and checks the leaves against the root),
checks them against the anchor as indexed (root, hub, licences and counts, one leaf per debited
slot) and stores every leaf in ``anchored_prints``; ``batch_documents`` records what became of
each anchor's document:

- ``ingested``: the leaves are in ``anchored_prints``;
- ``missing``: the reader could not get the document (not in the store, store unreachable);
  retried on later syncs;
- ``invalid``: the document does not parse, or does not match the anchor; final (the anchored
  hash commits to exactly these bytes), unless asked to retry.

An anchor without a ``batch_documents`` row has not been tried yet. Leaves hang off the anchor's
log position, so a reorg that removes the anchor removes them too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, and_, delete, insert, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from partledger.index import schema
from partledger.index.store import Store

INGESTED = "ingested"
MISSING = "missing"
INVALID = "invalid"
MAX_DETAIL = 500


class DocumentEntry(Protocol):
    """One licence's share of the batch, as the document lists it."""

    @property
    def licence_id(self) -> bytes: ...
    @property
    def design_id(self) -> bytes: ...
    @property
    def count(self) -> int: ...


class DocumentLeaf(Protocol):
    """One leaf: the five fields of the anchored print."""

    @property
    def licence_id(self) -> bytes: ...
    @property
    def serial(self) -> bytes: ...
    @property
    def machine_id(self) -> bytes: ...
    @property
    def material_lot_hash(self) -> bytes: ...
    @property
    def quality_report_hash(self) -> bytes: ...


class BatchDocument(Protocol):
    """What the reader returns (``partledger.sdk.batches.AnchoredBatch`` fits)."""

    @property
    def root(self) -> str: ...
    @property
    def hub(self) -> str: ...
    @property
    def entries(self) -> Sequence[DocumentEntry]: ...
    @property
    def records(self) -> Sequence[DocumentLeaf]: ...


DocumentReader = Callable[[str], BatchDocument]
"""Blob id (64 lowercase hex characters, the document hash) → the parsed, root-checked document.
Raises when it cannot: see ``is_missing`` for how errors are classified."""


def is_missing(exc: BaseException) -> bool:
    """Whether a reader error means "not available now" (retried) rather than "invalid".

    Not found, I/O and connection errors (``OSError``, ``LookupError``) are retried; anything
    else (a ``ValueError`` from parsing, a document that does not match its root) is final.
    """
    return isinstance(exc, OSError | LookupError)


@dataclass
class DocumentsReport:
    """What one ingestion pass did."""

    ingested: int = 0
    missing: int = 0
    invalid: int = 0
    leaves: int = 0
    skipped: int = 0
    """Anchors rolled back (by a reorg) while their document was being read."""

    @property
    def tried(self) -> int:
        return self.ingested + self.missing + self.invalid


@dataclass(frozen=True)
class _Anchor:
    block_number: int
    log_index: int
    block_hash: bytes
    root: bytes
    hub: bytes
    total: int
    document_hash: bytes | None
    attempts: int


class _Invalid(Exception):
    """The document does not match the anchor."""


def _h(value: bytes) -> str:
    return "0x" + value.hex()


def _pending(conn: Connection, statuses: Sequence[str]) -> list[_Anchor]:
    a, d = schema.batch_anchors.c, schema.batch_documents.c
    joined = schema.batch_anchors.outerjoin(
        schema.batch_documents,
        and_(d.block_number == a.block_number, d.log_index == a.log_index),
    )
    wanted: ColumnElement[bool] = d.status.is_(None)
    if statuses:
        wanted = or_(wanted, d.status.in_(list(statuses)))
    query = (
        select(
            a.block_number,
            a.log_index,
            a.block_hash,
            a.root,
            a.hub,
            a.total_prints,
            a.document_hash,
            d.attempts,
        )
        .select_from(joined)
        .where(wanted)
        .order_by(a.block_number, a.log_index)
    )
    return [
        _Anchor(
            int(r[0]),
            int(r[1]),
            bytes(r[2]),
            bytes(r[3]),
            bytes(r[4]),
            int(r[5]),
            None if r[6] is None else bytes(r[6]),
            int(r[7] or 0),
        )
        for r in conn.execute(query)
    ]


def _entries(conn: Connection, anchor: _Anchor) -> list[tuple[bytes, int]]:
    e = schema.batch_anchor_entries.c
    rows = conn.execute(
        select(e.licence_id, e.count)
        .where(e.block_number == anchor.block_number, e.log_index == anchor.log_index)
        .order_by(e.position)
    )
    return [(bytes(lid), int(n)) for lid, n in rows]


def _designs(conn: Connection, licence_ids: Sequence[bytes]) -> dict[bytes, bytes]:
    lic = schema.licences.c
    rows = conn.execute(
        select(lic.licence_id, lic.design_id).where(lic.licence_id.in_(list(set(licence_ids))))
    )
    return {bytes(lid): bytes(did) for lid, did in rows}


def _hex_bytes(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(str(value).removeprefix("0x").removeprefix("0X"))
    except ValueError:
        raise _Invalid(f"the document's {what} {value!r} is not hex") from None


def _leaves_of(
    anchor_root: bytes,
    anchor_hub: bytes,
    total: int,
    entries: Sequence[tuple[bytes, int]],
    designs: dict[bytes, bytes],
    document: BatchDocument,
) -> list[tuple[bytes, bytes, bytes, bytes, bytes, bytes]]:
    root = _hex_bytes(document.root, "root")
    if root != anchor_root:
        raise _Invalid(f"the document's root is {_h(root)}, the anchor's {_h(anchor_root)}")
    if document.hub:
        hub = _hex_bytes(document.hub, "hub")
        if hub != anchor_hub:
            raise _Invalid(f"the document names hub {_h(hub)}, the anchor was made by "
                           f"{_h(anchor_hub)}")  # fmt: skip
    listed = [(bytes(e.licence_id), int(e.count)) for e in document.entries]
    if listed != list(entries):
        raise _Invalid(
            "the document's entries (licence, count) differ from the anchor's: "
            + ", ".join(f"{_h(lid)} x {n}" for lid, n in listed)
        )
    for entry in document.entries:
        known = designs.get(bytes(entry.licence_id))
        if known is not None and known != bytes(entry.design_id):
            raise _Invalid(
                f"the document says licence {_h(bytes(entry.licence_id))} is for design "
                f"{_h(bytes(entry.design_id))}; it is for {_h(known)}"
            )
    records = list(document.records)
    if len(records) != total:
        raise _Invalid(f"the document lists {len(records)} leaves, the anchor debited {total}")
    entry_design = {bytes(e.licence_id): bytes(e.design_id) for e in document.entries}
    out = []
    slot = 0
    for licence_id, count in entries:
        design_id = designs.get(licence_id, entry_design[licence_id])
        for leaf in records[slot : slot + count]:
            if bytes(leaf.licence_id) != licence_id:
                raise _Invalid(
                    f"leaf {slot} names licence {_h(bytes(leaf.licence_id))}; the slot was "
                    f"debited from {_h(licence_id)}"
                )
            out.append(
                (
                    licence_id,
                    design_id,
                    bytes(leaf.serial),
                    bytes(leaf.machine_id),
                    bytes(leaf.material_lot_hash),
                    bytes(leaf.quality_report_hash),
                )
            )
            slot += 1
    return out


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:MAX_DETAIL]


def ingest_batch_documents(
    engine: Engine,
    read_document: DocumentReader,
    *,
    retry_missing: bool = True,
    retry_invalid: bool = False,
    missing: Callable[[BaseException], bool] = is_missing,
) -> DocumentsReport:
    """Read the batch documents of indexed anchors not ingested yet; store their leaves.

    Anchors never tried are always read; ``missing`` ones when ``retry_missing``, ``invalid``
    ones when ``retry_invalid`` (a store copy that was corrupted may have been restored).
    ``missing`` classifies a reader error as "not available now" (else the document is invalid).
    Each anchor is written in its own transaction, only if the anchor is still indexed (a reorg
    may have removed it while its document was read).
    """
    statuses = [s for s, on in ((MISSING, retry_missing), (INVALID, retry_invalid)) if on]
    report = DocumentsReport()
    store = Store(engine.dialect.name)
    with engine.connect() as conn:
        anchors = _pending(conn, statuses)
    for anchor in anchors:
        with engine.connect() as conn:
            entries = _entries(conn, anchor)
            designs = _designs(conn, [lid for lid, _ in entries])
        leaves: list[tuple[Any, ...]] = []
        if anchor.document_hash is None:
            status, detail = INVALID, "the anchor commits to no batch document (pre-2.0 event)"
        else:
            blob_id = anchor.document_hash.hex()
            try:
                document = read_document(blob_id)
                found = _leaves_of(anchor.root, anchor.hub, anchor.total, entries, designs,
                                   document)  # fmt: skip
            except _Invalid as exc:
                status, detail = INVALID, str(exc)[:MAX_DETAIL]
            except Exception as exc:  # the reader is injected: classify whatever it raises
                status = MISSING if missing(exc) else INVALID
                detail = f"document {blob_id}: {_detail(exc)}"
            else:
                status, detail = INGESTED, f"{len(found)} leaves"
                leaves = [
                    (anchor.block_number, anchor.log_index, i, anchor.root, anchor.hub, *leaf)
                    for i, leaf in enumerate(found)
                ]
        if not _write(engine, store, anchor, status, detail, leaves):
            report.skipped += 1
            continue
        if status == INGESTED:
            report.ingested += 1
            report.leaves += len(leaves)
        elif status == MISSING:
            report.missing += 1
        else:
            report.invalid += 1
    return report


def _write(
    engine: Engine,
    store: Store,
    anchor: _Anchor,
    status: str,
    detail: str,
    leaves: list[tuple[Any, ...]],
) -> bool:
    """Replace the anchor's leaves and status in one transaction; False if the anchor is gone.

    The first statement writes (SQLite: takes the database's write lock, so the check below
    sees the latest state); PostgreSQL locks the anchor row, so a concurrent reorg rollback
    (which deletes ``batch_anchors`` before ``anchored_prints``) waits and then removes these
    leaves too.
    """
    a, p, d = schema.batch_anchors.c, schema.anchored_prints.c, schema.batch_documents.c
    with engine.begin() as conn:
        conn.execute(
            delete(schema.anchored_prints).where(
                p.block_number == anchor.block_number, p.log_index == anchor.log_index
            )
        )
        current = conn.execute(
            select(a.block_hash)
            .where(a.block_number == anchor.block_number, a.log_index == anchor.log_index)
            .with_for_update()
        ).scalar_one_or_none()
        if current is None or bytes(current) != anchor.block_hash:
            return False
        if leaves:
            store.insert_rows(conn, {"anchored_prints": leaves})
        conn.execute(
            delete(schema.batch_documents).where(
                d.block_number == anchor.block_number, d.log_index == anchor.log_index
            )
        )
        conn.execute(
            insert(schema.batch_documents).values(
                block_number=anchor.block_number,
                log_index=anchor.log_index,
                root=anchor.root,
                document_hash=anchor.document_hash,
                status=status,
                detail=detail,
                attempts=anchor.attempts + 1,
                checked_at=int(time.time()),
            )
        )
    return True
