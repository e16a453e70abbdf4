"""DesignRegistry: commit-reveal registration, revisions, deprecation, recall, ownership."""

from __future__ import annotations

import pytest
from ledger_helpers import b32, events

from partledger.chain import ids

ZERO = b"\x00" * 32
ACTIVE, DEPRECATED, RECALLED = 1, 2, 3


def commit(world, oem, content, salt=b"\x01" * 32):
    commitment = ids.design_commitment(oem.address, content, salt)
    world.chain.send(oem, world.registry, "commitDesign", commitment)
    return commitment, salt


def reveal_args(content, salt, revises=ZERO):
    return (content, b32("container"), b32("metadata"), revises, salt)


def test_register_design_records_fields_and_emits_events(fresh) -> None:
    w = fresh
    content = b32("new design")
    commitment, salt = ids.design_commitment(w.oem.address, content, b"\x01" * 32), b"\x01" * 32
    receipt = w.chain.send(w.oem, w.registry, "commitDesign", commitment)
    assert events(receipt, w.registry, "DesignCommitted") == [
        {"committer": w.oem.address, "commitment": commitment}
    ]
    assert w.registry.functions.commitmentBlock(w.oem.address, commitment).call() > 0
    receipt = w.chain.send(w.oem, w.registry, "registerDesign", *reveal_args(content, salt))
    design_id = ids.design_id(w.oem.address, content)
    assert events(receipt, w.registry, "DesignRegistered") == [
        {
            "designId": design_id,
            "owner": w.oem.address,
            "contentHash": content,
            "containerHash": b32("container"),
            "metadataHash": b32("metadata"),
            "revises": ZERO,
        }
    ]
    record = w.registry.functions.design(design_id).call()
    assert record[0] == w.oem.address and record[2] == ACTIVE
    assert tuple(record[3:]) == (content, b32("container"), b32("metadata"), ZERO, design_id)
    assert w.registry.functions.ownerOf(design_id).call() == w.oem.address
    assert w.registry.functions.statusOf(design_id).call() == ACTIVE
    assert w.registry.functions.latestRevision(design_id).call() == design_id
    # the commitment is consumed
    assert w.registry.functions.commitmentBlock(w.oem.address, commitment).call() == 0


def test_register_reverts_without_a_commitment(fresh) -> None:
    w = fresh
    content = b32("uncommitted")
    commitment = ids.design_commitment(w.oem.address, content, b"\x02" * 32)
    assert w.chain.revert_of(
        w.oem, w.registry, "registerDesign", *reveal_args(content, b"\x02" * 32)
    ) == ("CommitmentNotFound", (w.oem.address, commitment))


def test_register_reverts_in_the_commitment_block(fresh) -> None:
    w = fresh
    content = b32("same block")
    commitment, salt = commit(w, w.oem, content)
    committed_at = w.registry.functions.commitmentBlock(w.oem.address, commitment).call()
    # simulate the reveal in the commitment's own block
    w.w3 = w.chain.w3
    response = w.chain.w3.provider.make_request(
        "eth_call",
        [
            {
                "from": w.oem.address,
                "to": w.registry.address,
                "data": w.registry.encode_abi(
                    "registerDesign", args=list(reveal_args(content, salt))
                ),
            },
            hex(committed_at),
        ],
    )
    data = bytes.fromhex(response["error"]["data"].removeprefix("0x"))
    assert w.chain.decoder.decode(data) == ("CommitmentTooRecent", (commitment, committed_at))


def test_commit_reverts_on_duplicate_and_zero(fresh) -> None:
    w = fresh
    commitment, _ = commit(w, w.oem, b32("dup"))
    assert w.chain.revert_of(w.oem, w.registry, "commitDesign", commitment) == (
        "CommitmentAlreadyMade",
        (w.oem.address, commitment),
    )
    assert w.chain.revert_of(w.oem, w.registry, "commitDesign", ZERO) == ("ZeroHash", ())


def test_register_reverts_on_zero_hashes(fresh) -> None:
    w = fresh
    for args in (
        (ZERO, b32("c"), b32("m")),
        (b32("x"), ZERO, b32("m")),
        (b32("x"), b32("c"), ZERO),
    ):
        assert w.chain.revert_of(w.oem, w.registry, "registerDesign", *args, ZERO, ZERO) == (
            "ZeroHash",
            (),
        )


