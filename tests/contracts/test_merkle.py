"""Merkle-anchored batches: RFC 9162 trees in Python and in the contract, and the slot rules.

A proof that verifies on-chain must show that the print fills a slot debited from its own
licence in that anchor; every forgery found by the audit (finding A) is attacked here.
"""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from ledger_helpers import b32, events
from ledger_world import STANDARD

from partledger.chain import ids, merkle

ZERO = b"\x00" * 32
DOC = b32("batch document")

# RFC 6962 reference leaves and roots (transparency-dev/merkle testonly), SHA-256.
CT_DATA = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
           "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PROOFS = {
    0: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    5: ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip


def test_python_tree_reproduces_the_rfc_6962_reference_vectors() -> None:
    leaves = [merkle.leaf_hash(bytes.fromhex(d), merkle.sha256) for d in CT_DATA]
    for n in range(1, 9):
        assert merkle.MerkleTree(leaves[:n], merkle.sha256).root.hex() == CT_ROOTS[n - 1]
    tree = merkle.MerkleTree(leaves, merkle.sha256)
    for index, path in CT_PROOFS.items():
        assert [p.hex() for p in tree.proof(index)] == path
        assert merkle.verify_inclusion(
            leaves[index], index, 8, [bytes.fromhex(p) for p in path], tree.root, merkle.sha256
        )


def test_python_proofs_bind_the_leaf_index() -> None:
    # (The tree size is not bound by a path alone: the contract takes it from the anchor.)
    for n in range(1, 34):
        tree = merkle.MerkleTree([bytes([i]) * 32 for i in range(n)])
        for i in range(n):
            path = tree.proof(i)
            assert tree.verify(i, path)
            if n > 1:
                assert not merkle.verify_inclusion(tree.leaves[i], (i + 1) % n, n, path, tree.root)
                assert not merkle.verify_inclusion(tree.leaves[i], i, n, path[:-1], tree.root)
            assert not merkle.verify_inclusion(tree.leaves[i], i, n, [*path, ZERO], tree.root)


ANCHORED_AT: dict[bytes, int] = {}


