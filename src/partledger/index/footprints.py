"""Per-print carbon footprints from the prints' evidence blobs.

Every attestation commits to one blob by its SHA-256 (``qualityReportHash``). A print that
carries a carbon footprint commits to a print-evidence manifest naming the footprint document
(``partledger.sdk.print_evidence``); a print without one commits to its plain quality report.
``ingest_footprints`` reads the evidence of every indexed print (direct prints and anchored
leaves) with a nonzero hash through an injected ``FootprintReader`` (the index knows neither the
blob store nor the manifest format: the reader brings a blob reader and the manifest parser),
parses the footprint document (``partledger.carbon.parse_footprint_document``) and stores one
``print_footprints`` row per print, keyed by the print's position (``leaf_index`` -1 for a
direct print), with a status:

- ``ingested``: the figures are stored (baseline, actual, avoided, default-data kg, and the
  actual side's electricity, feedstock transport and last-mile components);
- ``none``: the evidence is a plain quality report, not a manifest: the print has no
  footprint (recorded so the blob is not read again);
- ``missing``: the evidence or the footprint document could not be read (not in the store,
  store unreachable); retried on later syncs;
- ``invalid``: a blob does not hash to its id, the manifest is malformed, or the footprint
  document does not parse; final (the on-chain hash commits to exactly these bytes), unless
  asked to retry (a corrupted store copy may have been restored).

A print without a row was not tried yet. Rows hang off the print's position, so a reorg that
removes the print (or its anchor) removes its footprint too. Each call does bounded work
(``limit`` prints); ``FootprintsReport.more`` tells that prints are left for the next call.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any, Final, Protocol

from sqlalchemy import Engine, and_, delete, literal, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from partledger.carbon.document import parse_footprint_document
from partledger.carbon.errors import CarbonError
from partledger.carbon.model import (
    COMPONENT_ELECTRICITY,
    COMPONENT_FEEDSTOCK,
    COMPONENT_LAST_MILE,
    Footprint,
)
from partledger.index import schema
from partledger.index.documents import is_missing
from partledger.index.store import Store

INGESTED: Final = "ingested"
NONE: Final = "none"
MISSING: Final = "missing"
INVALID: Final = "invalid"
DIRECT_LEAF: Final = -1
"""``leaf_index`` of a direct print (attested by its own log, not in an anchored batch)."""
MAX_EVIDENCE_BYTES: Final = 4096
"""A print-evidence manifest is at most this long; a longer blob is a plain quality report."""
MAX_FOOTPRINT_BYTES: Final = 1 << 20
MAX_DETAIL: Final = 500
DEFAULT_LIMIT: Final = 500
_ZERO: Final = bytes(32)

BlobReader = Callable[[str, int], bytes]
"""``(blob id, limit)`` → the blob's first ``limit + 1`` bytes (all of it when shorter).
Raises ``OSError``/``LookupError`` when the blob cannot be read now (see ``is_missing``). The
index checks the hash itself."""


class Evidence(Protocol):
    """What the manifest parser returns (``partledger.sdk.print_evidence.PrintEvidence``)."""

    @property
    def footprint(self) -> str: ...
    @property
    def quality_report(self) -> str | None: ...


EvidenceParser = Callable[[bytes], Evidence | None]
"""Blob bytes → the manifest, ``None`` for a plain quality report; raises ``ValueError`` for a
blob that claims to be a manifest but is malformed
(``partledger.sdk.print_evidence.parse_print_evidence``)."""


@dataclass(frozen=True)
class FootprintReader:
    """How the index reaches the prints' evidence: a blob reader and the manifest parser."""

    read: BlobReader
    parse_evidence: EvidenceParser


class _OpensBlobs(Protocol):
    def open(self, sha256: str, /) -> IO[bytes] | AbstractContextManager[IO[bytes]]: ...


def blob_reader(store: Any) -> BlobReader:
    """A ``BlobReader`` over any blob store with ``open(blob_id)`` (``partledger.storage``)."""

    def read(blob_id: str, limit: int) -> bytes:
        with store.open(blob_id) as blob:
            return bytes(blob.read(limit + 1))

    return read


