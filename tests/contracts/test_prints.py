"""PrintLedger attestations by the hub: single, batch, invalidation, and every refusal."""

from __future__ import annotations

from ledger_helpers import b32, events
from ledger_world import DAY, STANDARD

from partledger.chain import ids

ZERO = b"\x00" * 32


def test_attest_print_stores_commitment_counts_and_emits(fresh) -> None:
    w = fresh
    record = w.print(w.licence_qualified, "SN-1")
    receipt = w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert events(receipt, w.ledger, "PrintAttested") == [
        {
            "licenceId": w.licence_qualified,
            "designId": w.design,
            "serial": record.serial,
            "machineId": w.machine,
            "materialLotHash": record.material_lot_hash,
            "qualityReportHash": record.quality_report_hash,
        }
    ]
    led = w.ledger.functions
    assert led.printCommitment(w.design, record.serial).call() == ids.print_commitment(record)
    assert tuple(led.printStatus(w.design, record.serial).call()) == (True, False, False)
    assert led.licence(w.licence_qualified).call()[2] == 1
    assert tuple(led.printStatus(w.design, b32("never")).call()) == (False, False, False)


def test_attest_returns_the_print_id(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "SN-ret")
    returned = w.ledger.functions.attestPrint(record.as_tuple()).call({"from": w.hub.address})
    assert returned == ids.print_id(w.design, record.serial)


def test_attest_reverts_when_licence_is_unknown(fresh) -> None:
    w = fresh
    unknown = ids.licence_id(w.design, w.hub.address, 99)
    assert w.chain.revert_of(w.hub, w.ledger, "attestPrint", w.print(unknown, "x").as_tuple()) == (
        "UnknownLicence",
        (unknown,),
    )


def test_attest_reverts_when_caller_is_not_the_licensed_hub(fresh) -> None:
    """SWC-114: copying the hub's attestation into another account's transaction fails."""
    w = fresh
    record = w.print(w.licence_open, "copied").as_tuple()
    for account in (w.attacker, w.hub2, w.oem):
        assert w.chain.revert_of(account, w.ledger, "attestPrint", record) == (
            "NotLicensedHub",
            (w.licence_open, account.address),
        )
    w.chain.send(w.hub, w.ledger, "attestPrint", record)


def test_attest_reverts_when_licence_is_not_yet_valid(fresh) -> None:
    w = fresh
    start = w.chain.timestamp() + 10 * DAY
    licence = w.issue(validFrom=start, validUntil=start + DAY)
    name, args = w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(licence, "early").as_tuple()
    )
    assert (name, args[:2]) == ("LicenceNotYetValid", (licence, start)) and args[2] < start


def test_attest_reverts_when_licence_is_expired(fresh) -> None:
    w = fresh
    now = w.chain.timestamp()
    licence = w.issue(validFrom=now - 2 * DAY, validUntil=now - DAY)
    name, args = w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(licence, "late").as_tuple()
    )
    assert (name, args[:2]) == ("LicenceExpired", (licence, now - DAY)) and args[2] > now - DAY


def test_attest_reverts_when_licence_is_exhausted(fresh) -> None:
    w = fresh
    licence = w.issue(maxPrints=1)
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(licence, "one").as_tuple())
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(licence, "two").as_tuple()
    ) == (
        "LicenceExhausted",
        (licence, 1, 1, 1),
    )
    # amending adds prints back
    until = w.ledger.functions.licence(licence).call()[4]
    w.chain.send(w.oem, w.ledger, "amendLicence", licence, 1, until, ZERO)
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(licence, "two").as_tuple())


def test_attest_reverts_when_hub_role_was_revoked(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    w.chain.send(w.admin, w.ledger, "revokeRole", role, w.hub.address)
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "r").as_tuple()
    ) == ("AccessControlUnauthorizedAccount", (w.hub.address, role))


def test_attest_reverts_for_unknown_or_foreign_machine(fresh) -> None:
    w = fresh
    unknown = b32("ghost machine")
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "m1", unknown).as_tuple()
    ) == ("UnknownMachine", (unknown,))
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "m2", w.machine_hub2).as_tuple()
    ) == ("MachineNotOfHub", (w.machine_hub2, w.hub.address, w.hub2.address))


