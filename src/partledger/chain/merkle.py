"""RFC 9162 (Certificate Transparency v2) Merkle trees, with keccak256 for anchored batches.

A Merkle-anchored batch is a *positional* tree: the contract knows the tree size and which
range of leaf positions each licence was debited for, and an inclusion proof is bound to its
leaf index (RFC 9162 section 2.1.3). So a proof shows not just "this print is in the tree" but
"this print fills slot ``i``, which belongs to its own licence's debited range".

- leaf = H(0x00 ++ data), node = H(0x01 ++ left ++ right) (domain separation: no node can pass
  for a leaf);
- the tree over ``n`` leaves splits at the largest power of two below ``n`` (not the midpoint);
- ``H`` is keccak256 on-chain (``PrintLedger._verifyInclusion``); the same code with SHA-256
  reproduces the RFC 6962 reference vectors (tested).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from partledger.chain.ids import PRINT_TYPES, EncodingError, PrintRecord

__all__ = [
    "Hasher",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "print_leaf",
    "sha256",
    "split_point",
    "verify_inclusion",
]

Hasher = Callable[[bytes], bytes]


def sha256(data: bytes) -> bytes:
    """SHA-256, the hash of RFC 6962 (used for its reference vectors)."""
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes, hasher: Hasher = keccak) -> bytes:
    """``H(0x00 ++ data)``."""
    return hasher(b"\x00" + data)


def node_hash(left: bytes, right: bytes, hasher: Hasher = keccak) -> bytes:
    """``H(0x01 ++ left ++ right)``."""
    return hasher(b"\x01" + left + right)


def print_leaf(record: PrintRecord) -> bytes:
    """The leaf of one print: ``keccak256(0x00 ++ abi.encode(Print))`` (``printLeaf``)."""
    return leaf_hash(encode(list(PRINT_TYPES), list(record.as_tuple())))


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    if n < 2:
        raise ValueError(f"a split needs at least 2 leaves, not {n}")
    return 1 << ((n - 1).bit_length() - 1)


def verify_inclusion(
    leaf: bytes,
    index: int,
    size: int,
    path: Sequence[bytes],
    root: bytes,
    hasher: Hasher = keccak,
) -> bool:
    """RFC 9162 section 2.1.3.2: whether ``path`` proves ``leaf`` at ``index`` of ``size``."""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r, hasher)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, sibling, hasher)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


class MerkleTree:
    """An RFC 9162 tree over leaf hashes, in the order given; every proof built in one pass."""

    def __init__(self, leaves: Sequence[bytes], hasher: Hasher = keccak) -> None:
        if not leaves:
            raise EncodingError("a Merkle tree needs at least one leaf")
        self.leaves = tuple(leaves)
        self.hasher = hasher
        self._paths: list[list[bytes]] = [[] for _ in self.leaves]
        self.root = self._build(0, len(self.leaves))

    @classmethod
    def of_prints(cls, records: Sequence[PrintRecord]) -> MerkleTree:
        """A tree whose leaves are print records, in batch order."""
        return cls([print_leaf(r) for r in records])

    @property
    def size(self) -> int:
        return len(self.leaves)

    def _build(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self.leaves[lo]
        mid = lo + split_point(hi - lo)
        left, right = self._build(lo, mid), self._build(mid, hi)
        for i in range(lo, mid):
            self._paths[i].append(right)
        for i in range(mid, hi):
            self._paths[i].append(left)
        return node_hash(left, right, self.hasher)

    def proof(self, index: int) -> list[bytes]:
        """The inclusion path of leaf ``index``, leaf to root."""
        return list(self._paths[index])

    def verify(self, index: int, path: Sequence[bytes]) -> bool:
        """Whether ``path`` proves leaf ``index`` against this tree's root."""
        return verify_inclusion(self.leaves[index], index, self.size, path, self.root, self.hasher)
