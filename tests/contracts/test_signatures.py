"""EIP-712 relayed attestations: accepted signatures and every refusal, EIP-1271 hubs."""

from __future__ import annotations

from ledger_helpers import b32, events

from partledger.chain import eip712, ids

DEADLINE_IN = 3600


def signed(w, signer, record, *, nonce=0, deadline=None, chain_id=None, contract=None):
    deadline = deadline if deadline is not None else w.chain.timestamp() + DEADLINE_IN
    signature = eip712.sign_attest_print(
        signer,
        record,
        nonce,
        deadline,
        chain_id if chain_id is not None else w.chain.chain_id,
        contract or w.ledger.address,
    )
    return record.as_tuple(), deadline, signature


def test_relayed_signature_from_eth_account_is_accepted(fresh) -> None:
    w = fresh
    record = w.print(w.licence_qualified, "SIG-1")
    receipt = w.chain.send(w.relayer, w.ledger, "attestPrintBySig", *signed(w, w.hub, record))
    (event,) = events(receipt, w.ledger, "PrintAttested")
    assert event["licenceId"] == w.licence_qualified and event["serial"] == record.serial
    assert w.ledger.functions.printCommitment(w.design, record.serial).call() == (
        ids.print_commitment(record)
    )
    assert w.ledger.functions.nonces(w.hub.address).call() == 0  # the nonce is not consumed


def test_signature_for_another_chain_is_refused(fresh) -> None:
    w = fresh
    args = signed(w, w.hub, w.print(w.licence_open, "c1"), chain_id=1)
    assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
        "InvalidSignature",
        (w.hub.address,),
    )


def test_signature_for_another_contract_is_refused(fresh) -> None:
    w = fresh
    args = signed(w, w.hub, w.print(w.licence_open, "c2"), contract=w.registry.address)
    assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
        "InvalidSignature",
        (w.hub.address,),
    )


def test_expired_signature_is_refused(fresh) -> None:
    w = fresh
    deadline = w.chain.timestamp() - 1
    args = signed(w, w.hub, w.print(w.licence_open, "c3"), deadline=deadline)
    name, values = w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args)
    assert (name, values[0]) == ("SignatureExpired", deadline) and values[1] > deadline


def test_signature_succeeds_at_most_once(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "c4")
    args = signed(w, w.hub, record)
    w.chain.send(w.relayer, w.ledger, "attestPrintBySig", *args)
    for relayer in (w.relayer, w.attacker, w.hub):
        assert w.chain.revert_of(relayer, w.ledger, "attestPrintBySig", *args) == (
            "SerialAlreadyUsed",
            (w.design, record.serial),
        )


def test_signature_by_a_non_hub_is_refused(fresh) -> None:
    w = fresh
    for signer in (w.attacker, w.oem, w.hub2):
        args = signed(w, signer, w.print(w.licence_open, "c5"))
        assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
            "InvalidSignature",
            (w.hub.address,),
        )


def test_tampered_fields_or_garbage_signatures_are_refused(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "c6")
    _, deadline, signature = signed(w, w.hub, record)
    tampered = ids.PrintRecord(
        *record.as_tuple()[:3], b32("swapped lot"), record.quality_report_hash
    )
    for args in (
        (tampered.as_tuple(), deadline, signature),
        (record.as_tuple(), deadline + 1, signature),
        (record.as_tuple(), deadline, b"\x00" * 65),
        (record.as_tuple(), deadline, signature[:64]),
    ):
        assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
            "InvalidSignature",
            (w.hub.address,),
        )


def test_signed_print_still_obeys_the_licence(fresh) -> None:
    w = fresh
    w.chain.send(w.oem, w.ledger, "suspendLicence", w.licence_open, b32("hold"))
    args = signed(w, w.hub, w.print(w.licence_open, "c7"))
    assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
        "LicenceNotActive",
        (w.licence_open, 2),
    )
    unknown = ids.licence_id(w.design, w.hub.address, 55)
    args = signed(w, w.hub, w.print(unknown, "c8"))
    assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
        "UnknownLicence",
        (unknown,),
    )


def test_cancel_signatures_invalidates_outstanding_ones(fresh) -> None:
    w = fresh
    args = signed(w, w.hub, w.print(w.licence_open, "c9"))
    receipt = w.chain.send(w.hub, w.ledger, "cancelSignatures")
    assert events(receipt, w.ledger, "SignaturesCancelled") == [
        {"hub": w.hub.address, "newNonce": 1}
    ]
    assert w.ledger.functions.nonces(w.hub.address).call() == 1
    assert w.chain.revert_of(w.relayer, w.ledger, "attestPrintBySig", *args) == (
        "InvalidSignature",
        (w.hub.address,),
    )
    w.chain.send(
        w.relayer,
        w.ledger,
        "attestPrintBySig",
        *signed(w, w.hub, w.print(w.licence_open, "c9"), nonce=1),
    )