def footprint_reader(store: Any, parse_evidence: EvidenceParser) -> FootprintReader:
    """The reader wired where the indexer meets the blob store, e.g.
    ``footprint_reader(ledger.store, parse_print_evidence)``."""
    return FootprintReader(blob_reader(store), parse_evidence)


@dataclass
class FootprintsReport:
    """What one ingestion pass did."""

    ingested: int = 0
    none: int = 0
    missing: int = 0
    invalid: int = 0
    skipped: int = 0
    """Prints rolled back (by a reorg) while their evidence was being read."""
    more: bool = False
    """Prints were left for the next pass (the pass read ``limit`` prints)."""

    @property
    def tried(self) -> int:
        return self.ingested + self.none + self.missing + self.invalid


@dataclass(frozen=True)
class _Print:
    block_number: int
    log_index: int
    leaf_index: int
    block_hash: bytes
    block_time: int
    serial: bytes
    design_id: bytes
    licence_id: bytes
    hub: bytes
    evidence_hash: bytes
    attempts: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.block_number, self.log_index, self.leaf_index)


@dataclass(frozen=True)
class _Outcome:
    status: str
    detail: str
    footprint_hash: bytes | None = None
    report_hash: bytes | None = None
    figures: tuple[Any, ...] = (None,) * 8


def _pending(conn: Connection, statuses: Sequence[str], limit: int) -> list[_Print]:
    f = schema.print_footprints.c
    p, ap, ba = schema.prints.c, schema.anchored_prints.c, schema.batch_anchors.c

    def wanted() -> ColumnElement[bool]:
        condition: ColumnElement[bool] = f.status.is_(None)
        if statuses:
            condition = or_(condition, f.status.in_(list(statuses)))
        return condition

    direct = (
        select(
            p.block_number,
            p.log_index,
            literal(DIRECT_LEAF).label("leaf_index"),
            p.block_hash,
            p.block_time,
            p.serial,
            p.design_id,
            p.licence_id,
            p.hub,
            p.quality_report_hash,
            f.attempts,
        )
        .select_from(
            schema.prints.outerjoin(
                schema.print_footprints,
                and_(
                    f.block_number == p.block_number,
                    f.log_index == p.log_index,
                    f.leaf_index == DIRECT_LEAF,
                ),
            )
        )
        .where(p.quality_report_hash != _ZERO, wanted())
        .order_by(p.block_number, p.log_index)
        .limit(limit)
    )
    anchored = (
        select(
            ap.block_number,
            ap.log_index,
            ap.leaf_index,
            ba.block_hash,
            ba.block_time,
            ap.serial,
            ap.design_id,
            ap.licence_id,
            ap.hub,
            ap.quality_report_hash,
            f.attempts,
        )
        .select_from(
            schema.anchored_prints.join(
                schema.batch_anchors,
                and_(ba.block_number == ap.block_number, ba.log_index == ap.log_index),
            ).outerjoin(
                schema.print_footprints,
                and_(
                    f.block_number == ap.block_number,
                    f.log_index == ap.log_index,
                    f.leaf_index == ap.leaf_index,
                ),
            )
        )
        .where(ap.quality_report_hash != _ZERO, wanted())
        .order_by(ap.block_number, ap.log_index, ap.leaf_index)
        .limit(limit)
    )
    found = [
        _Print(
            int(r[0]),
            int(r[1]),
            int(r[2]),
            bytes(r[3]),
            int(r[4]),
            bytes(r[5]),
            bytes(r[6]),
            bytes(r[7]),
            bytes(r[8]),
            bytes(r[9]),
            int(r[10] or 0),
        )
        for query in (direct, anchored)
        for r in conn.execute(query)
    ]
    found.sort(key=lambda x: x.key)
    return found


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def figures(footprint: Footprint) -> tuple[Any, ...]:
    """The stored figures of a footprint: baseline, actual, avoided, default-data kg,
    electricity, feedstock and last-mile kg (actual side), factor-set version."""
    parts = {c.name: c.kg_co2e for c in footprint.components if c.side == "actual"}
    total = footprint.baseline_kg_co2e + footprint.actual_kg_co2e
    return (
        footprint.baseline_kg_co2e,
        footprint.actual_kg_co2e,
        footprint.avoided_kg_co2e,
        footprint.default_share * total,
        parts.get(COMPONENT_ELECTRICITY, 0.0),
        parts.get(COMPONENT_FEEDSTOCK, 0.0),
        parts.get(COMPONENT_LAST_MILE, 0.0),
        footprint.factor_set_version,
    )


