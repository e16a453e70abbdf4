"""The reconciler's checks: each reads chain, index, store or journal and returns findings.

Checks only read. Blob ids are bare lowercase hex SHA-256 (the store's names);
on-chain hashes are the same 32 bytes.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select, union_all
from web3 import Web3

from partledger.index import schema
from partledger.index.documents import (
    INVALID,
    MISSING,
    DocumentsReport,
    ingest_batch_documents,
    is_missing,
)
from partledger.index.footprints import INVALID as FOOTPRINT_INVALID
from partledger.index.footprints import MISSING as FOOTPRINT_MISSING
from partledger.index.footprints import FootprintsReport, footprint_reader, ingest_footprints
from partledger.index.rpc import JsonRpc
from partledger.index.store import Store
from partledger.reconcile.findings import Finding, Severity
from partledger.reconcile.tail import unindexed_references
from partledger.sdk.baseline import InvalidBaselineDeclaration, read_baseline_declaration
from partledger.sdk.batches import read_batch_document
from partledger.sdk.ledger import REGISTRY, Ledger
from partledger.sdk.print_evidence import parse_print_evidence
from partledger.storage import BlobCorruptedError, BlobNotFoundError, StorageError, blob_digest

ZERO = b"\x00" * 32
MERKLE_BATCH_KIND = b'"kind": "partledger/merkle-batch/v1"'


@dataclass(frozen=True)
class Options:
    """How deep and how patient the checks are."""

    deep: bool = True
    """Re-hash every blob (finds flipped bytes); False checks existence only."""
    orphan_grace: timedelta = timedelta(hours=1)
    pending_age: timedelta = timedelta(minutes=10)
    max_index_lag: int = 50


def _hex(value: bytes) -> str:
    return bytes(value).hex()


def blob_state(ledger: Ledger, blob_id: str, deep: bool) -> str:
    """``ok``, ``missing`` or ``corrupted`` (the bytes hash to something else)."""
    try:
        if not deep:
            return "ok" if ledger.store.exists(blob_id) else "missing"
        actual = blob_digest(ledger.store, blob_id)
    except (BlobNotFoundError, FileNotFoundError):
        return "missing"
    return "ok" if actual == blob_id else "corrupted"


def _blob_finding(
    check: str, state: str, severity: Severity, what: str, blob_id: str, ids: dict[str, str]
) -> Finding:
    return Finding(
        check=f"{check}.{state}",
        severity=severity,
        message=f"{what} blob {blob_id} is {state}",
        ids={**ids, "blob": blob_id},
        repairable=state == "corrupted",  # quarantined; restored if a good copy appears
    )


def check_design_blobs(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Every registered design's container and metadata are in the store and intact."""
    d = schema.designs.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.design_id, d.container_hash, d.metadata_hash)).all()
    findings = []
    for design_id, container, metadata in rows:
        ids = {"design": "0x" + _hex(design_id)}
        for what, value, severity in (
            ("container", container, Severity.CRITICAL),
            ("metadata", metadata, Severity.ERROR),
        ):
            state = blob_state(ledger, _hex(value), options.deep)
            if state != "ok":
                findings.append(
                    _blob_finding(f"design.{what}", state, severity, what, _hex(value), ids)
                )
    return findings