def test_front_running_a_relayed_signature_cannot_steal_it(fresh) -> None:
    """SWC-114: whoever submits the signed print, it is recorded as the hub's, once."""
    w = fresh
    record = w.print(w.licence_open, "c10")
    args = signed(w, w.hub, record)
    receipt = w.chain.send(w.attacker, w.ledger, "attestPrintBySig", *args)
    (event,) = events(receipt, w.ledger, "PrintAttested")
    assert ids.hub_of_licence(event["licenceId"]) == w.hub.address
    assert w.chain.send_raw_status(w.relayer, w.ledger, "attestPrintBySig", *args).status == 0
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 1


def test_eip1271_contract_wallet_hub(fresh, dev_accounts) -> None:
    w = fresh
    owner = dev_accounts[8]
    wallet = w.chain.deploy(owner, "test/SmartWalletHub", owner.address)
    w.chain.send(
        w.admin, w.ledger, "grantRole", w.ledger.functions.HUB_ROLE().call(), wallet.address
    )

    def via_wallet(fn, *args):
        return w.chain.send(
            owner, wallet, "execute", w.ledger.address, w.ledger.encode_abi(fn, args=list(args))
        )

    via_wallet("registerHub", "Wallet hub", b"DEHAM", b"\x07" * 32)
    machine_hash = ids.machine_hash("HP", "MJF 5200", "W-1")
    via_wallet("registerMachine", machine_hash)
    licence = w.issue(hub=wallet.address)
    record = w.print(licence, "W-1", ids.machine_id(wallet.address, machine_hash))
    w.chain.send(w.relayer, w.ledger, "attestPrintBySig", *signed(w, owner, record))
    assert w.ledger.functions.licence(licence).call()[2] == 1
    other = w.print(licence, "W-2", record.machine_id)
    assert w.chain.revert_of(
        w.relayer, w.ledger, "attestPrintBySig", *signed(w, w.attacker, other)
    ) == (
        "InvalidSignature",
        (wallet.address,),
    )
    assert w.chain.revert_of(w.attacker, wallet, "execute", w.ledger.address, b"") == (
        "NotWalletOwner",
        (w.attacker.address,),
    )


def test_batch_of_signed_prints_from_two_hubs_is_relayed_in_one_transaction(fresh) -> None:
    w = fresh
    hub2_licence = w.issue(hub=w.hub2.address)
    hub2_machine = ids.machine_id(w.hub2.address, ids.machine_hash("EOS", "M 400", "H2"))
    w.chain.send(w.hub2, w.ledger, "registerMachine", ids.machine_hash("EOS", "M 400", "H2"))
    items = [signed(w, w.hub, w.print(w.licence_open, f"B{i}")) for i in range(3)]
    items.append(signed(w, w.hub2, w.print(hub2_licence, "B-h2", machine=hub2_machine)))
    prints, deadlines, signatures = (list(column) for column in zip(*items, strict=True))
    receipt = w.chain.send(w.relayer, w.ledger, "attestBatchBySig", prints, deadlines, signatures)
    attested = events(receipt, w.ledger, "PrintAttested")
    assert [e["serial"] for e in attested] == [p[1] for p in prints]
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 3


def test_batch_by_signature_is_all_or_nothing(fresh) -> None:
    w = fresh
    good = signed(w, w.hub, w.print(w.licence_open, "G1"))
    forged = signed(w, w.attacker, w.print(w.licence_open, "G2"))
    prints, deadlines, signatures = (list(c) for c in zip(good, forged, strict=True))
    assert w.chain.revert_of(
        w.relayer, w.ledger, "attestBatchBySig", prints, deadlines, signatures
    ) == ("InvalidSignature", (w.hub.address,))
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 0


def test_batch_by_signature_checks_lengths_and_size(fresh) -> None:
    w = fresh
    record, deadline, signature = signed(w, w.hub, w.print(w.licence_open, "L1"))
    assert w.chain.revert_of(
        w.relayer, w.ledger, "attestBatchBySig", [record], [deadline, deadline], [signature]
    ) == ("BatchLengthMismatch", (1, 2, 1))
    assert w.chain.revert_of(w.relayer, w.ledger, "attestBatchBySig", [], [], []) == (
        "EmptyBatch",
        (),
    )
    n = 101
    assert w.chain.revert_of(
        w.relayer, w.ledger, "attestBatchBySig", [record] * n, [deadline] * n, [signature] * n
    ) == ("BatchTooLarge", (n, 100))