def test_only_oems_commit_register_and_accept(fresh) -> None:
    w = fresh
    role = w.registry.functions.OEM_ROLE().call()
    expected = ("AccessControlUnauthorizedAccount", (w.attacker.address, role))
    assert w.chain.revert_of(w.attacker, w.registry, "commitDesign", b32("x")) == expected
    assert (
        w.chain.revert_of(w.attacker, w.registry, "registerDesign", *reveal_args(b32("x"), ZERO))
        == expected
    )
    assert w.chain.revert_of(w.attacker, w.registry, "acceptDesignOwnership", w.design) == expected


def test_content_hash_is_unique_across_the_ledger(fresh) -> None:
    w = fresh
    _, salt = commit(w, w.oem2, w.content)
    assert w.chain.revert_of(
        w.oem2, w.registry, "registerDesign", *reveal_args(w.content, salt)
    ) == (
        "ContentAlreadyRegistered",
        (w.content, w.design),
    )


def test_copied_registration_cannot_steal_priority(fresh) -> None:
    """SWC-114: an attacker copying the OEM's commit or reveal gains nothing."""
    w = fresh
    role = w.registry.functions.OEM_ROLE().call()
    w.chain.send(w.admin, w.registry, "grantRole", role, w.attacker.address)  # even as an OEM
    content, salt = b32("valuable design"), b32("secret salt")
    commitment = ids.design_commitment(w.oem.address, content, salt)
    # 1. copying the commit tx: it is bound to the OEM's address, so it is useless to the attacker
    w.chain.send(w.attacker, w.registry, "commitDesign", commitment)
    w.chain.send(w.oem, w.registry, "commitDesign", commitment)  # and it does not block the OEM
    # 2. copying the reveal tx (front-running it with the same calldata) fails
    stolen = w.chain.revert_of(
        w.attacker, w.registry, "registerDesign", *reveal_args(content, salt)
    )
    attacker_commitment = ids.design_commitment(w.attacker.address, content, salt)
    assert stolen == ("CommitmentNotFound", (w.attacker.address, attacker_commitment))
    # 3. committing after seeing the reveal is too late: the reveal needs a later block
    w.chain.send(w.attacker, w.registry, "commitDesign", attacker_commitment)
    w.chain.send(w.oem, w.registry, "registerDesign", *reveal_args(content, salt))
    assert w.chain.revert_of(
        w.attacker, w.registry, "registerDesign", *reveal_args(content, salt)
    ) == ("ContentAlreadyRegistered", (content, ids.design_id(w.oem.address, content)))
    assert w.registry.functions.ownerOf(ids.design_id(w.oem.address, content)).call() == (
        w.oem.address
    )


def test_revision_chain_and_latest_revision(fresh) -> None:
    w = fresh
    v2 = w.register_design(w.oem, b32("v2"), w.design)
    v3 = w.register_design(w.oem, b32("v3"), v2)
    reg = w.registry.functions
    assert reg.revisionOf(v3).call() == v2 and reg.revisionOf(v2).call() == w.design
    assert reg.nextRevisionOf(w.design).call() == v2 and reg.nextRevisionOf(v3).call() == ZERO
    for design in (w.design, v2, v3):
        assert reg.latestRevision(design).call() == v3
    assert reg.design(v3).call()[7] == w.design  # root of the chain
    assert reg.latestRevision(b32("unknown")).call() == ZERO


def test_revise_reverts_for_unknown_foreign_or_already_revised(fresh) -> None:
    w = fresh
    _, salt = commit(w, w.oem, b32("r1"))
    unknown = b32("unknown")
    assert w.chain.revert_of(
        w.oem, w.registry, "registerDesign", *reveal_args(b32("r1"), salt, unknown)
    ) == ("UnknownDesign", (unknown,))
    _, salt2 = commit(w, w.oem2, b32("r2"))
    assert w.chain.revert_of(
        w.oem2, w.registry, "registerDesign", *reveal_args(b32("r2"), salt2, w.design)
    ) == ("NotDesignOwner", (w.design, w.oem2.address))
    v2 = w.register_design(w.oem, b32("v2"), w.design)
    assert w.chain.revert_of(
        w.oem, w.registry, "registerDesign", *reveal_args(b32("r1"), salt, w.design)
    ) == ("DesignAlreadyRevised", (w.design, v2))