def _read(
    reader: FootprintReader,
    blob_id: str,
    limit: int,
    what: str,
    missing: Callable[[BaseException], bool],
) -> bytes | _Outcome:
    try:
        return reader.read(blob_id, limit)
    except Exception as exc:  # the reader is injected: classify whatever it raises
        status = MISSING if missing(exc) else INVALID
        return _Outcome(status, f"{what} {blob_id}: {_detail(exc)}")


def _evaluate(
    reader: FootprintReader,
    evidence_hash: bytes,
    *,
    missing: Callable[[BaseException], bool] = is_missing,
) -> _Outcome:
    """Read and check one print's evidence and footprint document."""
    evidence_id = evidence_hash.hex()
    head = _read(reader, evidence_id, MAX_EVIDENCE_BYTES, "evidence", missing)
    if isinstance(head, _Outcome):
        return head
    if len(head) > MAX_EVIDENCE_BYTES:
        return _Outcome(NONE, "a quality report (longer than any print-evidence manifest)")
    if hashlib.sha256(head).hexdigest() != evidence_id:
        return _Outcome(INVALID, f"evidence {evidence_id}: the stored bytes do not match the hash")
    try:
        evidence = reader.parse_evidence(head)
    except Exception as exc:
        return _Outcome(INVALID, f"evidence {evidence_id}: {_detail(exc)}")
    if evidence is None:
        return _Outcome(NONE, "a quality report (no footprint)")
    footprint_id = str(evidence.footprint)
    report_id = evidence.quality_report
    try:
        footprint_hash = bytes.fromhex(footprint_id)
        report_hash = None if report_id is None else bytes.fromhex(str(report_id))
        if len(footprint_hash) != 32 or (report_hash is not None and len(report_hash) != 32):
            raise ValueError("not 32 bytes")
    except ValueError:
        return _Outcome(INVALID, f"evidence {evidence_id}: a document id is not a SHA-256")
    document = _read(reader, footprint_id, MAX_FOOTPRINT_BYTES, "footprint document", missing)
    if isinstance(document, _Outcome):
        return _Outcome(document.status, document.detail, footprint_hash, report_hash)
    if len(document) > MAX_FOOTPRINT_BYTES:
        return _Outcome(
            INVALID,
            f"footprint document {footprint_id}: longer than {MAX_FOOTPRINT_BYTES} bytes",
            footprint_hash,
            report_hash,
        )
    if hashlib.sha256(document).digest() != footprint_hash:
        return _Outcome(
            INVALID,
            f"footprint document {footprint_id}: the stored bytes do not match the hash",
            footprint_hash,
            report_hash,
        )
    try:
        footprint = parse_footprint_document(document)
    except CarbonError as exc:
        return _Outcome(
            INVALID,
            f"footprint document {footprint_id}: {_detail(exc)}",
            footprint_hash,
            report_hash,
        )
    return _Outcome(
        INGESTED, footprint.factor_set_version, footprint_hash, report_hash, figures(footprint)
    )


