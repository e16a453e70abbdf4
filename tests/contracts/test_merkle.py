"""Merkle-anchored batches: npm StandardMerkleTree, Python merkle.py and the contract agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from ledger_helpers import b32, events, node_available
from ledger_world import STANDARD

from partledger.chain import ids, merkle
from partledger.chain.compiler import project_root

ZERO = b"\x00" * 32
SCRIPT = Path(__file__).with_name("standard_tree.cjs")


def npm_tree(records: list[ids.PrintRecord]) -> dict:
    payload = {
        "types": list(ids.PRINT_TYPES),
        "values": [["0x" + v.hex() for v in r.as_tuple()] for r in records],
    }
    result = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=project_root(),
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def unhex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def records_for(w, licences, count) -> list[ids.PrintRecord]:
    return [w.print(licences[i % len(licences)], f"MK-{i}") for i in range(count)]


@pytest.mark.skipif(not node_available(), reason="node is needed for @openzeppelin/merkle-tree")
def test_npm_python_and_contract_agree_on_root_and_proofs(fresh) -> None:
    w = fresh
    second = w.issue(maxPrints=50)
    records = records_for(w, [w.licence_open, second], 13)
    reference = npm_tree(records)
    tree = merkle.StandardMerkleTree.of_prints(records)
    assert tree.root == unhex(reference["root"])
    assert [unhex(n) for n in reference["dump"]["tree"]] == tree.tree
    for i in range(len(records)):
        assert tree.proof(i) == [unhex(p) for p in reference["proofs"][i]]
        assert tree.verify(i, tree.proof(i))
    entries = [(w.design, 0, 7), (w.design, 2, 6)]
    receipt = w.chain.send(w.hub, w.ledger, "anchorBatch", tree.root, entries)
    assert events(receipt, w.ledger, "BatchAnchored") == [
        {
            "root": tree.root,
            "hub": w.hub.address,
            "totalPrints": 13,
            "licenceIds": [w.licence_open, second],
            "counts": [7, 6],
        }
    ]
    verify = w.ledger.functions.verifyAnchoredPrint
    for i, record in enumerate(records):
        proof = [unhex(p) for p in reference["proofs"][i]]
        assert verify(tree.root, record.as_tuple(), proof).call()
    # a wrong proof, a record not in the tree, or an unanchored root do not verify
    assert not verify(tree.root, records[0].as_tuple(), tree.proof(1)).call()
    stranger = w.print(w.licence_open, "not in tree")
    assert not verify(tree.root, stranger.as_tuple(), tree.proof(0)).call()
    assert not verify(b32("unanchored"), records[0].as_tuple(), tree.proof(0)).call()
    anchor = w.ledger.functions.anchor(tree.root).call()
    assert anchor[0] == w.hub.address and anchor[2] == 13
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 7
    assert w.ledger.functions.licence(second).call()[2] == 6


def test_single_leaf_tree_has_an_empty_proof(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "solo")
    tree = merkle.StandardMerkleTree.of_prints([record])
    assert tree.root == merkle.print_leaf(record) and tree.proof(0) == []
    w.chain.send(w.hub, w.ledger, "anchorBatch", tree.root, [(w.design, 0, 1)])
    assert w.ledger.functions.verifyAnchoredPrint(tree.root, record.as_tuple(), []).call()


def test_another_hubs_leaf_does_not_verify_under_this_root(fresh) -> None:
    w = fresh
    foreign_licence = w.issue(hub=w.hub2.address)
    records = [w.print(w.licence_open, "a"), w.print(foreign_licence, "b", w.machine_hub2)]
    tree = merkle.StandardMerkleTree.of_prints(records)
    w.chain.send(w.hub, w.ledger, "anchorBatch", tree.root, [(w.design, 0, 2)])
    verify = w.ledger.functions.verifyAnchoredPrint
    assert verify(tree.root, records[0].as_tuple(), tree.proof(0)).call()
    assert not verify(tree.root, records[1].as_tuple(), tree.proof(1)).call()


def test_anchor_reverts(fresh) -> None:
    w = fresh
    root = b32("root")
    entry = (w.design, 0, 1)
    hub_role = w.ledger.functions.HUB_ROLE().call()
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", ZERO, [entry]) == ("ZeroRoot", ())
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, []) == ("EmptyBatch", ())
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [entry] * 65) == (
        "BatchTooLarge",
        (65, 64),
    )
    assert w.chain.revert_of(w.attacker, w.ledger, "anchorBatch", root, [entry]) == (
        "AccessControlUnauthorizedAccount",
        (w.attacker.address, hub_role),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [(w.design, 0, 0)]) == (
        "ZeroCount",
        (w.licence_open,),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [(w.design, 0, 11)]) == (
        "LicenceExhausted",
        (w.licence_open, 10, 0, 11),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [(w.design, 0, 6)] * 2) == (
        "LicenceExhausted",
        (w.licence_open, 10, 6, 6),
    )
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [(w.design, 1, 1)]) == (
        "LicenceRequiresQualifiedMachine",
        (w.licence_qualified, STANDARD),
    )
    missing = ids.licence_id(w.design, w.hub.address, 9)
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [(w.design, 9, 1)]) == (
        "UnknownLicence",
        (missing,),
    )
    # another hub cannot debit this hub's licence: the licence id is derived from the caller
    other = ids.licence_id(w.design, w.hub2.address, 0)
    assert w.chain.revert_of(w.hub2, w.ledger, "anchorBatch", root, [entry]) == (
        "UnknownLicence",
        (other,),
    )
    w.chain.send(w.hub, w.ledger, "anchorBatch", root, [entry])
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", root, [entry]) == (
        "RootAlreadyAnchored",
        (root,),
    )
    w.chain.send(w.oem, w.ledger, "suspendLicence", w.licence_open, ZERO)
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", b32("r2"), [entry]) == (
        "LicenceNotActive",
        (w.licence_open, 2),
    )
    w.chain.send(w.oem, w.ledger, "resumeLicence", w.licence_open)
    w.chain.send(w.oem, w.registry, "recallDesign", w.design, ZERO)
    assert w.chain.revert_of(w.hub, w.ledger, "anchorBatch", b32("r2"), [entry]) == (
        "DesignUnderRecall",
        (w.design,),
    )


def test_anchor_respects_the_validity_window(fresh) -> None:
    w = fresh
    now = w.chain.timestamp()
    w.issue(validFrom=now - 7200, validUntil=now - 3600)
    name, args = w.chain.revert_of(w.hub, w.ledger, "anchorBatch", b32("r"), [(w.design, 2, 1)])
    assert (name, args[1]) == ("LicenceExpired", now - 3600)


def test_anchor_totals_beyond_uint32_are_recorded_exactly(fresh) -> None:
    w = fresh
    biggest = 2**32 - 1
    w.issue(maxPrints=biggest)
    w.issue(maxPrints=biggest)
    w.chain.send(
        w.hub,
        w.ledger,
        "anchorBatch",
        b32("huge"),
        [(w.design, 2, biggest), (w.design, 3, biggest)],
    )
    assert w.ledger.functions.anchor(b32("huge")).call()[2] == 2 * biggest
