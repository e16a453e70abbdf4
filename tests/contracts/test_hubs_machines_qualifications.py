"""PrintLedger: hub identity and HPKE keys, machines, certifier qualifications."""

from __future__ import annotations

from ledger_helpers import b32, events
from ledger_world import DAY, HPKE_KEY, OTHER_STANDARD, STANDARD

from partledger.chain import ids

ZERO = b"\x00" * 32


def test_register_hub_stores_identity_and_emits(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    w.chain.send(w.admin, w.ledger, "grantRole", role, w.attacker.address)
    key = bytes(range(65))
    receipt = w.chain.send(w.attacker, w.ledger, "registerHub", "Hub Lyon", b"FRLYS", key)
    assert events(receipt, w.ledger, "HubRegistered") == [
        {"hub": w.attacker.address, "name": "Hub Lyon", "locode": b"FRLYS", "hpkePublicKey": key}
    ]
    assert tuple(w.ledger.functions.hub(w.attacker.address).call()) == (
        True,
        b"FRLYS",
        1,
        "Hub Lyon",
        key,
    )


def test_register_hub_reverts(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    assert w.chain.revert_of(w.attacker, w.ledger, "registerHub", "x", b"ITTRN", HPKE_KEY) == (
        "AccessControlUnauthorizedAccount",
        (w.attacker.address, role),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "registerHub", "x", b"ITTRN", HPKE_KEY) == (
        "HubAlreadyRegistered",
        (w.hub.address,),
    )
    w.chain.send(w.admin, w.ledger, "grantRole", role, w.attacker.address)
    for bad in (b"\x01" * 31, b"\x01" * 1281):
        assert w.chain.revert_of(w.attacker, w.ledger, "registerHub", "x", b"ITTRN", bad) == (
            "InvalidHpkeKey",
            (len(bad),),
        )


def test_update_details_and_rotate_key(fresh) -> None:
    w = fresh
    receipt = w.chain.send(w.hub, w.ledger, "updateHubDetails", "Hub Milano", b"ITMIL")
    assert events(receipt, w.ledger, "HubDetailsUpdated") == [
        {"hub": w.hub.address, "name": "Hub Milano", "locode": b"ITMIL"}
    ]
    new_key = b"\x42" * 32
    receipt = w.chain.send(w.hub, w.ledger, "rotateHubKey", new_key)
    assert events(receipt, w.ledger, "HubKeyRotated") == [
        {"hub": w.hub.address, "keyVersion": 2, "hpkePublicKey": new_key}
    ]
    assert tuple(w.ledger.functions.hub(w.hub.address).call()) == (
        True,
        b"ITMIL",
        2,
        "Hub Milano",
        new_key,
    )
    assert w.chain.revert_of(w.attacker, w.ledger, "updateHubDetails", "x", b"ITTRN") == (
        "UnknownHub",
        (w.attacker.address,),
    )
    assert w.chain.revert_of(w.attacker, w.ledger, "rotateHubKey", new_key) == (
        "UnknownHub",
        (w.attacker.address,),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "rotateHubKey", b"\x01") == ("InvalidHpkeKey", (1,))


def test_register_machine_is_hub_bound(fresh) -> None:
    w = fresh
    machine_hash = ids.machine_hash("Renishaw", "AM400", "R-9")
    receipt = w.chain.send(w.hub, w.ledger, "registerMachine", machine_hash)
    machine = ids.machine_id(w.hub.address, machine_hash)
    assert events(receipt, w.ledger, "MachineRegistered") == [
        {"machineId": machine, "hub": w.hub.address, "machineHash": machine_hash}
    ]
    registered_at = w.chain.timestamp()
    assert tuple(w.ledger.functions.machine(machine).call()) == (
        w.hub.address, False, registered_at, 0, machine_hash
    )  # fmt: skip
    assert w.chain.revert_of(w.hub, w.ledger, "registerMachine", machine_hash) == (
        "MachineAlreadyRegistered",
        (machine,),
    )
    # another hub registering the same physical machine gets its own id: nothing to squat
    w.chain.send(w.hub2, w.ledger, "registerMachine", machine_hash)
    other = ids.machine_id(w.hub2.address, machine_hash)
    assert w.ledger.functions.machine(other).call()[0] == w.hub2.address


def test_register_machine_reverts_for_non_hubs(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    assert w.chain.revert_of(w.attacker, w.ledger, "registerMachine", b32("m")) == (
        "AccessControlUnauthorizedAccount",
        (w.attacker.address, role),
    )
    w.chain.send(w.admin, w.ledger, "grantRole", role, w.attacker.address)
    assert w.chain.revert_of(w.attacker, w.ledger, "registerMachine", b32("m")) == (
        "UnknownHub",
        (w.attacker.address,),
    )


def test_retire_machine(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(w.hub2, w.ledger, "retireMachine", w.machine) == (
        "MachineNotOfHub",
        (w.machine, w.hub2.address, w.hub.address),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "retireMachine", b32("none")) == (
        "UnknownMachine",
        (b32("none"),),
    )
    receipt = w.chain.send(w.hub, w.ledger, "retireMachine", w.machine)
    assert events(receipt, w.ledger, "MachineRetired") == [
        {"machineId": w.machine, "hub": w.hub.address}
    ]
    stored = w.ledger.functions.machine(w.machine).call()
    assert stored[1] is True and stored[3] == w.chain.timestamp() and 0 < stored[2] <= stored[3]
    assert w.chain.revert_of(w.hub, w.ledger, "retireMachine", w.machine) == (
        "MachineIsRetired",
        (w.machine,),
    )
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "R1").as_tuple()
    ) == ("MachineIsRetired", (w.machine,))


def test_record_qualification_for_machine_and_hub(fresh) -> None:
    w = fresh
    now = w.chain.timestamp()
    receipt = w.chain.send(
        w.certifier,
        w.ledger,
        "recordQualification",
        w.machine_unqualified,
        OTHER_STANDARD,
        b32("cert 2"),
        now,
        now + DAY,
    )
    assert events(receipt, w.ledger, "QualificationRecorded") == [
        {
            "subject": w.machine_unqualified,
            "standard": OTHER_STANDARD,
            "certifier": w.certifier.address,
            "certificateHash": b32("cert 2"),
            "validFrom": now,
            "validUntil": now + DAY,
        }
    ]
    assert tuple(
        w.ledger.functions.qualification(w.machine_unqualified, OTHER_STANDARD).call()
    ) == (
        w.certifier.address,
        now,
        now + DAY,
        False,
        b32("cert 2"),
    )
    isq = w.ledger.functions.isQualified
    assert isq(w.machine_unqualified, OTHER_STANDARD, now).call()
    assert isq(w.machine_unqualified, OTHER_STANDARD, now + DAY).call()
    assert not isq(w.machine_unqualified, OTHER_STANDARD, now - 1).call()
    assert not isq(w.machine_unqualified, OTHER_STANDARD, now + DAY + 1).call()
    assert not isq(w.machine_unqualified, STANDARD, now).call()
    hub_subject = ids.hub_subject(w.hub.address)
    w.chain.send(
        w.certifier, w.ledger, "recordQualification", hub_subject, STANDARD, b32("c"), now, now + 9
    )
    assert isq(hub_subject, STANDARD, now).call()


def test_record_qualification_reverts(fresh) -> None:
    w = fresh
    role = w.ledger.functions.CERTIFIER_ROLE().call()
    args = (w.machine, STANDARD, b32("c"), 1, 2)
    assert w.chain.revert_of(w.hub, w.ledger, "recordQualification", *args) == (
        "AccessControlUnauthorizedAccount",
        (w.hub.address, role),
    )
    for subject in (b32("unknown machine"), ids.hub_subject(w.attacker.address)):
        assert w.chain.revert_of(
            w.certifier, w.ledger, "recordQualification", subject, STANDARD, b32("c"), 1, 2
        ) == ("UnknownQualificationSubject", (subject,))
    assert w.chain.revert_of(
        w.certifier, w.ledger, "recordQualification", w.machine, ZERO, b32("c"), 1, 2
    ) == ("ZeroStandard", ())
    assert w.chain.revert_of(
        w.certifier, w.ledger, "recordQualification", w.machine, STANDARD, b32("c"), 5, 5
    ) == ("InvalidValidity", (5, 5))


def test_revoke_qualification(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(
        w.certifier, w.ledger, "revokeQualification", w.machine, OTHER_STANDARD, ZERO
    ) == ("UnknownQualification", (w.machine, OTHER_STANDARD))
    assert w.chain.revert_of(
        w.attacker, w.ledger, "revokeQualification", w.machine, STANDARD, ZERO
    ) == ("NotQualificationAuthority", (w.machine, STANDARD, w.attacker.address))
    receipt = w.chain.send(
        w.certifier, w.ledger, "revokeQualification", w.machine, STANDARD, b32("fraud")
    )
    assert events(receipt, w.ledger, "QualificationRevoked") == [
        {
            "subject": w.machine,
            "standard": STANDARD,
            "by": w.certifier.address,
            "reasonHash": b32("fraud"),
        }
    ]
    assert not w.ledger.functions.isQualified(w.machine, STANDARD, w.chain.timestamp()).call()
    assert w.chain.revert_of(
        w.certifier, w.ledger, "revokeQualification", w.machine, STANDARD, ZERO
    ) == ("QualificationAlreadyRevoked", (w.machine, STANDARD))
    # printing on a licence that requires the standard is now refused
    record = w.print(w.licence_qualified, "Q1")
    name, args = w.chain.revert_of(w.hub, w.ledger, "attestPrint", record.as_tuple())
    assert (name, args[:2]) == ("MachineNotQualified", (w.machine, STANDARD))


def test_admin_may_revoke_any_qualification(fresh) -> None:
    w = fresh
    w.chain.send(w.admin, w.ledger, "revokeQualification", w.machine, STANDARD, ZERO)
    assert w.ledger.functions.qualification(w.machine, STANDARD).call()[3] is True


def second_certifier(w):
    """Another accredited certifier (the relayer account, given the role for the test)."""
    role = w.ledger.functions.CERTIFIER_ROLE().call()
    w.chain.send(w.admin, w.ledger, "grantRole", role, w.relayer.address)
    return w.relayer


def test_c_another_certifier_cannot_shrink_or_replace_a_record_in_force(fresh) -> None:
    """C: certifier B may not overwrite A's record (shrinking its window blocks printing)."""
    w = fresh
    b = second_certifier(w)
    before = tuple(w.ledger.functions.qualification(w.machine, STANDARD).call())
    name, args = w.chain.revert_of(
        b, w.ledger, "recordQualification", w.machine, STANDARD, b32("mine"), 1, 2
    )
    assert (name, args[:3]) == (
        "QualificationHeldByOther", (w.machine, STANDARD, w.certifier.address)
    )  # fmt: skip
    assert tuple(w.ledger.functions.qualification(w.machine, STANDARD).call()) == before
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(w.licence_qualified, "C-ok").as_tuple())


def test_c_another_certifier_cannot_requalify_a_machine_a_revoked(fresh) -> None:
    w = fresh
    b = second_certifier(w)
    w.chain.send(w.certifier, w.ledger, "revokeQualification", w.machine, STANDARD, b32("unsafe"))
    now = w.chain.timestamp()
    name, _ = w.chain.revert_of(
        b, w.ledger, "recordQualification", w.machine, STANDARD, b32("b"), now, now + DAY
    )
    assert name == "QualificationHeldByOther"
    assert not w.ledger.functions.isQualified(w.machine, STANDARD, now).call()
    # B cannot revoke A's records either; only A or an admin may
    assert w.chain.revert_of(
        b, w.ledger, "revokeQualification", w.machine_hub2, STANDARD, ZERO
    ) == ("NotQualificationAuthority", (w.machine_hub2, STANDARD, b.address))
    # A itself may re-qualify after the fix (its own record, renewed)
    w.chain.send(
        w.certifier, w.ledger, "recordQualification",
        w.machine, STANDARD, b32("re-cert"), now, now + DAY,
    )  # fmt: skip
    assert w.ledger.functions.isQualified(w.machine, STANDARD, now).call()


def test_c_another_certifier_may_qualify_once_the_record_has_ended(fresh) -> None:
    w = fresh
    b = second_certifier(w)
    now = w.chain.timestamp()
    w.chain.send(
        w.certifier, w.ledger, "recordQualification",
        w.machine_unqualified, OTHER_STANDARD, b32("short"), now - DAY, now + 5,
    )  # fmt: skip
    w.chain.mine(seconds=60)
    later = w.chain.timestamp()
    w.chain.send(
        b, w.ledger, "recordQualification",
        w.machine_unqualified, OTHER_STANDARD, b32("b"), later, later + DAY,
    )  # fmt: skip
    record = w.ledger.functions.qualification(w.machine_unqualified, OTHER_STANDARD).call()
    assert record[0] == b.address and record[4] == b32("b")