def test_deprecate_emits_and_blocks_new_licences(fresh) -> None:
    w = fresh
    receipt = w.chain.send(w.oem, w.registry, "deprecateDesign", w.design)
    assert events(receipt, w.registry, "DesignDeprecated") == [
        {"designId": w.design, "owner": w.oem.address}
    ]
    assert w.registry.functions.statusOf(w.design).call() == DEPRECATED
    assert w.chain.revert_of(w.oem, w.registry, "deprecateDesign", w.design) == (
        "DesignStatusForbids",
        (w.design, DEPRECATED),
    )
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms()) == (
        "DesignNotLicensable",
        (w.design, DEPRECATED),
    )
    # existing licences keep working
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "after-dep").as_tuple())


def test_recall_emits_in_both_contracts_and_blocks_prints(fresh) -> None:
    w = fresh
    w.chain.send(w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "before").as_tuple())
    receipt = w.chain.send(w.oem, w.registry, "recallDesign", w.design, b32("notice"))
    assert events(receipt, w.registry, "DesignRecalled") == [
        {"designId": w.design, "owner": w.oem.address, "reasonHash": b32("notice")}
    ]
    assert events(receipt, w.ledger, "DesignRecallRecorded") == [{"designId": w.design}]
    assert w.registry.functions.statusOf(w.design).call() == RECALLED
    assert w.ledger.functions.isDesignRecalled(w.design).call()
    assert w.chain.revert_of(w.oem, w.registry, "recallDesign", w.design, ZERO) == (
        "DesignStatusForbids",
        (w.design, RECALLED),
    )
    assert w.chain.revert_of(
        w.hub, w.ledger, "attestPrint", w.print(w.licence_open, "after").as_tuple()
    ) == ("DesignUnderRecall", (w.design,))
    assert w.chain.revert_of(w.oem, w.ledger, "issueLicence", w.terms()) == (
        "DesignNotLicensable",
        (w.design, RECALLED),
    )
    # printed parts show as recalled to auditors
    serial = ids.serial_hash("before")
    assert tuple(w.ledger.functions.printStatus(w.design, serial).call()) == (True, False, True)


def test_deprecated_design_can_still_be_recalled(fresh) -> None:
    w = fresh
    w.chain.send(w.oem, w.registry, "deprecateDesign", w.design)
    w.chain.send(w.oem, w.registry, "recallDesign", w.design, ZERO)
    assert w.registry.functions.statusOf(w.design).call() == RECALLED


def test_owner_only_lifecycle_calls(fresh) -> None:
    w = fresh
    unknown = b32("nope")
    for fn, args in (
        ("deprecateDesign", (w.design,)),
        ("recallDesign", (w.design, ZERO)),
        ("transferDesignOwnership", (w.design, w.oem2.address)),
    ):
        assert w.chain.revert_of(w.oem2, w.registry, fn, *args) == (
            "NotDesignOwner",
            (w.design, w.oem2.address),
        )
        assert w.chain.revert_of(w.oem, w.registry, fn, unknown, *args[1:]) == (
            "UnknownDesign",
            (unknown,),
        )


def test_two_step_ownership_transfer(fresh) -> None:
    w = fresh
    receipt = w.chain.send(w.oem, w.registry, "transferDesignOwnership", w.design, w.oem2.address)
    assert events(receipt, w.registry, "DesignOwnershipTransferStarted") == [
        {"designId": w.design, "previousOwner": w.oem.address, "newOwner": w.oem2.address}
    ]
    assert w.registry.functions.pendingOwnerOf(w.design).call() == w.oem2.address
    assert w.registry.functions.ownerOf(w.design).call() == w.oem.address
    role = w.registry.functions.OEM_ROLE().call()
    assert w.chain.revert_of(w.admin, w.registry, "acceptDesignOwnership", w.design) == (
        "AccessControlUnauthorizedAccount",
        (w.admin.address, role),
    )
    assert w.chain.revert_of(w.oem, w.registry, "acceptDesignOwnership", w.design) == (
        "NotPendingOwner",
        (w.design, w.oem.address),
    )
    receipt = w.chain.send(w.oem2, w.registry, "acceptDesignOwnership", w.design)
    assert events(receipt, w.registry, "DesignOwnershipTransferred") == [
        {"designId": w.design, "previousOwner": w.oem.address, "newOwner": w.oem2.address}
    ]
    assert w.registry.functions.ownerOf(w.design).call() == w.oem2.address
    assert w.registry.functions.pendingOwnerOf(w.design).call() == "0x" + "00" * 20
    # the new owner manages licences; the old one no longer can
    assert w.chain.revert_of(w.oem, w.ledger, "suspendLicence", w.licence_open, ZERO) == (
        "NotDesignOwner",
        (w.design, w.oem.address),
    )
    w.chain.send(w.oem2, w.ledger, "suspendLicence", w.licence_open, ZERO)


