"""``Ledger.view`` (one ABI lookup per function, then web3's codec) answers exactly what
web3's contract functions answer: structs, arrays, addresses, and the refusal of badly
typed arguments (real anvil chain)."""

from __future__ import annotations

from typing import Any

import pytest
from web3.exceptions import Web3Exception

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.chain import ids
from partledger.sdk import PrintInput
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY
from partledger.sdk.types import standard_code, to_bytes32


def _web3(world: World, contract: str, fn: str, *args: Any) -> Any:
    return getattr(world.ledger.contract(contract).functions, fn)(*args).call()


def test_every_kind_of_view_answers_as_web3_does(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    design_id = to_bytes32(design.design_id)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=3, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD,
    )  # fmt: skip
    world.hub.attest_print(PrintInput(issued.licence_id, "SN-V", world.machine, "L", b"rep"))
    licence_id, machine = to_bytes32(issued.licence_id), to_bytes32(world.machine)
    calls: list[tuple[str, str, tuple[Any, ...]]] = [
        (REGISTRY, "design", (design_id,)),  # a struct with addresses and bytes32
        (REGISTRY, "design", (design.design_id,)),  # a bytes32 given as hex text
        (REGISTRY, "ownerOf", (design_id,)),
        (REGISTRY, "hasRole", (_web3(world, REGISTRY, "OEM_ROLE"), world.oem.address)),
        (REGISTRY, "version", ()),
        (PRINT_LEDGER, "hub", (world.hub.address,)),  # several outputs
        (PRINT_LEDGER, "machine", (machine,)),
        (PRINT_LEDGER, "licence", (licence_id,)),
        (PRINT_LEDGER, "licenceCount", (design_id,)),
        (PRINT_LEDGER, "nonces", (world.hub.address,)),
        (PRINT_LEDGER, "qualification", (machine, standard_code(STANDARD))),
        (PRINT_LEDGER, "printStatus", (design_id, ids.serial_hash("SN-V"))),
        (PRINT_LEDGER, "printCommitment", (design_id, ids.serial_hash("SN-V"))),
        (PRINT_LEDGER, "eip712Domain", ()),  # a bytes1, strings, an array
    ]
    for contract, fn, args in calls:
        expected = _web3(world, contract, fn, *args)
        answered = world.ledger.view(contract, fn, *args)
        assert answered == expected and type(answered) is type(expected), (fn, args)


def test_badly_typed_arguments_are_refused_as_web3_refuses_them(world: World) -> None:
    bad = [
        ("licence", (12345,)),  # an int is no bytes32
        ("licence", (b"\x01" * 33,)),  # too long
        ("nonces", ("0x1234",)),  # no address
        ("nonces", (world.hub.address.lower(),)),  # no checksum: web3 refuses it
    ]
    for fn, args in bad:
        with pytest.raises(Web3Exception):
            _web3(world, PRINT_LEDGER, fn, *args)
        with pytest.raises(Web3Exception):
            world.ledger.view(PRINT_LEDGER, fn, *args)