def test_attest_reverts_when_machine_is_not_qualified_now(fresh) -> None:
    w = fresh
    record = w.print(w.licence_qualified, "q1", w.machine_unqualified)
    name, args = w.chain.revert_of(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert (name, args[:2]) == ("MachineNotQualified", (w.machine_unqualified, STANDARD))
    # the same machine prints fine on a licence that requires nothing
    w.chain.send(
        w.hub,
        w.ledger,
        "attestPrint",
        w.print(w.licence_open, "q2", w.machine_unqualified).as_tuple(),
    )
    # a qualification whose window has ended does not count
    now = w.chain.timestamp()
    w.chain.send(
        w.certifier,
        w.ledger,
        "recordQualification",
        w.machine_unqualified,
        STANDARD,
        b32("old cert"),
        now - 2 * DAY,
        now - DAY,
    )
    name, _ = w.chain.revert_of(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert name == "MachineNotQualified"
    # a current one does
    w.chain.send(
        w.certifier,
        w.ledger,
        "recordQualification",
        w.machine_unqualified,
        STANDARD,
        b32("new cert"),
        now - DAY,
        now + DAY,
    )
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())


def test_serial_is_unique_per_design_across_licences(fresh) -> None:
    w = fresh
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "dup").as_tuple())
    serial = ids.serial_hash("dup")
    for licence in (w.licence_open, w.licence_qualified):
        assert w.chain.revert_of(
            w.hub, w.ledger, "attestPrint", w.print(licence, "dup").as_tuple()
        ) == ("SerialAlreadyUsed", (w.design, serial))
    # the same serial on another design is a different part
    other = w.register_design(w.oem, b32("other design"))
    licence = w.issue(designId=other)
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(licence, "dup").as_tuple())


def test_attest_batch_records_all_prints(fresh) -> None:
    w = fresh
    records = [w.print(w.licence_open, f"B-{i}").as_tuple() for i in range(5)]
    records.append(w.print(w.licence_qualified, "B-q").as_tuple())
    receipt = w.chain.send(w.hub, w.ledger, "attestBatch", records)
    attested = events(receipt, w.ledger, "PrintAttested")
    assert [e["serial"] for e in attested] == [r[1] for r in records]
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 5
    assert w.ledger.functions.licence(w.licence_qualified).call()[2] == 1


def test_attest_batch_is_all_or_nothing(fresh) -> None:
    w = fresh
    good = [w.print(w.licence_open, f"ok-{i}").as_tuple() for i in range(3)]
    bad = w.print(w.licence_open, "ok-0").as_tuple()  # duplicate serial inside the batch
    assert w.chain.revert_of(w.hub, w.ledger, "attestBatch", [*good, bad]) == (
        "SerialAlreadyUsed",
        (w.design, good[0][1]),
    )
    receipt = w.chain.send_raw_status(w.hub, w.ledger, "attestBatch", [*good, bad])
    assert receipt.status == 0
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 0
    assert w.ledger.functions.printCommitment(w.design, good[0][1]).call() == ZERO


def test_attest_batch_stops_at_the_licence_maximum(fresh) -> None:
    w = fresh
    licence = w.issue(maxPrints=2)
    batch = [w.print(licence, f"x-{i}").as_tuple() for i in range(3)]
    assert w.chain.revert_of(w.hub, w.ledger, "attestBatch", batch) == (
        "LicenceExhausted",
        (licence, 2, 2, 1),
    )


