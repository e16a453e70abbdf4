"""The certifier's client: qualify hubs and machines to standards, and revoke."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain import ids
from partledger.sdk.ledger import PRINT_LEDGER, Ledger
from partledger.sdk.types import TxRef, sha256_hex, standard_code, to_bytes32


class Certifier:
    """Acts for one certifier account (needs the certifier role)."""

    def __init__(self, ledger: Ledger, account: LocalAccount) -> None:
        self.ledger = ledger
        self.account = account

    def _tx(self, fn: str, *args: Any) -> TxRef:
        sent = self.ledger.transact(self.account, PRINT_LEDGER, fn, *args)
        return TxRef(sent.tx_hash, sent.block_number)

    def qualify_machine(
        self, machine_id: str, standard: str, certificate: bytes, valid_from: int, valid_until: int
    ) -> TxRef:
        """Record that a machine meets ``standard`` in the window (certificate hash on-chain)."""
        return self._qualify(
            to_bytes32(machine_id, "machine id"), standard, certificate, valid_from, valid_until
        )

    def qualify_hub(
        self, hub: str, standard: str, certificate: bytes, valid_from: int, valid_until: int
    ) -> TxRef:
        """Record that a hub meets ``standard`` (e.g. ISO/ASTM 52920) in the window."""
        subject = ids.hub_subject(Web3.to_checksum_address(hub))
        return self._qualify(subject, standard, certificate, valid_from, valid_until)

    def _qualify(
        self, subject: bytes, standard: str, certificate: bytes, valid_from: int, valid_until: int
    ) -> TxRef:
        certificate_hash = to_bytes32(sha256_hex(certificate))
        return self._tx(
            "recordQualification", subject, standard_code(standard), certificate_hash,
            valid_from, valid_until,
        )  # fmt: skip

    def revoke_machine(self, machine_id: str, standard: str, reason: bytes) -> TxRef:
        return self._revoke(to_bytes32(machine_id, "machine id"), standard, reason)

    def revoke_hub(self, hub: str, standard: str, reason: bytes) -> TxRef:
        return self._revoke(ids.hub_subject(Web3.to_checksum_address(hub)), standard, reason)

    def _revoke(self, subject: bytes, standard: str, reason: bytes) -> TxRef:
        return self._tx(
            "revokeQualification", subject, standard_code(standard), Web3.keccak(reason)
        )