def send_anchor(w, root, entries, hub=None):
    """Anchor ``root``; returns the ``BatchAnchored`` event (and notes the anchoring time)."""
    receipt = w.chain.send(hub or w.hub, w.ledger, "anchorBatch", root, entries, DOC)
    ANCHORED_AT[root] = int(w.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    return events(receipt, w.ledger, "BatchAnchored")[0]


def anchor(w, groups, root_records=None, hub=None):
    """Anchor ``groups`` = [(licence index, [records])] laid out in order; returns the pieces."""
    records = root_records or [r for _, recs in groups for r in recs]
    tree = merkle.MerkleTree.of_prints(records)
    entries = [(w.design, index, len(recs)) for index, recs in groups]
    event = send_anchor(w, tree.root, entries, hub)
    return tree, records, event["licenceIds"], event["counts"]


def verifies(w, tree, record, index, licence_ids, counts, path=None, at=None) -> bool:
    anchored_at = ANCHORED_AT[tree.root] if at is None else at
    path = tree.proof(index) if path is None else path
    proof = (index, anchored_at, licence_ids, counts, path)
    return bool(w.ledger.functions.verifyAnchoredPrint(tree.root, record.as_tuple(), proof).call())


def test_contract_tree_hashing_matches_python(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "leaf")
    assert w.ledger.functions.printLeaf(record.as_tuple()).call() == merkle.print_leaf(record)


def test_every_debited_leaf_verifies_in_its_own_slot(fresh) -> None:
    w = fresh
    second = w.issue(maxPrints=50)
    first_records = [w.print(w.licence_open, f"MK-{i}") for i in range(7)]
    second_records = [w.print(second, f"MK2-{i}") for i in range(6)]
    tree, records, lids, counts = anchor(w, [(0, first_records), (2, second_records)])
    assert lids == [w.licence_open, second] and counts == [7, 6]
    for i, record in enumerate(records):
        assert verifies(w, tree, record, i, lids, counts)
    commitment = w.ledger.functions.anchorCommitment(tree.root).call()
    assert commitment == keccak(
        encode(["uint40", "bytes32[]", "uint256[]"], [ANCHORED_AT[tree.root], lids, counts])
    )
    assert w.ledger.functions.licence(w.licence_open).call()[2] == 7
    assert w.ledger.functions.licence(second).call()[2] == 6
    # a wrong index, path, record, entry list or root never verifies
    assert not verifies(w, tree, records[0], 1, lids, counts, tree.proof(0))
    assert not verifies(w, tree, records[0], 0, lids, counts, tree.proof(1))
    stranger = w.print(w.licence_open, "not in tree")
    assert not verifies(w, tree, stranger, 0, lids, counts, tree.proof(0))
    assert not verifies(w, tree, records[0], 0, lids, [8, 5])
    assert not verifies(w, tree, records[0], 0, [w.licence_open], [13])
    assert not verifies(w, tree, records[0], 0, lids, counts, at=ANCHORED_AT[tree.root] + 1)
    proof = (0, ANCHORED_AT[tree.root], lids, counts, tree.proof(0))
    assert not w.ledger.functions.verifyAnchoredPrint(
        b32("unanchored"), records[0].as_tuple(), proof
    ).call()


def test_a1_leaves_beyond_the_debited_count_never_verify(fresh) -> None:
    """A1: five leaves for a licence of maxPrints=2, anchored with count 1: none verifies."""
    w = fresh
    small = w.issue(maxPrints=2)
    leaves = [w.print(small, f"A1-{i}") for i in range(5)]
    tree, records, lids, counts = anchor(w, [(2, leaves[:1])], root_records=leaves)
    assert w.ledger.functions.licence(small).call()[2] == 1
    # the anchor fixes the tree size at 1: a 5-leaf root proves nothing, not even leaf 0
    for i in range(5):
        assert not verifies(w, tree, records[i], i, lids, counts)
        assert not verifies(w, tree, records[i], 0, lids, counts, tree.proof(i))
        assert not verifies(w, tree, records[i], 0, lids, counts, [])


def test_a2_leaves_naming_another_licence_or_machine_never_verify(fresh) -> None:
    """A2: qualified, revoked, never-issued licences and another hub's machine, under one root."""
    w = fresh
    revoked = w.issue(maxPrints=5)
    never_issued = ids.licence_id(w.design, w.hub.address, 77)
    honest = w.print(w.licence_open, "A2-ok")
    forged = [
        w.print(w.licence_qualified, "A2-qualified"),
        w.print(revoked, "A2-revoked"),
        w.print(never_issued, "A2-never"),
        w.print(w.licence_open, "A2-foreign-machine", w.machine_hub2),
        w.print(w.licence_open, "A2-unknown-machine", b32("no such machine")),
    ]
    # the hub debits five slots of its open licence and fills four with forged leaves
    leaves = [honest, *forged]
    tree = merkle.MerkleTree.of_prints(leaves)
    event = send_anchor(w, tree.root, [(w.design, 0, len(leaves))])
    lids, counts = event["licenceIds"], event["counts"]
    w.chain.send(w.oem, w.ledger, "revokeLicence", revoked, b32("revoked"))
    assert verifies(w, tree, honest, 0, lids, counts)
    for i, record in enumerate(forged, start=1):
        assert not verifies(w, tree, record, i, lids, counts), record


def test_a2_machine_registered_after_or_retired_before_the_anchor_does_not_verify(fresh) -> None:
    w = fresh
    retired = w.machine_unqualified
    w.chain.send(w.hub, w.ledger, "retireMachine", retired)
    w.chain.mine(seconds=10)
    late_hash = ids.machine_hash("EOS", "M 290", "late")
    late = ids.machine_id(w.hub.address, late_hash)
    leaves = [w.print(w.licence_open, "on-retired", retired), w.print(w.licence_open, "late", late)]
    tree, records, lids, counts = anchor(w, [(0, leaves)])
    w.chain.mine(seconds=10)
    w.chain.send(w.hub, w.ledger, "registerMachine", late_hash)
    assert not verifies(w, tree, records[0], 0, lids, counts)
    assert not verifies(w, tree, records[1], 1, lids, counts)
    # retiring a machine after the anchor does not undo prints made before it
    ok = [w.print(w.licence_open, "before retirement")]
    tree2, records2, lids2, counts2 = anchor(w, [(0, ok)])
    w.chain.mine(seconds=10)
    w.chain.send(w.hub, w.ledger, "retireMachine", w.machine)
    assert verifies(w, tree2, records2[0], 0, lids2, counts2)


def test_single_leaf_tree_has_an_empty_proof(fresh) -> None:
    w = fresh
    record = w.print(w.licence_open, "solo")
    tree, _records, lids, counts = anchor(w, [(0, [record])])
    assert tree.root == merkle.print_leaf(record) and tree.proof(0) == []
    assert verifies(w, tree, record, 0, lids, counts)


def test_another_hubs_leaf_does_not_verify_under_this_root(fresh) -> None:
    w = fresh
    foreign_licence = w.issue(hub=w.hub2.address)
    records = [w.print(w.licence_open, "a"), w.print(foreign_licence, "b", w.machine_hub2)]
    tree, records, lids, counts = anchor(w, [(0, records)])
    assert verifies(w, tree, records[0], 0, lids, counts)
    assert not verifies(w, tree, records[1], 1, lids, counts)


def test_anchor_reverts(fresh) -> None:
    w = fresh
    root = b32("root")
    entry = (w.design, 0, 1)
    hub_role = w.ledger.functions.HUB_ROLE().call()

    def refused(account, root_, entries, doc=DOC):
        return w.chain.revert_of(account, w.ledger, "anchorBatch", root_, entries, doc)

    assert refused(w.hub, ZERO, [entry]) == ("ZeroRoot", ())
    assert refused(w.hub, root, [entry], ZERO) == ("ZeroDocumentHash", ())
    assert refused(w.hub, root, []) == ("EmptyBatch", ())
    assert refused(w.hub, root, [entry] * 65) == ("BatchTooLarge", (65, 64))
    assert refused(w.attacker, root, [entry]) == (
        "AccessControlUnauthorizedAccount",
        (w.attacker.address, hub_role),
    )
    assert refused(w.hub, root, [(w.design, 0, 0)]) == ("ZeroCount", (w.licence_open,))
    assert refused(w.hub, root, [(w.design, 0, 11)]) == (
        "LicenceExhausted",
        (w.licence_open, 10, 0, 11),
    )
    assert refused(w.hub, root, [(w.design, 0, 6)] * 2) == (
        "LicenceExhausted",
        (w.licence_open, 10, 6, 6),
    )
    assert refused(w.hub, root, [(w.design, 1, 1)]) == (
        "LicenceRequiresQualifiedMachine",
        (w.licence_qualified, STANDARD),
    )
    missing = ids.licence_id(w.design, w.hub.address, 9)
    assert refused(w.hub, root, [(w.design, 9, 1)]) == ("UnknownLicence", (missing,))
    # another hub cannot debit this hub's licence: the licence id is derived from the caller
    other = ids.licence_id(w.design, w.hub2.address, 0)
    assert refused(w.hub2, root, [entry]) == ("UnknownLicence", (other,))
    w.chain.send(w.hub, w.ledger, "anchorBatch", root, [entry], DOC)
    assert refused(w.hub, root, [entry]) == ("RootAlreadyAnchored", (root,))
    w.chain.send(w.oem, w.ledger, "suspendLicence", w.licence_open, ZERO)
    assert refused(w.hub, b32("r2"), [entry]) == ("LicenceNotActive", (w.licence_open, 2))
    w.chain.send(w.oem, w.ledger, "resumeLicence", w.licence_open)
    w.chain.send(w.oem, w.registry, "recallDesign", w.design, ZERO)
    assert refused(w.hub, b32("r2"), [entry]) == ("DesignUnderRecall", (w.design,))


def test_anchor_respects_the_validity_window(fresh) -> None:
    w = fresh
    now = w.chain.timestamp()
    w.issue(validFrom=now - 7200, validUntil=now - 3600)
    name, args = w.chain.revert_of(
        w.hub, w.ledger, "anchorBatch", b32("r"), [(w.design, 2, 1)], DOC
    )
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
        DOC,
    )
    commitment = w.ledger.functions.anchorCommitment(b32("huge")).call()
    assert commitment != ZERO


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 10])
def test_contract_and_python_agree_on_every_position(fresh, size: int) -> None:
    w = fresh
    records = [w.print(w.licence_open, f"P{size}-{i}") for i in range(size)]
    tree, records, lids, counts = anchor(w, [(0, records)])
    for i, record in enumerate(records):
        assert verifies(w, tree, record, i, lids, counts)
        if size > 1:
            assert not verifies(w, tree, record, (i + 1) % size, lids, counts, tree.proof(i))