def test_attest_batch_size_limits(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(w.hub, w.ledger, "attestBatch", []) == ("EmptyBatch", ())
    record = w.print(w.licence_open, "big").as_tuple()
    assert w.chain.revert_of(w.hub, w.ledger, "attestBatch", [record] * 101) == (
        "BatchTooLarge",
        (101, 100),
    )
    assert w.ledger.functions.MAX_BATCH_SIZE().call() == 100


def test_attest_batch_by_a_non_hub_fails(fresh) -> None:
    w = fresh
    batch = [w.print(w.licence_open, "nh").as_tuple()]
    assert w.chain.revert_of(w.attacker, w.ledger, "attestBatch", batch) == (
        "NotLicensedHub",
        (w.licence_open, w.attacker.address),
    )


def test_invalidate_by_hub_keeps_count_without_refund(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "scrap")
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    receipt = w.chain.send(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("failed QA"))
    assert events(receipt, w.ledger, "PrintInvalidated") == [
        {
            "licenceId": w.licence_open,
            "designId": w.design,
            "serial": record.serial,
            "by": w.hub.address,
            "reasonHash": b32("failed QA"),
            "refunded": False,
        }
    ]
    led = w.ledger.functions
    assert led.licence(w.licence_open).call()[2] == 1
    assert tuple(led.printStatus(w.design, record.serial).call()) == (True, True, False)
    assert led.invalidationReason(w.design, record.serial).call() == b32("failed QA")
    # the serial stays used
    assert w.chain.revert_of(w.hub, w.ledger, "attestPrint", record.as_tuple()) == (
        "SerialAlreadyUsed",
        (w.design, record.serial),
    )
    assert w.chain.revert_of(
        w.hub, w.ledger, "invalidatePrint", record.as_tuple(), b32("again")
    ) == (
        "PrintAlreadyInvalidated",
        (w.design, record.serial),
    )


def test_invalidate_by_oem_refunds_when_licence_says_so(fresh) -> None:
    w = fresh
    record = w.print(w.licence_qualified, "refund")
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    receipt = w.chain.send(w.oem, w.ledger, "invalidatePrint", record.as_tuple(), b32("warped"))
    (event,) = events(receipt, w.ledger, "PrintInvalidated")
    assert event["by"] == w.oem.address and event["refunded"] is True
    assert w.ledger.functions.licence(w.licence_qualified).call()[2] == 0


def test_invalidate_reverts(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "inv")
    reason = b32("r")
    assert w.chain.revert_of(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), ZERO) == (
        "ZeroReasonHash",
        (),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "invalidatePrint", record.as_tuple(), reason) == (
        "UnknownPrint",
        (w.design, record.serial),
    )
    w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert w.chain.revert_of(
        w.attacker, w.ledger, "invalidatePrint", record.as_tuple(), reason
    ) == (
        "NotPrintAuthority",
        (w.licence_open, w.attacker.address),
    )
    tampered = ids.PrintRecord(
        record.licence_id,
        record.serial,
        record.machine_id,
        b32("other lot"),
        record.quality_report_hash,
    )
    assert w.chain.revert_of(w.hub, w.ledger, "invalidatePrint", tampered.as_tuple(), reason) == (
        "PrintRecordMismatch",
        (w.design, record.serial),
    )
    unknown = ids.licence_id(w.design, w.hub.address, 77)
    forged = ids.PrintRecord(unknown, *record.as_tuple()[1:])
    assert w.chain.revert_of(w.hub, w.ledger, "invalidatePrint", forged.as_tuple(), reason) == (
        "UnknownLicence",
        (unknown,),
    )


def test_pause_blocks_every_ledger_write(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(w.hub, w.ledger, "pause") == (
        "AccessControlUnauthorizedAccount",
        (w.hub.address, ZERO),
    )
    receipt = w.chain.send(w.admin, w.ledger, "pause")
    assert events(receipt, w.ledger, "Paused") == [{"account": w.admin.address}]
    record = w.print(w.licence_open, "paused").as_tuple()
    calls = [
        (w.hub, "attestPrint", (record,)),
        (w.hub, "attestBatch", ([record],)),
        (w.relayer, "attestPrintBySig", (record, 2**40, b"\x00" * 65)),
        (w.hub, "anchorBatch", (b32("root"), [(w.design, 0, 1)], b32("doc"))),
        (w.relayer, "tryAttestBatchBySig", ([record], [2**40], [b"\x00" * 65])),
        (w.oem, "refundInvalidatedPrint", (record,)),
        (w.hub, "invalidatePrint", (record, b32("r"))),
        (w.hub, "cancelSignatures", ()),
        (w.oem, "issueLicence", (w.terms(),)),
        (w.oem, "suspendLicence", (w.licence_open, ZERO)),
        (w.hub, "registerMachine", (b32("m"),)),
        (w.hub, "rotateHubKey", (b"\x01" * 32,)),
        (w.certifier, "recordQualification", (w.machine, STANDARD, ZERO, 1, 2)),
    ]
    for account, fn, args in calls:
        assert w.chain.revert_of(account, w.ledger, fn, *args) == ("EnforcedPause", ()), fn
    w.chain.send(w.admin, w.ledger, "unpause")
    w.chain.send(w.hub, w.ledger, "attestPrint", record)


def test_only_the_registry_reports_recalls(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(w.oem, w.ledger, "recordDesignRecall", w.design) == (
        "NotRegistry",
        (w.oem.address,),
    )
    assert w.ledger.functions.designRegistry().call() == w.registry.address


def test_licences_issued_after_a_recall_elsewhere_still_print(fresh) -> None:
    """The recall epoch cache: a recall of one design does not block another's prints."""
    w = fresh
    other = w.register_design(w.oem, b32("recalled one"))
    w.chain.send(w.oem, w.registry, "recallDesign", other, ZERO)
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "e1").as_tuple())
    fresh_licence = w.issue()
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(fresh_licence, "e2").as_tuple())
    w.chain.send(w.oem, w.registry, "recallDesign", w.design, ZERO)
    for licence, serial in ((w.licence_open, "e3"), (fresh_licence, "e4")):
        assert w.chain.revert_of(
            w.hub, w.ledger, "attestPrint", w.print(licence, serial).as_tuple()
        ) == ("DesignUnderRecall", (w.design,))
