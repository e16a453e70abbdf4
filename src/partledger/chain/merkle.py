"""OpenZeppelin StandardMerkleTree (``@openzeppelin/merkle-tree``) in Python.

Same leaves, node hashing, leaf sorting, array layout and proofs as the npm package, so roots
and proofs are interchangeable with it and verify with OpenZeppelin ``MerkleProof``:

- leaf = keccak256(keccak256(abi.encode(values...)))
- node = keccak256(min(a, b) ++ max(a, b))
- leaves sorted by hash; tree stored as an array, leaves at the end in reverse order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from partledger.chain.ids import PRINT_TYPES, EncodingError, PrintRecord

__all__ = [
    "StandardMerkleTree",
    "leaf_hash",
    "node_hash",
    "print_leaf",
    "process_proof",
]


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``standardLeafHash``: double keccak of the ABI encoding."""
    return keccak(keccak(encode(list(types), list(values))))


def node_hash(a: bytes, b: bytes) -> bytes:
    """``standardNodeHash``: keccak of the sorted pair."""
    return keccak(a + b if a <= b else b + a)


def print_leaf(record: PrintRecord) -> bytes:
    """The Merkle leaf of one print (leaf encoding: five ``bytes32``)."""
    return leaf_hash(PRINT_TYPES, record.as_tuple())


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to from ``leaf`` (``MerkleProof.processProof``)."""
    node = leaf
    for sibling in proof:
        node = node_hash(node, sibling)
    return node


class StandardMerkleTree:
    """A StandardMerkleTree over ``values`` with ABI ``types`` (leaves sorted, like the npm)."""

    def __init__(self, values: Sequence[Sequence[Any]], types: Sequence[str]) -> None:
        if not values:
            raise EncodingError("a Merkle tree needs at least one leaf")
        self.types = tuple(types)
        self.values = [tuple(v) for v in values]
        hashed = sorted(
            ((leaf_hash(self.types, v), i) for i, v in enumerate(self.values)),
            key=lambda pair: pair[0],
        )
        size = 2 * len(hashed) - 1
        tree: list[bytes] = [b""] * size
        self._tree_index = [0] * len(self.values)
        for position, (leaf, value_index) in enumerate(hashed):
            tree[size - 1 - position] = leaf
            self._tree_index[value_index] = size - 1 - position
        for i in range(size - 1 - len(hashed), -1, -1):
            tree[i] = node_hash(tree[2 * i + 1], tree[2 * i + 2])
        self.tree = tree

    @classmethod
    def of_prints(cls, records: Sequence[PrintRecord]) -> StandardMerkleTree:
        """A tree whose leaves are print records."""
        return cls([r.as_tuple() for r in records], PRINT_TYPES)

    @property
    def root(self) -> bytes:
        """The root to anchor on-chain."""
        return self.tree[0]

    def leaf(self, value_index: int) -> bytes:
        """The leaf hash of ``values[value_index]``."""
        return self.tree[self._tree_index[value_index]]

    def proof(self, value_index: int) -> list[bytes]:
        """The sibling path of ``values[value_index]``, leaf to root."""
        index = self._tree_index[value_index]
        proof: list[bytes] = []
        while index > 0:
            sibling = index - 1 if index % 2 == 0 else index + 1
            proof.append(self.tree[sibling])
            index = (index - 1) // 2
        return proof

    def verify(self, value_index: int, proof: Sequence[bytes]) -> bool:
        """Whether ``proof`` leads from ``values[value_index]``'s leaf to the root."""
        return process_proof(self.leaf(value_index), proof) == self.root