def test_transfer_to_zero_cancels_the_offer(fresh) -> None:
    w = fresh
    w.chain.send(w.oem, w.registry, "transferDesignOwnership", w.design, w.oem2.address)
    w.chain.send(w.oem, w.registry, "transferDesignOwnership", w.design, "0x" + "00" * 20)
    assert w.chain.revert_of(w.oem2, w.registry, "acceptDesignOwnership", w.design) == (
        "NotPendingOwner",
        (w.design, w.oem2.address),
    )


def test_set_print_ledger_is_once_and_restricted(fresh) -> None:
    w = fresh
    assert w.registry.functions.printLedger().call() == w.ledger.address
    assert w.chain.revert_of(w.attacker, w.registry, "setPrintLedger", w.attacker.address) == (
        "NotWiringAuthority",
        (w.attacker.address,),
    )
    assert w.chain.revert_of(w.admin, w.registry, "setPrintLedger", w.attacker.address) == (
        "PrintLedgerAlreadySet",
        (w.ledger.address,),
    )


def test_set_print_ledger_rejects_zero_and_emits(fresh) -> None:
    w = fresh
    registry = w.chain.deploy(w.admin, "DesignRegistry", w.admin.address)
    assert w.chain.revert_of(w.admin, registry, "setPrintLedger", "0x" + "00" * 20) == (
        "ZeroAddress",
        (),
    )
    receipt = w.chain.send(w.admin, registry, "setPrintLedger", w.ledger.address)
    assert events(receipt, registry, "PrintLedgerSet") == [{"printLedger": w.ledger.address}]


def test_constructors_reject_zero_addresses(fresh) -> None:
    w = fresh
    from ledger_helpers import TxFailed

    with pytest.raises(TxFailed):
        w.chain.deploy(w.admin, "DesignRegistry", "0x" + "00" * 20)
    with pytest.raises(TxFailed):
        w.chain.deploy(w.admin, "PrintLedger", w.admin.address, "0x" + "00" * 20)


def test_pause_blocks_registry_writes(fresh) -> None:
    w = fresh
    assert w.chain.revert_of(w.oem, w.registry, "pause") == (
        "AccessControlUnauthorizedAccount",
        (w.oem.address, b"\x00" * 32),
    )
    receipt = w.chain.send(w.admin, w.registry, "pause")
    assert events(receipt, w.registry, "Paused") == [{"account": w.admin.address}]
    assert w.chain.revert_of(w.oem, w.registry, "commitDesign", b32("p")) == ("EnforcedPause", ())
    assert w.chain.revert_of(w.oem, w.registry, "deprecateDesign", w.design) == (
        "EnforcedPause",
        (),
    )
    receipt = w.chain.send(w.admin, w.registry, "unpause")
    assert events(receipt, w.registry, "Unpaused") == [{"account": w.admin.address}]
    assert w.chain.revert_of(w.admin, w.registry, "unpause") == ("ExpectedPause", ())


def test_role_changes_emit_events(fresh) -> None:
    w = fresh
    role = w.registry.functions.OEM_ROLE().call()
    receipt = w.chain.send(w.admin, w.registry, "grantRole", role, w.attacker.address)
    assert events(receipt, w.registry, "RoleGranted") == [
        {"role": role, "account": w.attacker.address, "sender": w.admin.address}
    ]
    receipt = w.chain.send(w.admin, w.registry, "revokeRole", role, w.attacker.address)
    assert events(receipt, w.registry, "RoleRevoked") == [
        {"role": role, "account": w.attacker.address, "sender": w.admin.address}
    ]
