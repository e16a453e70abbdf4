"""Header hashes, account and storage proofs from a real anvil, checked offline — and forgeries."""

from __future__ import annotations

import pytest
from web3 import Web3

from partledger.chain import ids
from partledger.proofs import (
    HeaderError,
    StateProofError,
    StorageLayout,
    block_hash,
    verify_account,
    verify_storage,
)


def _block(w3: Web3, number: int) -> dict:
    raw = w3.provider.make_request("eth_getBlockByNumber", [hex(number), False])  # type: ignore[arg-type]
    return dict(raw["result"])


def _proof(w3: Web3, address: str, slots: list[int], number: int) -> dict:
    raw = w3.provider.make_request(  # type: ignore[arg-type]
        "eth_getProof", [address, ["0x" + s.to_bytes(32, "big").hex() for s in slots], hex(number)]
    )
    assert "result" in raw, raw
    return dict(raw["result"])


def _unhex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def test_block_hashes_recompute_from_their_headers(world) -> None:
    w3 = world.chain.w3
    for number in range(max(0, w3.eth.block_number - 5), w3.eth.block_number + 1):
        block = _block(w3, number)
        assert block_hash(block) == _unhex(block["hash"])
        tampered = dict(block, stateRoot="0x" + "11" * 32)
        assert block_hash(tampered) != _unhex(block["hash"])
    with pytest.raises(HeaderError):
        block_hash({"parentHash": "0x" + "00" * 32})


def test_a_licence_and_a_print_are_proven_from_the_state_root(world) -> None:
    w = world
    record = w.print(w.licence_qualified, "PROOF-1")
    receipt = w.chain.send(w.hub, w.ledger, "attestPrint", record.as_tuple())
    number = receipt["blockNumber"]
    layout = StorageLayout.of_contract("PrintLedger")
    licence = layout.locate("_licenceStates", w.licence_qualified)
    info = layout.locate("_licenceInfos", w.licence_qualified)
    print_id = ids.print_id(w.design, record.serial)
    stored_print = layout.locate("_prints", print_id)
    slots = [*licence.slots, *info.slots, *stored_print.slots]
    proof = _proof(w.chain.w3, w.ledger.address, slots, number)
    header = _block(w.chain.w3, number)
    assert block_hash(header) == _unhex(header["hash"])
    account = verify_account(
        _unhex(header["stateRoot"]),
        _unhex(w.ledger.address),
        [_unhex(n) for n in proof["accountProof"]],
    )
    assert account.storage_root == _unhex(proof["storageHash"])
    words = {
        int(p["key"], 16): verify_storage(account.storage_root, int(p["key"], 16),
                                          [_unhex(n) for n in p["proof"]])
        for p in proof["storageProof"]
    }  # fmt: skip
    state = layout.decode(licence, words)
    assert state["printed"] == 1 and state["maxPrints"] == 5 and state["status"] == 1
    assert layout.decode(info, words)["designId"] == w.design
    assert layout.decode(stored_print, words) == ids.print_commitment(record)
    # the same proof read against another block's root, or a tampered node, is refused
    earlier = _block(w.chain.w3, number - 1)
    with pytest.raises(StateProofError):
        verify_account(
            _unhex(earlier["stateRoot"]), _unhex(w.ledger.address),
            [_unhex(n) for n in proof["accountProof"]],
        )  # fmt: skip
    nodes = [_unhex(n) for n in proof["storageProof"][0]["proof"]]
    nodes[-1] = nodes[-1][:-1] + bytes([nodes[-1][-1] ^ 1])
    with pytest.raises(StateProofError):
        verify_storage(account.storage_root, int(proof["storageProof"][0]["key"], 16), nodes)
