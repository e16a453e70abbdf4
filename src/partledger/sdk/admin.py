"""The ledger admin's client: onboard OEMs, hubs and certifiers; pause in an emergency."""

from __future__ import annotations

from enum import Enum

from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.types import TxRef


class Role(Enum):
    """A ledger role and the contract that holds it."""

    OEM = (REGISTRY, "OEM_ROLE")
    HUB = (PRINT_LEDGER, "HUB_ROLE")
    CERTIFIER = (PRINT_LEDGER, "CERTIFIER_ROLE")

    @property
    def contract(self) -> str:
        return self.value[0]

    @property
    def role_id(self) -> bytes:
        return bytes(Web3.keccak(text=self.value[1]))


class Admin:
    """Acts for an account holding the admin role on both contracts."""

    def __init__(self, ledger: Ledger, account: LocalAccount) -> None:
        self.ledger = ledger
        self.account = account

    def grant(self, role: Role, account: str) -> TxRef:
        """Give ``account`` the role (emits RoleGranted)."""
        who = Web3.to_checksum_address(account)
        sent = self.ledger.transact(self.account, role.contract, "grantRole", role.role_id, who)
        return TxRef(sent.tx_hash, sent.block_number)

    def revoke(self, role: Role, account: str) -> TxRef:
        """Take the role away (emits RoleRevoked)."""
        who = Web3.to_checksum_address(account)
        sent = self.ledger.transact(self.account, role.contract, "revokeRole", role.role_id, who)
        return TxRef(sent.tx_hash, sent.block_number)

    def has_role(self, role: Role, account: str) -> bool:
        return bool(
            self.ledger.view(
                role.contract, "hasRole", role.role_id, Web3.to_checksum_address(account)
            )
        )

    def pause(self) -> None:
        """Stop every write on both contracts."""
        for contract in (REGISTRY, PRINT_LEDGER):
            self.ledger.transact(self.account, contract, "pause")

    def unpause(self) -> None:
        for contract in (REGISTRY, PRINT_LEDGER):
            self.ledger.transact(self.account, contract, "unpause")