def check_licence_blobs(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Every licence's wrapped key and (current) terms are in the store and intact."""
    lic, ev = schema.licences.c, schema.licence_events.c
    with engine.connect() as conn:
        issued = conn.execute(select(lic.licence_id, lic.wrapped_key_hash, lic.terms_hash)).all()
        amended = conn.execute(
            select(ev.licence_id, ev.terms_hash).where(ev.terms_hash.is_not(None))
        ).all()
    wanted: dict[tuple[str, str], str] = {}
    for licence_id, wrapped, terms in issued:
        wanted[("wrapped_key", _hex(wrapped))] = "0x" + _hex(licence_id)
        wanted[("terms", _hex(terms))] = "0x" + _hex(licence_id)
    for licence_id, terms in amended:
        if bytes(terms) != ZERO:
            wanted[("terms", _hex(terms))] = "0x" + _hex(licence_id)
    findings = []
    for (what, blob_id), licence_id in sorted(wanted.items()):
        state = blob_state(ledger, blob_id, options.deep)
        if state != "ok":
            findings.append(
                _blob_finding(
                    f"licence.{what}",
                    state,
                    Severity.ERROR,
                    what.replace("_", " "),
                    blob_id,
                    {"licence": licence_id},
                )
            )
    return findings


def check_quality_reports(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Attestations (direct, and anchored leaves) whose quality-report blob is missing or does
    not match its hash."""
    p, ap = schema.prints.c, schema.anchored_prints.c
    rows: list[tuple[bytes, bytes, bytes, dict[str, str]]]
    with engine.connect() as conn:
        rows = [
            (licence_id, serial, report, {})
            for licence_id, serial, report in conn.execute(
                select(p.licence_id, p.serial, p.quality_report_hash).where(
                    p.quality_report_hash != ZERO
                )
            )
        ]
        rows += [
            (licence_id, serial, report, {"root": "0x" + _hex(root), "leaf": str(leaf)})
            for licence_id, serial, report, root, leaf in conn.execute(
                select(
                    ap.licence_id, ap.serial, ap.quality_report_hash, ap.root, ap.leaf_index
                ).where(ap.quality_report_hash != ZERO)
            )
        ]
    findings = []
    for licence_id, serial, report, where in rows:
        state = blob_state(ledger, _hex(report), options.deep)
        if state != "ok":
            findings.append(
                _blob_finding(
                    "print.quality_report",
                    state,
                    Severity.WARNING,
                    "quality report",
                    _hex(report),
                    {"licence": "0x" + _hex(licence_id), "serial": "0x" + _hex(serial), **where},
                )
            )
    return findings


def referenced_blobs(ledger: Ledger, engine: Engine) -> set[str]:
    """Every blob id something refers to: on-chain hashes, the journal's keys and intents."""
    columns = [
        schema.designs.c.container_hash,
        schema.designs.c.metadata_hash,
        schema.licences.c.wrapped_key_hash,
        schema.licences.c.terms_hash,
        schema.licence_events.c.terms_hash,
        schema.prints.c.quality_report_hash,
        schema.batch_anchors.c.document_hash,
        schema.anchored_prints.c.quality_report_hash,
        # the documents a print-evidence manifest names
        schema.print_footprints.c.footprint_hash,
        schema.print_footprints.c.report_hash,
    ]
    referenced: set[str] = set()
    with engine.connect() as conn:
        for column in columns:
            referenced |= {_hex(v) for (v,) in conn.execute(select(column).distinct()) if v}
    referenced |= ledger.journal.referenced_blobs()
    return referenced


def _anchored_roots(engine: Engine) -> set[bytes]:
    """Roots of anchors (batch documents of anchors without a document hash, emitted before
    PrintLedger 2.0, are recognised by their root)."""
    with engine.connect() as conn:
        return {bytes(r) for (r,) in conn.execute(select(schema.batch_anchors.c.root))}


def _is_anchored_batch(ledger: Ledger, blob_id: str, roots: set[bytes]) -> bool:
    """Merkle batch documents are referenced through their anchored root."""
    try:
        with ledger.store.open(blob_id) as blob:
            data = blob.read(64 * 1024 * 1024)
    except (BlobNotFoundError, FileNotFoundError):
        return False
    if MERKLE_BATCH_KIND not in data[:4096] and b"merkle-batch" not in data[:4096]:
        return False
    try:
        root = bytes.fromhex(json.loads(data)["root"].removeprefix("0x"))
    except (ValueError, KeyError, TypeError):
        return False
    return root in roots


def _is_baseline_declaration(ledger: Ledger, blob_id: str) -> bool:
    """A design's carbon baseline, signed by its current owner, is referenced by the design
    (licence terms name it, but they are sealed: the reconciler recognises the public,
    signed declaration and asks the chain who owns the design)."""
    try:
        declaration = read_baseline_declaration(ledger.store, blob_id)
        owner = ledger.view(REGISTRY, "design", bytes.fromhex(declaration.design_id[2:]))[0]
    except (InvalidBaselineDeclaration, StorageError, OSError, ValueError):
        return False
    return str(owner).lower() == declaration.declared_by.lower()


def check_orphans(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Blobs nothing refers to, older than the grace period (e.g. a crash before registering).

    References come from the index and from the logs of the blocks it does not hold yet
    (``reconcile.tail``); an index too far behind to read those is no basis to judge by."""
    tail = unindexed_references(ledger, engine, options.max_index_lag)
    if tail is None:
        skipped = Finding(
            "blob.orphan_check_skipped",
            Severity.INFO,
            f"orphans not checked: the index is empty or more than {options.max_index_lag} "
            "blocks behind the chain head (sync it first)",
        )
        return [skipped, *abandoned_uploads(ledger, options)]
    referenced = referenced_blobs(ledger, engine) | tail
    roots = _anchored_roots(engine)
    now = time.time()
    findings = []
    for blob_id in ledger.store.list():
        if blob_id in referenced:
            continue
        age = now - _mtime(ledger, blob_id, now)
        if age < options.orphan_grace.total_seconds():
            continue
        if _is_anchored_batch(ledger, blob_id, roots):
            continue
        if _is_baseline_declaration(ledger, blob_id):
            continue
        findings.append(
            Finding(
                "blob.orphan",
                Severity.WARNING,
                f"blob {blob_id} is referenced by nothing on-chain or in the journal "
                f"({age / 3600:.1f} h old)",
                {"blob": blob_id},
                repairable=True,
            )
        )
    return findings + abandoned_uploads(ledger, options)


def abandoned_uploads(ledger: Ledger, options: Options) -> list[Finding]:
    """Uploads a crashed writer never finished (stores that keep them: S3): space held by
    nothing visible, older than the orphan grace period."""
    list_abandoned = getattr(ledger.store, "abandoned_uploads", None)
    if list_abandoned is None:
        return []
    now = time.time()
    return [
        Finding(
            "blob.abandoned_upload",
            Severity.WARNING,
            f"{upload.kind.replace('_', ' ')} {upload.key} abandoned by its writer "
            f"({(now - upload.started_at) / 3600:.1f} h old)",
            {"upload": upload.key, **({"upload_id": upload.upload_id} if upload.upload_id else {})},
            repairable=True,
        )
        for upload in list_abandoned(options.orphan_grace.total_seconds())
    ]


def _mtime(ledger: Ledger, blob_id: str, default: float) -> float:
    modified_at = getattr(ledger.store, "modified_at", None)  # stores without paths (S3)
    if modified_at is not None:
        try:
            return float(modified_at(blob_id))
        except OSError:
            return default
    path_of = getattr(ledger.store, "path_of", None)
    if path_of is None:
        return 0.0  # unknown age: treat as old
    try:
        return float(path_of(blob_id).stat().st_mtime)
    except OSError:
        return default


def check_pending_intents(ledger: Ledger, options: Options) -> list[Finding]:
    """SDK operations interrupted (crash) and not recovered for a while."""
    return [
        Finding(
            "journal.pending",
            Severity.WARNING,
            f"{intent.kind} by {intent.account} stuck in state {intent.state!r} since "
            f"{intent.updated_at.isoformat(timespec='seconds')}",
            {"intent": intent.id, "account": intent.account},
            repairable=True,
        )
        for intent in ledger.journal.pending(older_than=options.pending_age)
    ]


def check_index_head(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """The index's last block is still the chain's, and the index is not far behind."""
    with engine.connect() as conn:
        state = Store(engine.dialect.name).load_state(conn)
    if state is None:
        return [
            Finding(
                "index.empty",
                Severity.ERROR,
                "the index has never synced",
                repairable=True,
            )
        ]
    findings = []
    chain_block = ledger.w3.eth.get_block(state.last_block)
    if state.last_hash is not None and bytes(chain_block["hash"]) != state.last_hash:
        findings.append(
            Finding(
                "index.head_diverged",
                Severity.ERROR,
                f"the index holds block {state.last_block} as 0x{state.last_hash.hex()}, "
                f"the chain has 0x{bytes(chain_block['hash']).hex()} (a reorg not yet seen)",
                {"block": str(state.last_block)},
                repairable=True,
            )
        )
    lag = ledger.w3.eth.block_number - state.last_block
    if lag > options.max_index_lag:
        findings.append(
            Finding(
                "index.lagging",
                Severity.WARNING,
                f"the index is {lag} blocks behind the chain head",
                {"block": str(state.last_block)},
                repairable=True,
            )
        )
    return findings


def indexed_positions(engine: Engine, up_to: int) -> Counter[tuple[int, int]]:
    """(block, log index) of every indexed log up to block ``up_to``."""
    selects = [
        select(t.c.block_number, t.c.log_index).where(t.c.block_number <= up_to)
        for t in schema.LOG_TABLES
    ]
    with engine.connect() as conn:
        return Counter((int(b), int(i)) for b, i in conn.execute(union_all(*selects)))


def chain_positions(ledger: Ledger, start: int, end: int) -> dict[tuple[int, int], str]:
    """(block, log index) → tx hash of every ledger log in ``[start, end]``, read from the node."""
    addresses = [c.address for c in ledger.deployment.contracts.values()]
    found: dict[tuple[int, int], str] = {}
    rpc = JsonRpc(ledger.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    try:
        for low in range(start, end + 1, 5000):
            for log in rpc.get_logs(addresses, low, min(end, low + 4999)):
                position = (int(log["blockNumber"], 16), int(log["logIndex"], 16))
                found[position] = log["transactionHash"]
    finally:
        rpc.close()
    return found


def check_index_events(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Every ledger log up to the index's last block is indexed exactly once."""
    with engine.connect() as conn:
        state = Store(engine.dialect.name).load_state(conn)
    if state is None:
        return []
    on_chain = chain_positions(ledger, state.start_block, state.last_block)
    indexed = indexed_positions(engine, state.last_block)
    findings = []
    missing = sorted(set(on_chain) - set(indexed))
    if missing:
        findings.append(
            Finding(
                "index.missing_events",
                Severity.ERROR,
                f"{len(missing)} ledger events are on-chain but not in the index "
                f"(first at block {missing[0][0]}, log {missing[0][1]})",
                {"first_block": str(missing[0][0]), "count": str(len(missing))},
                repairable=True,
            )
        )
    extra = sorted(set(indexed) - set(on_chain))
    duplicated = [pos for pos, n in indexed.items() if n > 1]
    if extra or duplicated:
        first = (extra or duplicated)[0]
        findings.append(
            Finding(
                "index.unknown_events",
                Severity.ERROR,
                f"{len(extra)} indexed events are not on-chain and {len(duplicated)} are "
                f"indexed twice (first at block {first[0]}, log {first[1]})",
                {"first_block": str(first[0])},
                repairable=True,
            )
        )
    return findings


def indexed_print_counts(engine: Engine) -> dict[bytes, int]:
    """Prints debited per licence according to the index, as the contract counts ``printed``:
    attested + anchored - refunded (invalidations that refunded, and ``PrintRefunded``)."""
    p, a = schema.prints.c, schema.batch_anchor_entries.c
    inv, ref = schema.print_invalidations.c, schema.print_refunds.c
    counts: Counter[bytes] = Counter()
    with engine.connect() as conn:
        for licence_id, n in conn.execute(
            select(p.licence_id, func.count()).group_by(p.licence_id)
        ):
            counts[bytes(licence_id)] += int(n)
        for licence_id, n in conn.execute(
            select(a.licence_id, func.sum(a.count)).group_by(a.licence_id)
        ):
            counts[bytes(licence_id)] += int(n)
        refunded = select(inv.licence_id, func.count()).where(inv.refunded.is_(True))
        for licence_id, n in conn.execute(refunded.group_by(inv.licence_id)):
            counts[bytes(licence_id)] -= int(n)
        for licence_id, n in conn.execute(
            select(ref.licence_id, func.count()).group_by(ref.licence_id)
        ):
            counts[bytes(licence_id)] -= int(n)
        for (licence_id,) in conn.execute(select(schema.licences.c.licence_id)):
            counts.setdefault(bytes(licence_id), 0)
    return dict(counts)


def check_print_counts(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Each licence's printed count on-chain equals what the index counts."""
    counts = indexed_print_counts(engine)
    on_chain = _chain_printed(ledger, list(counts))
    findings = []
    for licence_id, expected in sorted(counts.items()):
        actual = on_chain[licence_id]
        if actual != expected:
            findings.append(
                Finding(
                    "index.print_count",
                    Severity.ERROR,
                    f"licence 0x{licence_id.hex()} has {actual} prints on-chain, "
                    f"the index counts {expected}",
                    {"licence": "0x" + licence_id.hex()},
                    repairable=True,
                )
            )
    return findings


def _chain_printed(ledger: Ledger, licence_ids: Iterable[bytes]) -> dict[bytes, int]:
    """``licence(id).printed`` for many licences: raw ``eth_call`` in JSON-RPC batches.

    ``Licence`` is an all-static struct, so ``printed`` is the third 32-byte word.
    """
    address = ledger.deployment.address("PrintLedger")
    selector = bytes(Web3.keccak(text="licence(bytes32)"))[:4].hex()
    ids = list(licence_ids)
    out: dict[bytes, int] = {}
    rpc = JsonRpc(ledger.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    try:
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            calls = [[{"to": address, "data": f"0x{selector}{i.hex()}"}, "latest"] for i in chunk]
            for licence_id, result in zip(chunk, rpc.batch("eth_call", calls), strict=True):
                out[licence_id] = int(result[2 + 2 * 64 : 2 + 3 * 64], 16)
    finally:
        rpc.close()
    return out


# -- anchored batches: their documents, and the serial rule -------------------------------------
def _document_missing(exc: BaseException) -> bool:
    """A stored copy that no longer hashes to the anchored hash counts as missing: the document
    comes back when an intact copy is restored."""
    return is_missing(exc) or isinstance(exc, BlobCorruptedError)


def refresh_batch_documents(ledger: Ledger, engine: Engine) -> DocumentsReport:
    """Bring the index's anchored leaves up to date with the blob store before the checks that
    use them: documents not read yet, missing or invalid are read (again).

    This writes derived rows only (``anchored_prints``, ``batch_documents``), exactly what an
    indexer with a blob store would have written; an index synced without one catches up here.
    """
    store = ledger.store
    return ingest_batch_documents(
        engine,
        lambda blob: read_batch_document(store, blob),
        retry_missing=True,
        retry_invalid=True,
        missing=_document_missing,
    )


def check_batch_documents(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Every anchor's published batch document is in the store and matches the anchor.

    Without the document nobody can show which parts an anchor's debited slots hold, nor check
    their serials: the anchored prints are unverifiable. Neither case is repairable here (only
    the hub that anchored the batch holds the document; the chain commits to its hash).
    """
    b, d = schema.batch_anchors.c, schema.batch_documents.c
    joined = schema.batch_anchors.outerjoin(
        schema.batch_documents,
        (d.block_number == b.block_number) & (d.log_index == b.log_index),
    )
    query = (
        select(
            b.root,
            b.hub,
            b.tx_hash,
            b.block_number,
            b.total_prints,
            b.document_hash,
            d.status,
            d.detail,
        )
        .select_from(joined)
        .where(d.status.is_(None) | d.status.in_([MISSING, INVALID]))
        .order_by(b.block_number, b.log_index)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    findings = []
    for root, hub, tx, block, total, document, status, detail in rows:
        ids = {"root": "0x" + _hex(root), "hub": "0x" + _hex(hub), "tx": "0x" + _hex(tx)}
        what = f"anchor {ids['root']} (tx {ids['tx']}, block {block}, {total} prints)"
        if document is not None:
            ids["document"] = _hex(document)
        if status == INVALID:
            findings.append(
                Finding(
                    "batch.document.invalid",
                    Severity.ERROR,
                    f"the batch document of {what} is invalid: {detail}; its anchored prints "
                    "cannot be verified. Not repairable: the anchor commits to this document",
                    ids,
                )
            )
        else:  # missing, or not read yet (a reorg raced the refresh)
            findings.append(
                Finding(
                    "batch.document.missing",
                    Severity.ERROR,
                    f"the batch document {ids.get('document', '(none)')} of {what} is not in "
                    f"the blob store ({detail or 'not read yet'}); its anchored prints cannot "
                    "be verified. Not repairable here: the hub that anchored the batch must "
                    "publish the document",
                    ids,
                )
            )
    return findings


def _claims(engine: Engine, design_id: bytes, serial: bytes) -> list[str]:
    """Every attestation of (design, serial), oldest first: ``tx 0x..`` (direct) or
    ``root 0x.. leaf N (tx 0x..)`` (anchored)."""
    p, ap, b = schema.prints.c, schema.anchored_prints.c, schema.batch_anchors.c
    with engine.connect() as conn:
        direct = conn.execute(
            select(p.block_number, p.log_index, p.tx_hash).where(
                p.design_id == design_id, p.serial == serial
            )
        ).all()
        anchored = conn.execute(
            select(ap.block_number, ap.log_index, ap.leaf_index, ap.root, b.tx_hash)
            .join(
                schema.batch_anchors,
                (b.block_number == ap.block_number) & (b.log_index == ap.log_index),
            )
            .where(ap.design_id == design_id, ap.serial == serial)
        ).all()
    claims = [((int(n), int(i), -1), f"tx 0x{_hex(tx)}") for n, i, tx in direct]
    claims += [
        ((int(n), int(i), int(leaf)), f"root 0x{_hex(root)} leaf {leaf} (tx 0x{_hex(tx)})")
        for n, i, leaf, root, tx in anchored
    ]
    return [text for _, text in sorted(claims)]


def check_duplicate_serials(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """The serial rule: a (design, serial) attested more than once, directly (``prints``) or
    in anchored batches (``anchored_prints``), means two parts carry one serial and nobody can
    tell which is genuine: every claim of it fails (``partledger.sdk.claims``)."""
    p, ap = schema.prints.c, schema.anchored_prints.c
    both = union_all(
        select(p.design_id.label("design_id"), p.serial.label("serial")),
        select(ap.design_id.label("design_id"), ap.serial.label("serial")),
    ).subquery()
    query = (
        select(both.c.design_id, both.c.serial, func.count())
        .group_by(both.c.design_id, both.c.serial)
        .having(func.count() > 1)
        .order_by(both.c.design_id, both.c.serial)
    )
    with engine.connect() as conn:
        duplicated = conn.execute(query).all()
    findings = []
    for design_id, serial, n in duplicated:
        claims = _claims(engine, bytes(design_id), bytes(serial))
        ids = {"design": "0x" + _hex(design_id), "serial": "0x" + _hex(serial)}
        ids.update({f"claim_{i}": claim for i, claim in enumerate(claims, 1)})
        findings.append(
            Finding(
                "print.duplicate_serial",
                Severity.CRITICAL,
                f"serial {ids['serial']} of design {ids['design']} is attested {int(n)} times, "
                f"so every claim of it fails: {'; '.join(claims)}. Not repairable: the chain "
                "holds every one of them",
                ids,
            )
        )
    return findings


# -- print footprints: the documents the print-evidence manifests name ---------------------------
def refresh_footprints(ledger: Ledger, engine: Engine) -> FootprintsReport:
    """Bring the index's print footprints up to date with the blob store before the checks that
    use them: evidence not read yet, missing or invalid is read (again), every print.

    This writes derived rows only (``print_footprints``), exactly what an indexer with a blob
    store would have written; an index synced without one catches up here.
    """
    reader = footprint_reader(ledger.store, parse_print_evidence)
    report = FootprintsReport()
    more, first = True, True
    while more:
        step = ingest_footprints(
            engine, reader, retry_missing=first, retry_invalid=first, limit=10_000
        )
        first, more = False, step.more and step.tried > 0
        for name in ("ingested", "none", "missing", "invalid", "skipped"):
            setattr(report, name, getattr(report, name) + getattr(step, name))
    return report


def check_footprints(ledger: Ledger, engine: Engine, options: Options) -> list[Finding]:
    """Every print whose evidence is a print-evidence manifest has its footprint document in
    the store, intact and valid.

    A missing document (or manifest) can be restored from quarantine, or published again by the
    hub; a document that does not hash to the committed id is corrupted; one that does but is
    not a valid footprint document is invalid for good (the chain commits to it). Until then the
    print counts in no carbon report.
    """
    f = schema.print_footprints.c
    query = (
        select(
            f.block_number,
            f.log_index,
            f.leaf_index,
            f.licence_id,
            f.serial,
            f.evidence_hash,
            f.footprint_hash,
            f.status,
            f.detail,
        )
        .where(f.status.in_([FOOTPRINT_MISSING, FOOTPRINT_INVALID]))
        .order_by(f.block_number, f.log_index, f.leaf_index)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    findings = []
    for block, log_index, leaf, licence_id, serial, evidence, footprint, status, detail in rows:
        if status == FOOTPRINT_MISSING and footprint is None:
            continue  # the evidence blob itself is missing: print.quality_report.missing says so
        where = f"block {block}, log {log_index}" + (f", leaf {leaf}" if leaf >= 0 else "")
        what = f"print {'0x' + _hex(serial)} of licence {'0x' + _hex(licence_id)} ({where})"
        ids = {
            "licence": "0x" + _hex(licence_id),
            "serial": "0x" + _hex(serial),
            "evidence": _hex(evidence),
        }
        # the blob at fault: the footprint document once the manifest named one
        blob = _hex(footprint) if footprint is not None else _hex(evidence)
        ids["blob"] = blob
        if footprint is not None:
            ids["footprint"] = _hex(footprint)
        if status == FOOTPRINT_MISSING:
            check, text = "print.footprint.missing", "is not in the blob store"
        elif detail is not None and "do not match the hash" in detail:
            check, text = "print.footprint.corrupted", "does not match its committed hash"
        else:
            check, text = "print.footprint.invalid", "is invalid (not repairable: committed)"
        findings.append(
            Finding(
                check,
                Severity.ERROR,
                f"the footprint evidence {blob} of {what} {text}: {detail}; the print counts in "
                "no carbon report",
                ids,
            )
        )
    return findings
