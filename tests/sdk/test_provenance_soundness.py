"""The auditor never verifies a part that is not genuine (issue 11, findings A, B, Q).

Each test plays a dishonest hub on a real anvil chain through the SDK's own building blocks,
publishes what such a hub would publish, and checks that every way of asking the auditor
(found by serial, or with the batch named explicitly) ends in a named failed claim.
"""

from __future__ import annotations

import dataclasses

import pytest

from partledger.chain import ids
from partledger.chain.ledger_errors import UnknownPrint
from partledger.sdk import AnchoredBatch, PrintInput, load_batch
from partledger.sdk.batches import BatchEntry
from partledger.sdk.ledger import PRINT_LEDGER
from partledger.sdk.types import TxRef, hex32, to_bytes32
from partledger.storage import put_bytes

from .conftest import METADATA, ONE_DAY, STANDARD, World


def _open_licence(world: World, design_id: str, max_prints: int = 2, **kw: object) -> str:
    return world.oem.issue_licence(
        design_id, world.hub.address, max_prints=max_prints,
        valid_until=world.now() + ONE_DAY, **kw,  # type: ignore[arg-type]
    ).licence_id  # fmt: skip


def _record(world: World, licence_id: str, serial: str, machine: str | None = None,
            lot: str = "LOT-1") -> ids.PrintRecord:  # fmt: skip
    part = PrintInput(licence_id, serial, machine or world.machine, lot, None)
    return part.record(b"\x00" * 32)


def _dishonest_anchor(
    world: World, entries: list[BatchEntry], leaves: list[tuple[str, ids.PrintRecord]]
) -> AnchoredBatch:
    """Publish a document with ``leaves`` and anchor its root debiting only ``entries``."""
    records = tuple(r for _, r in leaves)
    batch = AnchoredBatch(
        root="", entries=tuple(entries), records=records,
        serial_numbers=tuple(s for s, _ in leaves), batch_blob="", tx=TxRef("", 0),
        hub=world.hub.address,
    )  # fmt: skip
    batch = dataclasses.replace(batch, root=hex32(batch.tree().root))
    blob = put_bytes(world.ledger.store, batch.document_bytes())
    world.ledger.transact(
        world.hub.account, PRINT_LEDGER, "anchorBatch", to_bytes32(batch.root),
        [(e.design_id, e.licence_index, e.count) for e in entries], bytes.fromhex(blob.sha256),
    )  # fmt: skip
    return dataclasses.replace(batch, batch_blob=blob.sha256)


def _entry(world: World, licence_id: str, count: int) -> BatchEntry:
    view = world.hub.licence(licence_id)
    return BatchEntry(to_bytes32(licence_id), to_bytes32(view.design_id), view.licence_index, count)


def _refused(world: World, design_id: str, serial: str, batch: AnchoredBatch | None = None):
    """The audit of a part: (verified, failed claim names) — or (False, ['not on the ledger'])."""
    try:
        p = world.auditor.provenance(design_id, serial, batch=batch)
    except UnknownPrint:
        return False, ["not on the ledger"]
    report = world.auditor.verify(p)
    return report.ok, report.failed