def ingest_footprints(
    engine: Engine,
    reader: FootprintReader,
    *,
    retry_missing: bool = True,
    retry_invalid: bool = False,
    limit: int = DEFAULT_LIMIT,
    missing: Callable[[BaseException], bool] = is_missing,
) -> FootprintsReport:
    """Read the evidence of up to ``limit`` indexed prints not read yet; store their footprints.

    Prints never tried are always read; ``missing`` ones when ``retry_missing``, ``invalid``
    ones when ``retry_invalid``. The pass's rows are written in one transaction, each only if
    its print is still indexed (a reorg may have removed it while its evidence was read).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    statuses = [s for s, on in ((MISSING, retry_missing), (INVALID, retry_invalid)) if on]
    report = FootprintsReport()
    with engine.connect() as conn:
        found = _pending(conn, statuses, limit + 1)
    report.more = len(found) > limit
    found = found[:limit]
    if not found:
        return report
    outcomes: dict[bytes, _Outcome] = {}
    rows: list[tuple[_Print, _Outcome]] = []
    for item in found:
        outcome = outcomes.get(item.evidence_hash)
        if outcome is None:
            outcome = _evaluate(reader, item.evidence_hash, missing=missing)
            if outcome.status != MISSING:  # a missing blob may appear within the pass
                outcomes[item.evidence_hash] = outcome
        rows.append((item, outcome))
    written = _write(engine, rows)
    for item, outcome in rows:
        if item.key not in written:
            report.skipped += 1
        elif outcome.status == INGESTED:
            report.ingested += 1
        elif outcome.status == NONE:
            report.none += 1
        elif outcome.status == MISSING:
            report.missing += 1
        else:
            report.invalid += 1
    return report


def _write(engine: Engine, rows: list[tuple[_Print, _Outcome]]) -> set[tuple[int, int, int]]:
    """Replace the rows of these prints in one transaction; the keys written.

    The first statement writes (SQLite: takes the database's write lock, so the check below
    sees the latest state); PostgreSQL locks the prints' (or anchors') rows, so a concurrent
    reorg rollback (which deletes ``prints`` and ``batch_anchors`` before ``print_footprints``)
    waits and then removes these rows too.
    """
    f, p = schema.print_footprints.c, schema.prints.c
    ap, ba = schema.anchored_prints.c, schema.batch_anchors.c
    keys = [item.key for item, _ in rows]
    direct = [(b, i) for b, i, leaf in keys if leaf == DIRECT_LEAF]
    anchored = [k for k in keys if k[2] != DIRECT_LEAF]
    now = int(time.time())
    store = Store(engine.dialect.name)
    with engine.begin() as conn:
        conn.execute(
            delete(schema.print_footprints).where(
                tuple_(f.block_number, f.log_index, f.leaf_index).in_(keys)
            )
        )
        current: dict[tuple[int, int, int], bytes] = {}
        if direct:
            for d in conn.execute(
                select(p.block_number, p.log_index, p.block_hash)
                .where(tuple_(p.block_number, p.log_index).in_(direct))
                .with_for_update()
            ):
                current[(int(d[0]), int(d[1]), DIRECT_LEAF)] = bytes(d[2])
        if anchored:
            for r in conn.execute(
                select(ap.block_number, ap.log_index, ap.leaf_index, ba.block_hash)
                .select_from(
                    schema.anchored_prints.join(
                        schema.batch_anchors,
                        and_(ba.block_number == ap.block_number, ba.log_index == ap.log_index),
                    )
                )
                .where(tuple_(ap.block_number, ap.log_index, ap.leaf_index).in_(anchored))
                .with_for_update()
            ):
                current[(int(r[0]), int(r[1]), int(r[2]))] = bytes(r[3])
        out: list[tuple[Any, ...]] = []
        for item, outcome in rows:
            if current.get(item.key) != item.block_hash:
                continue
            out.append(
                (
                    item.block_number,
                    item.log_index,
                    item.leaf_index,
                    item.block_time,
                    item.serial,
                    item.design_id,
                    item.licence_id,
                    item.hub,
                    item.evidence_hash,
                    outcome.footprint_hash,
                    outcome.report_hash,
                    *outcome.figures,
                    outcome.status,
                    outcome.detail[:MAX_DETAIL],
                    item.attempts + 1,
                    now,
                )
            )
        if out:
            store.insert_rows(conn, {"print_footprints": out})
    return {(int(r[0]), int(r[1]), int(r[2])) for r in out}
