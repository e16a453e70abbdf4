"""Evidence anyone can re-check offline: block headers, Merkle-Patricia state proofs, and the
contracts' storage layout (where each licence, design, machine and qualification lives)."""

from __future__ import annotations

from partledger.proofs.header import HeaderError, block_hash, header_rlp
from partledger.proofs.layout import LayoutError, StorageLayout
from partledger.proofs.state import Account, StateProofError, verify_account, verify_storage

__all__ = [
    "Account",
    "HeaderError",
    "LayoutError",
    "StateProofError",
    "StorageLayout",
    "block_hash",
    "header_rlp",
    "verify_account",
    "verify_storage",
]
