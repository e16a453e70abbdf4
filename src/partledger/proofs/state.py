"""Merkle-Patricia proofs (``eth_getProof``, EIP-1186) checked against a state root.

An account proof leads from a block's ``stateRoot`` to an account (nonce, balance, storage
root, code hash); a storage proof leads from that storage root to one slot's value. Both are
walked with py-trie (``HexaryTrie.get_from_proof``); a proof that is wrong, incomplete or for
another key raises ``StateProofError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import rlp
from eth_utils.crypto import keccak
from trie.exceptions import BadTrieProof, ValidationError
from trie.hexary import HexaryTrie

from partledger.errors import PartLedgerError

__all__ = ["EMPTY_TRIE_ROOT", "Account", "StateProofError", "verify_account", "verify_storage"]

EMPTY_TRIE_ROOT = keccak(rlp.encode(b""))


class StateProofError(PartLedgerError, ValueError):
    """A state or storage proof does not lead from the root to the claimed value."""


@dataclass(frozen=True)
class Account:
    """An account as the state trie holds it."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


def _walk(root: bytes, key: bytes, proof: Sequence[bytes], what: str) -> bytes:
    try:
        nodes = [rlp.decode(bytes(node)) for node in proof]
        value = HexaryTrie.get_from_proof(root, keccak(key), nodes)  # type: ignore[no-untyped-call]
    except (
        BadTrieProof,
        ValidationError,
        rlp.exceptions.DecodingError,
        ValueError,
        TypeError,
    ) as exc:
        raise StateProofError(
            f"{what}: the proof does not lead from root {root.hex()}: {exc}"
        ) from None
    return bytes(value)


def verify_account(state_root: bytes, address: bytes, proof: Sequence[bytes]) -> Account:
    """The account at ``address`` under ``state_root`` (all zero if the proof shows none)."""
    encoded = _walk(state_root, address, proof, f"account {address.hex()}")
    if not encoded:
        return Account(0, 0, EMPTY_TRIE_ROOT, keccak(b""))
    nonce, balance, storage_root, code_hash = rlp.decode(encoded)
    return Account(
        int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"),
        bytes(storage_root), bytes(code_hash),
    )  # fmt: skip


def verify_storage(storage_root: bytes, slot: int, proof: Sequence[bytes]) -> int:
    """The value of storage ``slot`` under ``storage_root`` (0 if the proof shows it empty)."""
    encoded = _walk(storage_root, slot.to_bytes(32, "big"), proof, f"slot {slot:#x}")
    if not encoded:
        return 0
    return int.from_bytes(rlp.decode(encoded), "big")
