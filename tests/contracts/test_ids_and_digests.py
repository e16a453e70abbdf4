"""Python recomputation of ids, commitments, leaves and EIP-712 digests equals the contracts'."""

from __future__ import annotations

from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from ledger_helpers import b32

from partledger.chain import eip712, ids, merkle
from partledger.chain.artifacts import load_artifact

CODE_SIZE_LIMIT = 24_576


def test_deployed_code_fits_the_size_limit() -> None:
    for name in ("DesignRegistry", "PrintLedger"):
        assert len(load_artifact(name).deployed_code) <= CODE_SIZE_LIMIT, name


def test_design_id_and_commitment_match_the_registry(world) -> None:
    reg = world.registry.functions
    owner, content, salt = world.oem.address, b32("content"), b32("salt")
    assert reg.computeDesignId(owner, content).call() == ids.design_id(owner, content)
    assert reg.computeCommitment(owner, content, salt).call() == ids.design_commitment(
        owner, content, salt
    )
    assert world.design == ids.design_id(world.oem.address, world.content)
    assert reg.designIdOfContent(world.content).call() == world.design


def test_licence_machine_and_print_ids_match_the_ledger(world) -> None:
    led = world.ledger.functions
    hub = world.hub.address
    for index in (0, 1, 7, 2**32 - 1):
        expected = ids.licence_id(world.design, hub, index)
        assert led.computeLicenceId(world.design, hub, index).call() == expected
        assert ids.hub_of_licence(expected) == hub
    machine_hash = ids.machine_hash("EOS", "M 290", "M-1")
    assert led.computeMachineId(hub, machine_hash).call() == ids.machine_id(hub, machine_hash)
    assert world.machine == ids.machine_id(hub, machine_hash)
    serial = ids.serial_hash("SN-0001")
    assert serial == keccak(text="SN-0001")
    assert led.computePrintId(world.design, serial).call() == ids.print_id(world.design, serial)


def test_print_commitment_and_leaf_match_the_ledger(world) -> None:
    record = world.print(world.licence_open, "SN-42")
    assert world.ledger.functions.hashPrint(record.as_tuple()).call() == ids.print_commitment(
        record
    )
    assert world.ledger.functions.printLeaf(record.as_tuple()).call() == merkle.print_leaf(record)


def test_issued_licence_ids_are_the_python_ones(world) -> None:
    licence = world.ledger.functions.licence(world.licence_open).call()
    assert licence[0] == world.design
    assert world.ledger.functions.licenceCount(world.design).call() == 2


def test_eip712_domain_typehash_and_digest_match_the_ledger(world) -> None:
    led = world.ledger.functions
    chain_id, address = world.chain.chain_id, world.ledger.address
    assert led.ATTEST_PRINT_TYPEHASH().call() == eip712.ATTEST_PRINT_TYPEHASH
    assert led.domainSeparator().call() == eip712.domain_separator(chain_id, address)
    domain = led.eip712Domain().call()
    assert (domain[1], domain[2], domain[3], domain[4]) == ("PartLedger", "1", chain_id, address)
    record = world.print(world.licence_open, "SN-1")
    digest = eip712.attest_print_digest(record, 3, 1_900_000_000, chain_id, address)
    assert led.attestPrintDigest(record.as_tuple(), 3, 1_900_000_000).call() == digest


def test_eip712_digest_matches_eth_account_encoding(world) -> None:
    record = world.print(world.licence_open, "SN-2")
    message = eip712.attest_print_typed_data(record, 0, 123, 31337, world.ledger.address)
    signable = encode_typed_data(full_message=message)
    rebuilt = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert rebuilt == eip712.attest_print_digest(record, 0, 123, 31337, world.ledger.address)


def test_version_of_each_contract(world) -> None:
    assert world.registry.functions.version().call() == "1.1.0"
    assert world.ledger.functions.version().call() == "2.0.0"


def test_short_codes_are_left_aligned_ascii() -> None:
    assert ids.short_code("ITTRN", 5) == b"ITTRN"
    assert ids.short_code("ISO/ASTM 52920")[:14] == b"ISO/ASTM 52920"
    assert ids.hub_subject("0x" + "11" * 20) == b"\x00" * 12 + b"\x11" * 20


def test_bad_encodings_raise_the_project_error() -> None:
    import pytest

    from partledger.errors import PartLedgerError

    for bad_call in (
        lambda: ids.design_id("0x" + "11" * 20, b"short"),
        lambda: ids.short_code("é"),
        lambda: ids.short_code("x" * 6, 5),
        lambda: ids.PrintRecord(b"", b"", b"", b"", b""),
        lambda: merkle.MerkleTree([]),
    ):
        with pytest.raises(ids.EncodingError) as caught:
            bad_call()
        assert isinstance(caught.value, PartLedgerError) and isinstance(caught.value, ValueError)
