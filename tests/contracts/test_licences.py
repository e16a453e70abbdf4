"""PrintLedger licences: issue, amend, suspend, resume, revoke (design owner only)."""

from __future__ import annotations

from ledger_helpers import b32, events
from ledger_world import DAY, STANDARD

from partledger.chain import ids

ZERO = b"\x00" * 32
ACTIVE, SUSPENDED, REVOKED = 1, 2, 3


def test_issue_licence_stores_terms_and_emits(fresh) -> None:
    w = fresh
    terms = w.terms(maxPrints=7, requiredStandard=STANDARD, refundOnInvalidate=True)
    receipt = w.chain.send(w.oem, w.ledger, "issueLicence", terms)
    licence = ids.licence_id(w.design, w.hub.address, 2)
    (event,) = events(receipt, w.ledger, "LicenceIssued")
    assert event["licenceId"] == licence and event["designId"] == w.design
    assert event["hub"] == w.hub.address and event["licenceIndex"] == 2
    assert tuple(dict(event["terms"]).values()) == terms
    stored = tuple(w.ledger.functions.licence(licence).call())
    assert stored == (
        w.design,
        7,
        0,
        terms[3],
        terms[4],
        ACTIVE,
        True,
        True,
        STANDARD,
        b32("terms"),
        b32("wrapped key"),
    )
    assert w.ledger.functions.licenceCount(w.design).call() == 3


def test_issue_licence_reverts(fresh) -> None:
    w = fresh
    oem_role = w.registry.functions.OEM_ROLE().call()
    assert w.chain.revert_of(w.oem2, w.ledger, "issueLicence", w.terms()) == (
        "NotDesignOwner",
        (w.design, w.oem2.address),
    )
    unknown = b32("unknown design")
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms(designId=unknown)) == (
        "NotDesignOwner",
        (unknown, w.oem.address),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms(hub=w.attacker.address)) == (
        "UnknownHub",
        (w.attacker.address,),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms(maxPrints=0)) == (
        "ZeroMaxPrints",
        (),
    )
    assert w.chain.revert_of(
        w.oem, w.ledger, "issueLicence", w.terms(validFrom=10, validUntil=10)
    ) == ("InvalidValidity", (10, 10))
    # an owner whose OEM role was revoked can no longer issue
    w.chain.send(w.admin, w.registry, "revokeRole", oem_role, w.oem.address)
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms()) == (
        "AccessControlUnauthorizedAccount",
        (w.oem.address, oem_role),
    )


def test_amend_adds_prints_extends_and_emits(fresh) -> None:
    w = fresh
    before = w.ledger.functions.licence(w.licence_open).call()
    new_until = before[4] + DAY
    receipt = w.chain.send(
        w.oem, w.ledger, "amendLicence", w.licence_open, 5, new_until, b32("terms v2")
    )
    assert events(receipt, w.ledger, "LicenceAmended") == [
        {
            "licenceId": w.licence_open,
            "designId": w.design,
            "hub": w.hub.address,
            "maxPrints": 15,
            "validUntil": new_until,
            "termsHash": b32("terms v2"),
        }
    ]
    after = w.ledger.functions.licence(w.licence_open).call()
    assert (after[1], after[4], after[9]) == (15, new_until, b32("terms v2"))


def test_amend_reverts(fresh) -> None:
    w = fresh
    until = w.ledger.functions.licence(w.licence_open).call()[4]
    assert w.chain.revert_of(
        w.oem, w.ledger, "amendLicence", w.licence_open, 0, until - 1, ZERO
    ) == ("LicenceShortened", (w.licence_open, until, until - 1))
    assert w.chain.revert_of(
        w.oem, w.ledger, "amendLicence", w.licence_open, 2**32 - 1, until, ZERO
    ) == ("PrintCountOverflow", (w.licence_open,))
    assert w.chain.revert_of(w.oem2, w.ledger, "amendLicence", w.licence_open, 1, until, ZERO) == (
        "NotDesignOwner",
        (w.design, w.oem2.address),
    )
    unknown = b32("unknown licence")
    assert w.chain.revert_of(w.oem, w.ledger, "amendLicence", unknown, 1, until, ZERO) == (
        "UnknownLicence",
        (unknown,),
    )
    w.chain.send(w.oem, w.ledger, "revokeLicence", w.licence_open, ZERO)
    assert w.chain.revert_of(w.oem, w.ledger, "amendLicence", w.licence_open, 1, until, ZERO) == (
        "LicenceAlreadyRevoked",
        (w.licence_open,),
    )


def test_suspend_resume_revoke_lifecycle(fresh) -> None:
    w = fresh
    lid = w.licence_open
    record = w.print(lid, "S-1").as_tuple()
    receipt = w.chain.send(w.oem, w.ledger, "suspendLicence", lid, b32("audit"))
    assert events(receipt, w.ledger, "LicenceSuspended") == [
        {"licenceId": lid, "designId": w.design, "hub": w.hub.address, "reasonHash": b32("audit")}
    ]
    assert w.chain.revert_of(w.hub, w.ledger, "attestPrint", record) == (
        "LicenceNotActive",
        (lid, SUSPENDED),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "suspendLicence", lid, ZERO) == (
        "LicenceNotActive",
        (lid, SUSPENDED),
    )
    receipt = w.chain.send(w.oem, w.ledger, "resumeLicence", lid)
    assert events(receipt, w.ledger, "LicenceResumed") == [
        {"licenceId": lid, "designId": w.design, "hub": w.hub.address}
    ]
    assert w.chain.revert_of(w.oem, w.ledger, "resumeLicence", lid) == (
        "LicenceNotSuspended",
        (lid, ACTIVE),
    )
    w.chain.send(w.hub, w.ledger, "attestPrint", record)
    receipt = w.chain.send(w.oem, w.ledger, "revokeLicence", lid, b32("breach"))
    assert events(receipt, w.ledger, "LicenceRevoked") == [
        {"licenceId": lid, "designId": w.design, "hub": w.hub.address, "reasonHash": b32("breach")}
    ]
    assert w.chain.revert_of(w.hub, w.ledger, "attestPrint", w.print(lid, "S-2").as_tuple()) == (
        "LicenceNotActive",
        (lid, REVOKED),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "revokeLicence", lid, ZERO) == (
        "LicenceAlreadyRevoked",
        (lid,),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "resumeLicence", lid) == (
        "LicenceNotSuspended",
        (lid, REVOKED),
    )


def test_owner_only_licence_management(fresh) -> None:
    w = fresh
    for fn, args in (
        ("suspendLicence", (ZERO,)),
        ("resumeLicence", ()),
        ("revokeLicence", (ZERO,)),
    ):
        assert w.chain.revert_of(w.hub, w.ledger, fn, w.licence_open, *args) == (
            "NotDesignOwner",
            (w.design, w.hub.address),
        )
        unknown = b32("unknown licence")
        assert w.chain.revert_of(w.oem, w.ledger, fn, unknown, *args) == (
            "UnknownLicence",
            (unknown,),
        )


def test_licences_for_two_hubs_are_independent(fresh) -> None:
    w = fresh
    other = w.issue(hub=w.hub2.address, maxPrints=1)
    assert ids.hub_of_licence(other) == w.hub2.address
    record = w.print(other, "H2-1", w.machine_hub2).as_tuple()
    assert w.chain.revert_of(w.hub, w.ledger, "attestPrint", record) == (
        "NotLicensedHub",
        (other, w.hub.address),
    )
    w.chain.send(w.hub2, w.ledger, "attestPrint", record)
