"""Over HTTP, a forged or duplicated anchored part is never reported as verified (issue 11)."""

from __future__ import annotations

import dataclasses

from api.support import Service

from helpers.world import METADATA
from partledger.sdk import AnchoredBatch, PrintInput
from partledger.sdk.batches import BatchEntry
from partledger.sdk.ledger import PRINT_LEDGER
from partledger.sdk.types import TxRef, hex32, to_bytes32
from partledger.storage import put_bytes


def _open_licence(service: Service, max_prints: int) -> str:
    world = service.world
    design = world.oem.register_design(world.design_file(), METADATA)
    return world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=max_prints,
        valid_until=world.now() + 86_400,
    ).licence_id  # fmt: skip


def _provenance(service: Service, design_id: str, serial: str) -> dict:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = service.world.ledger.w3.eth.block_number  # no cached answer
    response = service.client.get(f"/v1/audit/provenance/{serial}?design_id={design_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_serial_claimed_by_two_anchors_is_not_verified_over_http(service: Service) -> None:
    world = service.world
    licence_id = _open_licence(service, 10)
    design_id = world.hub.licence(licence_id).design_id
    world.hub.anchor_batch([PrintInput(licence_id, "TWICE", world.machine, "LOT-1", None)])
    assert _provenance(service, design_id, "TWICE")["verified"] is True
    world.hub.anchor_batch([PrintInput(licence_id, "TWICE", world.machine, "LOT-2", None)])
    body = _provenance(service, design_id, "TWICE")
    assert body["verified"] is False
    assert [c["name"] for c in body["claims"] if not c["passed"]] == ["print.serial_unique"]
    assert len(body["serial_claims"]) == 2


def test_leaves_beyond_the_debited_count_are_not_verified_over_http(service: Service) -> None:
    world = service.world
    licence_id = _open_licence(service, 2)
    view = world.hub.licence(licence_id)
    parts = [PrintInput(licence_id, f"X-{i}", world.machine, "LOT", None) for i in range(4)]
    records = tuple(p.record(b"\x00" * 32) for p in parts)
    entry = BatchEntry(to_bytes32(licence_id), to_bytes32(view.design_id), view.licence_index, 1)
    batch = AnchoredBatch("", (entry,), records, tuple(p.serial_number for p in parts), "",
                          TxRef("", 0), world.hub.address)  # fmt: skip
    batch = dataclasses.replace(batch, root=hex32(batch.tree().root))
    blob = put_bytes(world.ledger.store, batch.document_bytes())
    world.ledger.transact(
        world.hub.account, PRINT_LEDGER, "anchorBatch", to_bytes32(batch.root),
        [(entry.design_id, entry.licence_index, 1)], bytes.fromhex(blob.sha256),
    )  # fmt: skip
    for part in parts:
        body = _provenance(service, view.design_id, part.serial_number)
        failed = {c["name"] for c in body["claims"] if not c["passed"]}
        assert body["verified"] is False and {"print.record", "print.batch_document"} <= failed
