"""Provenance of a part with per-claim verification, and paginated event feeds.

Provenance is assembled and verified by the SDK's ``Auditor`` against the chain
and the blob store. Results are cached per (design, serial) for the current chain
head: any new block (the head is polled in the background) invalidates them, so a
cached answer is never older than one poll interval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import select, union

from partledger.api.services.errors import InvalidRequest, NotFound
from partledger.api.services.stamped_cache import StampedCache
from partledger.chain import ids
from partledger.chain.ledger_errors import UnknownPrint
from partledger.index import IndexReader, schema
from partledger.sdk import Auditor, Ledger, load_batch
from partledger.sdk.types import hex32, to_bytes32
from partledger.storage import BlobNotFoundError

CACHE_SIZE = 10_000
QUALIFICATION_FIELDS = (
    "standard", "in_force", "certifier", "certificate_hash", "valid_from", "valid_until",
    "revoked", "revoked_by", "recorded_in_tx", "recorded_at_block", "judged_at",
)  # fmt: skip
"""Every member of a qualification in the provenance document (null when there is no record)."""


class AuditService:
    def __init__(self, ledger: Ledger, index: IndexReader | None) -> None:
        self.ledger = ledger
        self.index = index
        self.auditor = Auditor(ledger)
        self.head = 0
        self._cache: StampedCache[bytes] = StampedCache(CACHE_SIZE)

    def designs_of_serial(self, serial_number: str) -> list[str]:
        if self.index is None:
            return []
        rows = self.index.prints_by_serial(ids.serial_hash(serial_number))
        return sorted({r.design_id for r in rows})

    def cached(self, serial_number: str, design_id: str | None, batch: str | None) -> bytes | None:
        """The cached document for the current head, if any (no I/O: safe on the loop)."""
        if design_id is None or not self.head:
            return None
        return self._cache.peek((design_id.lower(), serial_number, batch), self.head)

    def provenance_json(
        self, serial_number: str, design_id: str | None, batch: str | None
    ) -> bytes:
        """The provenance document (JSON bytes), from cache when the head has not moved."""
        if design_id is None:
            designs = self.designs_of_serial(serial_number)
            if not designs:
                raise NotFound(
                    f"no print with serial {serial_number!r} is indexed (give design_id)"
                )
            if len(designs) > 1:
                raise InvalidRequest(
                    f"serial {serial_number!r} is used by {len(designs)} designs: give design_id"
                )
            design_id = designs[0]
        try:
            design_id = hex32(to_bytes32(design_id, "design id"))
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        checked = design_id

        def build() -> bytes:
            return json.dumps(self._provenance(checked, serial_number, batch)).encode()

        if not self.head:  # the head is not known yet: nothing to stamp a cached copy with
            return build()
        return self._cache.get((design_id, serial_number, batch), self.head, build)

    def _provenance(self, design_id: str, serial_number: str, batch: str | None) -> dict[str, Any]:
        anchored = None
        if batch is not None:
            try:
                anchored = load_batch(self.ledger, batch)
            except (BlobNotFoundError, ValueError) as exc:
                raise NotFound(f"no Merkle batch {batch}: {exc}") from None
        try:
            p = self.auditor.provenance(design_id, serial_number, batch=anchored)
        except UnknownPrint:
            raise NotFound(
                f"part {serial_number!r} of design {design_id} is not on the ledger — NOT "
                "VERIFIED: no attestation, direct or in a published batch, names this serial"
            ) from None
        verification = self.auditor.verify(p)
        licence = asdict(p.licence)
        licence["required_standard"] = (
            bytes(p.licence.required_standard).rstrip(b"\0").decode(errors="replace")
        )
        licence["remaining"] = p.licence.remaining
        attestation = asdict(p.attestation)
        attestation["merkle_proof"] = list(p.attestation.merkle_proof)
        anchor = None
        if p.anchor is not None:
            anchor = asdict(p.anchor)
            anchor.update(licence_ids=list(p.anchor.licence_ids), counts=list(p.anchor.counts),
                          path=list(p.anchor.path))  # fmt: skip
        return {
            "design_id": p.design_id,
            "serial_number": p.serial_number,
            "record": {
                "licence_id": hex32(p.record.licence_id),
                "serial": hex32(p.record.serial),
                "machine_id": hex32(p.record.machine_id),
                "material_lot_hash": hex32(p.record.material_lot_hash),
                "quality_report_hash": hex32(p.record.quality_report_hash),
            },
            "attestation": attestation,
            "design": p.design,
            "licence": licence,
            "hub": p.hub,
            "machine": p.machine,
            "qualification": (
                None
                if p.qualification is None
                else {**dict.fromkeys(QUALIFICATION_FIELDS), **p.qualification}
            ),
            "invalidated": p.invalidated,
            "recalled": p.recalled,
            "refunded": p.refunded,
            "anchor": anchor,
            "serial_claims": [
                {
                    "kind": c.kind,
                    "tx_hash": c.tx_hash,
                    "block_number": c.block_number,
                    "root": c.root,
                    "leaf_index": c.leaf_index,
                    "description": c.describe(),
                }
                for c in p.serial_claims
            ],
            "unreadable_batches": list(p.unreadable_batches),
            "verified": verification.ok,
            "claims": [asdict(c) for c in verification.claims],
        }

    def events(
        self, *, design_id: str | None, licence_id: str | None, after_block: int, limit: int
    ) -> list[dict[str, Any]]:
        """Ledger events about a design or a licence, oldest first, from ``after_block``."""
        if (design_id is None) == (licence_id is None):
            raise InvalidRequest("give exactly one of design_id and licence_id")
        try:
            key = to_bytes32(design_id or licence_id or "", "id")
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        name = "designId" if design_id else "licenceId"
        start = max(after_block + 1, self.ledger.deployment.start_block)
        head = int(self.ledger.w3.eth.block_number)
        if start > head:
            return []
        if self.index is not None:
            out = self._indexed_events(name, key, start, head, limit)
        else:
            out = self._scanned_events(name, key, start, head)
        out.sort(key=lambda e: (e["block_number"], e["log_index"]))
        return out[:limit]

    def _scanned_events(self, name: str, key: bytes, start: int, head: int) -> list[dict[str, Any]]:
        """Every matching event between ``start`` and ``head``, by topic filter on the node."""
        out: list[dict[str, Any]] = []
        for contract in (self.ledger.registry, self.ledger.prints):
            for event in list(contract.events):  # type: ignore[call-overload]
                inputs = [i["name"] for i in event.abi["inputs"] if i.get("indexed")]
                if name not in inputs:
                    continue
                logs = event().get_logs(
                    from_block=start, to_block=head, argument_filters={name: key}
                )
                out += [_event_json(entry) for entry in logs]
        return out

    def _indexed_events(
        self, name: str, key: bytes, start: int, head: int, limit: int
    ) -> list[dict[str, Any]]:
        """The index names the blocks holding the id's events; only those are read."""
        assert self.index is not None
        column = "design_id" if name == "designId" else "licence_id"
        tables = [t for t in schema.EVENT_TABLES if column in t.c]
        decoders = {
            bytes(HexBytes(event.topic)): event
            for contract in (self.ledger.registry, self.ledger.prints)
            for event in list(contract.events)  # type: ignore[call-overload]
            if name in [i["name"] for i in event.abi["inputs"] if i.get("indexed")]
        }
        addresses = [self.ledger.registry.address, self.ledger.prints.address]
        out: list[dict[str, Any]] = []
        while len(out) < limit and start <= head:
            selects = [
                select(t.c.block_number).where(
                    t.c[column] == key, t.c.block_number.between(start, head)
                )
                for t in tables
            ]
            found = union(*selects).subquery()
            query = select(found.c.block_number).order_by(found.c.block_number).limit(limit)
            with self.index.engine.connect() as conn:
                blocks = [int(b) for (b,) in conn.execute(query)]
            if not blocks:
                break
            for block in blocks:
                logs = self.ledger.w3.eth.get_logs(
                    {"fromBlock": block, "toBlock": block, "address": addresses}
                )
                for log in logs:
                    event = decoders.get(bytes(log["topics"][0])) if log["topics"] else None
                    if event is None:
                        continue
                    decoded = event().process_log(log)
                    if bytes(decoded["args"][name]) == key:
                        out.append(_event_json(decoded))
            start = blocks[-1] + 1
        return out


def _event_json(entry: Any) -> dict[str, Any]:
    return {
        "event": entry["event"],
        "block_number": int(entry["blockNumber"]),
        "log_index": int(entry["logIndex"]),
        "tx_hash": "0x" + bytes(entry["transactionHash"]).hex(),
        "args": {k: _plain(v) for k, v in entry["args"].items()},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