def test_honest_anchored_parts_verify_by_serial_alone(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    first = _open_licence(world, design.design_id, 10)
    second = _open_licence(world, design.design_id, 10)
    parts = [PrintInput(lid, f"H-{i}", world.machine, "LOT", None)
             for i, lid in enumerate([first, second, first, second, first])]  # fmt: skip
    batch = world.hub.anchor_batch(parts)
    # leaves are laid out licence by licence, whatever order the hub gave them in
    assert [e.count for e in batch.entries] == [3, 2]
    for i in range(5):
        p = world.auditor.provenance(design.design_id, f"H-{i}")  # found without --batch
        assert p.attestation.kind == "merkle" and p.anchor is not None
        report = world.auditor.verify(p)
        assert report.ok, report.claims
        assert "print.batch_document" in {c.name for c in report.claims}
    assert load_batch(world.ledger, batch.batch_blob).document_bytes() == batch.document_bytes()


def test_a1_leaves_beyond_the_debited_count_are_never_verified(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, max_prints=2)
    leaves = [(f"A1-{i}", _record(world, licence, f"A1-{i}")) for i in range(5)]
    batch = _dishonest_anchor(world, [_entry(world, licence, 1)], leaves)
    assert world.hub.licence(licence).printed == 1
    for serial, _ in leaves:
        for given in (None, batch):
            verified, failed = _refused(world, design.design_id, serial, given)
            assert not verified
            assert {"print.record", "print.batch_document"} <= set(failed), (serial, failed)


def test_a2_leaves_naming_other_licences_or_machines_are_never_verified(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, max_prints=10)
    qualified = _open_licence(world, design.design_id, 10, required_standard=STANDARD)
    revoked = _open_licence(world, design.design_id, 10)
    never = hex32(ids.licence_id(to_bytes32(design.design_id), world.hub.address, 99))
    foreign_machine = world.other_hub.register_machine("EOS", "M 400", "LY-1")
    leaves = [
        ("A2-ok", _record(world, licence, "A2-ok")),
        ("A2-qualified", _record(world, qualified, "A2-qualified")),
        ("A2-revoked", _record(world, revoked, "A2-revoked")),
        ("A2-never", _record(world, never, "A2-never")),
        ("A2-foreign", _record(world, licence, "A2-foreign", machine=foreign_machine)),
    ]
    batch = _dishonest_anchor(world, [_entry(world, licence, 5)], leaves)
    world.oem.revoke_licence(revoked, b"audit")
    for serial, _ in leaves[1:]:
        for given in (None, batch):
            verified, failed = _refused(world, design.design_id, serial, given)
            assert not verified, (serial, failed)
    # the document breaks the layout rules, so even the honest-looking leaf is not vouched for
    verified, failed = _refused(world, design.design_id, "A2-ok")
    assert not verified and failed == ["print.batch_document"]


def test_a3_a_serial_attested_three_times_never_verifies(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, max_prints=10)
    world.hub.attest_print(PrintInput(licence, "A3", world.machine, "LOT-direct", None))
    assert world.auditor.verify(world.auditor.provenance(design.design_id, "A3")).ok
    parts = [
        PrintInput(licence, "A3", world.machine, "LOT-a", None),
        PrintInput(licence, "A3", world.machine, "LOT-b", None),
        PrintInput(licence, "A3-other", world.machine, "LOT-c", None),
    ]
    batch = world.hub.anchor_batch(parts)  # a valid tree: the duplicate is in the serials
    p = world.auditor.provenance(design.design_id, "A3")
    assert len(p.serial_claims) == 3
    report = world.auditor.verify(p)
    assert not report.ok and report.failed == ["print.serial_unique"]
    verified, failed = _refused(world, design.design_id, "A3", batch)
    assert not verified and failed == ["print.serial_unique"]
    # the batch's other part, claimed once, still verifies
    assert world.auditor.verify(world.auditor.provenance(design.design_id, "A3-other")).ok


def test_two_anchors_claiming_one_serial_both_fail(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, max_prints=10)
    world.hub.anchor_batch([PrintInput(licence, "TWICE", world.machine, "LOT-1", None)])
    assert world.auditor.verify(world.auditor.provenance(design.design_id, "TWICE")).ok
    world.hub.anchor_batch([PrintInput(licence, "TWICE", world.machine, "LOT-2", None)])
    verified, failed = _refused(world, design.design_id, "TWICE")
    assert not verified and failed == ["print.serial_unique"]


def test_unpublished_batch_document_verifies_nothing(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, max_prints=10)
    batch = world.hub.anchor_batch([PrintInput(licence, "HIDDEN", world.machine, "LOT", None)])
    world.ledger.store.delete(batch.batch_blob)  # type: ignore[attr-defined]
    assert _refused(world, design.design_id, "HIDDEN") == (False, ["not on the ledger"])
    # naming a document the chain did not commit does not help either
    forged = dataclasses.replace(batch, hub="someone else")
    verified, failed = _refused(world, design.design_id, "HIDDEN", forged)
    assert not verified and failed == ["print.batch_document"]


def test_q_a_renewal_does_not_break_the_audit_of_earlier_parts(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, 5, required_standard=STANDARD)
    world.hub.attest_print(PrintInput(licence, "Q-1", world.machine, "LOT", None))
    first = world.auditor.provenance(design.design_id, "Q-1").qualification
    assert first is not None and first["in_force"]
    now = world.now()
    world.certifier.qualify_machine(
        world.machine, STANDARD, b"renewed", now + 5, now + 90 * ONE_DAY
    )
    p = world.auditor.provenance(design.design_id, "Q-1")
    report = world.auditor.verify(p)
    assert report.ok, report.claims
    assert p.qualification is not None
    assert p.qualification["recorded_at_block"] == first["recorded_at_block"]
    # a revocation after the print does not reach back either; one before a print is refused
    world.certifier.revoke_machine(world.machine, STANDARD, b"lapsed")
    assert world.auditor.verify(world.auditor.provenance(design.design_id, "Q-1")).ok


def test_b_a_hub_invalidation_never_refunds_and_the_part_stays_visible(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = _open_licence(world, design.design_id, 2, refund_on_invalidate=True)
    made = [world.hub.attest_print(PrintInput(licence, f"B-{i}", world.machine, "L", None))
            for i in range(2)]  # fmt: skip
    for printed in made:
        world.hub.invalidate_print(printed.record, b"failed QA")
    assert world.hub.licence(licence).printed == 2
    world.oem.refund_print(made[0].record)
    assert world.hub.licence(licence).printed == 1
    p = world.auditor.provenance(design.design_id, "B-0")
    assert p.invalidated and p.refunded
    assert world.auditor.verify(p).failed == ["print.in_service"]


@pytest.mark.parametrize("serial", ["never-printed"])
def test_a_counterfeit_serial_is_not_on_the_ledger(world: World, serial: str) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    assert _refused(world, design.design_id, serial) == (False, ["not on the ledger"])


def test_check_reports_a_counterfeit_as_a_failed_claim_not_an_exception(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    result = world.auditor.check(design.design_id, "NEVER-PRINTED")
    assert not result.ok and result.failed == ["print.on_ledger"]
    assert "not on the ledger — NOT VERIFIED" in result.claims[0].detail
    licence = _open_licence(world, design.design_id, 2)
    world.hub.attest_print(PrintInput(licence, "REAL-1", world.machine, "LOT", None))
    assert world.auditor.check(design.design_id, "REAL-1").ok
