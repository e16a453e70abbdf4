"""The contract-level attacks of the independent audit (issue 11), each refused.

B: a hub resetting its own counter by invalidating its prints; D: a batch broken by lifting one
signature out of it; H: a de-roled OEM keeping control of its designs. (A is in test_merkle.py,
C in test_hubs_machines_qualifications.py.)
"""

from __future__ import annotations

from ledger_helpers import b32, events
from test_signatures import signed

ZERO = b"\x00" * 32


def test_b_hub_cannot_reset_its_own_counter_by_invalidating(fresh) -> None:
    """B: attest then invalidate six times on a 2-print refunding licence: the counter holds."""
    w = fresh
    lid = w.issue(maxPrints=2, refundOnInvalidate=True)
    made = 0
    for i in range(6):
        record = w.print(lid, f"B-{i}")
        if w.chain.revert_of(w.hub, w.ledger, "attestPrint", record.as_tuple()) is not None:
            break
        w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
        made += 1
        receipt = w.chain.send(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("qa"))
        assert events(receipt, w.ledger, "PrintInvalidated")[0]["refunded"] is False
        assert w.ledger.functions.printStatus(w.design, record.serial).call()[1] is True
    assert made == 2
    assert w.ledger.functions.licence(lid).call()[2] == 2
    name, _ = w.chain.revert_of(w.hub, w.ledger, "attestPrint", w.print(lid, "B-x").as_tuple())
    assert name == "LicenceExhausted"


def test_b_only_the_design_owner_gives_a_copy_back_once(fresh) -> None:
    w = fresh
    lid = w.issue(maxPrints=2, refundOnInvalidate=True)
    record = w.print(lid, "B-refund")
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert w.chain.revert_of(w.oem, w.ledger, "refundInvalidatedPrint", record.as_tuple()) == (
        "PrintNotInvalidated",
        (w.design, record.serial),
    )
    w.chain.send(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("failed QA"))
    for stranger in (w.hub, w.attacker, w.oem2):
        assert w.chain.revert_of(stranger, w.ledger, "refundInvalidatedPrint", record.as_tuple())
    receipt = w.chain.send(w.oem, w.ledger, "refundInvalidatedPrint", record.as_tuple())
    assert events(receipt, w.ledger, "PrintRefunded") == [
        {"licenceId": lid, "designId": w.design, "serial": record.serial, "by": w.oem.address}
    ]
    assert w.ledger.functions.licence(lid).call()[2] == 0
    assert w.ledger.functions.isPrintRefunded(w.design, record.serial).call()
    assert w.chain.revert_of(w.oem, w.ledger, "refundInvalidatedPrint", record.as_tuple()) == (
        "PrintAlreadyRefunded",
        (w.design, record.serial),
    )
    # the invalidated part stays visible to auditors
    assert w.ledger.functions.printStatus(w.design, record.serial).call()[:2] == [True, True]


def test_b_refund_needs_a_refunding_licence(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "B-norefund")
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    w.chain.send(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("scrap"))
    assert w.chain.revert_of(w.oem, w.ledger, "refundInvalidatedPrint", record.as_tuple()) == (
        "RefundNotAllowed",
        (w.licence_open,),
    )


def test_d_a_lifted_signature_cannot_sink_a_tolerant_batch(fresh) -> None:
    """D: submitting one item of a pending batch first skips it; the others still land."""
    w = fresh
    items = [signed(w, w.hub, w.print(w.licence_open, f"D-{i}")) for i in range(3)]
    w.chain.send(w.attacker, w.ledger, "attestPrintBySig", *items[1])  # front-run one item
    prints, deadlines, signatures = (list(x) for x in zip(*items, strict=True))
    # the strict batch reverts as a whole...
    name, _ = w.chain.revert_of(
        w.relayer, w.ledger, "attestBatchBySig", prints, deadlines, signatures
    )
    assert name == "SerialAlreadyUsed"
    # ...the tolerant one records the rest and reports the skipped item with its reason
    bad = signed(w, w.attacker, w.print(w.licence_open, "D-forged"))
    receipt = w.chain.send(
        w.relayer, w.ledger, "tryAttestBatchBySig",
        [*prints, bad[0]], [*deadlines, bad[1]], [*signatures, bad[2]],
    )  # fmt: skip
    attested = events(receipt, w.ledger, "PrintAttested")
    assert [e["serial"] for e in attested] == [prints[0][1], prints[2][1]]
    skipped = events(receipt, w.ledger, "PrintSkipped")
    assert [(e["position"], e["serial"]) for e in skipped] == [(1, prints[1][1]), (3, bad[0][1])]
    decoder = w.chain.decoder
    assert decoder.decode(skipped[0]["reason"])[0] == "SerialAlreadyUsed"
    assert decoder.decode(skipped[1]["reason"]) == ("InvalidSignature", (w.hub.address,))
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 3


def test_h_a_de_roled_oem_loses_control_of_its_designs(fresh) -> None:
    """H: after revokeRole(OEM_ROLE), every owner-only function refuses the old owner."""
    w = fresh
    record = w.print(w.licence_open, "H-1")
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    role = w.registry.functions.OEM_ROLE().call()
    w.chain.send(w.admin, w.registry, "revokeRole", role, w.oem.address)
    refused = ("AccessControlUnauthorizedAccount", (w.oem.address, role))
    registry_calls = [
        ("transferDesignOwnership", (w.design, w.oem2.address)),
        ("deprecateDesign", (w.design,)),
        ("recallDesign", (w.design, b32("r"))),
    ]
    for fn, args in registry_calls:
        assert w.chain.revert_of(w.oem, w.registry, fn, *args) == refused, fn
    ledger_calls = [
        ("issueLicence", (w.terms(),)),
        ("amendLicence", (w.licence_open, 1, 2**39, ZERO)),
        ("suspendLicence", (w.licence_open, ZERO)),
        ("revokeLicence", (w.licence_open, ZERO)),
        ("invalidatePrint", (record.as_tuple(), b32("r"))),
        ("refundInvalidatedPrint", (record.as_tuple(),)),
    ]
    for fn, args in ledger_calls:
        assert w.chain.revert_of(w.oem, w.ledger, fn, *args) == refused, fn
    # the hub's own invalidation still works (its word never refunds)
    w.chain.send(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("scrap"))
