"""A connection to one deployed ledger: contract handles, blob store, journal, senders.

Every role client (Oem, Hub, Certifier, Auditor, Admin) is built on a ``Ledger``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from partledger.chain.artifacts import load_artifact
from partledger.chain.deployer import Deployment
from partledger.chain.reverts import revert_from_exception
from partledger.chain.tx import SentTransaction, TxSender
from partledger.sdk.journal import Journal
from partledger.sdk.views import ViewFunction
from partledger.storage import BlobStore, FilesystemBlobStore

REGISTRY = "DesignRegistry"
PRINT_LEDGER = "PrintLedger"


@dataclass
class Ledger:
    """The deployed contracts plus the off-chain stores an SDK client works with."""

    w3: Web3
    deployment: Deployment
    store: BlobStore
    journal: Journal
    confirmations: int = 0
    _senders: dict[str, TxSender] = field(default_factory=dict, repr=False)
    _contracts: dict[str, Contract] = field(default_factory=dict, repr=False)
    _functions: dict[tuple[str, str], ViewFunction] = field(default_factory=dict, repr=False)

    @classmethod
    def open(
        cls,
        w3: Web3,
        deployment: Deployment,
        data_dir: Path,
        *,
        store: BlobStore | None = None,
        confirmations: int = 0,
    ) -> Ledger:
        """A ledger whose blob store and journal live in ``data_dir`` (unless given)."""
        return cls(
            w3=w3,
            deployment=deployment,
            store=store or FilesystemBlobStore(data_dir / "blobs"),
            journal=Journal(data_dir / "journal.sqlite3"),
            confirmations=confirmations,
        )

    def contract(self, name: str) -> Contract:
        """A web3 contract handle for deployed contract ``name`` (made once: building one
        walks the whole ABI, which cost most of a provenance lookup)."""
        handle = self._contracts.get(name)
        if handle is None:
            address = Web3.to_checksum_address(self.deployment.address(name))
            handle = self.w3.eth.contract(address=address, abi=load_artifact(name).abi)
            self._contracts[name] = handle
        return handle

    def _function(self, contract: str, fn: str) -> ViewFunction:
        """The view function ``fn`` (looked up by name once)."""
        key = (contract, fn)
        found = self._functions.get(key)
        if found is None:
            address = self.deployment.address(contract)
            abi = load_artifact(contract).abi
            found = self._functions[key] = ViewFunction(self.w3, address, abi, fn)
        return found

    @property
    def registry(self) -> Contract:
        return self.contract(REGISTRY)

    @property
    def prints(self) -> Contract:
        return self.contract(PRINT_LEDGER)

    def sender(self, account: LocalAccount) -> TxSender:
        """The (shared) transaction sender of ``account``."""
        key = str(account.address)
        if key not in self._senders:
            self._senders[key] = TxSender(self.w3, account, confirmations=self.confirmations)
        return self._senders[key]

    def transact(
        self,
        account: LocalAccount,
        contract: str,
        fn: str,
        *args: Any,
        on_signed: Any = None,
    ) -> SentTransaction:
        """Send ``contract.fn(*args)`` from ``account``; reverts raise named errors."""
        return self.sender(account).call(
            self.deployment.address(contract),
            load_artifact(contract).abi,
            fn,
            *args,
            on_signed=on_signed,
        )

    def view(self, contract: str, fn: str, *args: Any) -> Any:
        """Call a view function; a revert raises its named error."""
        try:
            return self._function(contract, fn)(*args)
        except Exception as exc:
            if (revert := revert_from_exception(exc)) is not None:
                raise revert from exc
            raise

    def now(self) -> int:
        """The latest block's timestamp (what the contracts compare validity against)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])
