"""Bring the ledger up for a process: chain (local or remote), deployment, accounts.

Used by the service and the CLI, so both start the same way from ``Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain.connect import connect
from partledger.chain.deployer import Deployment, deploy
from partledger.chain.local import LocalChain, dev_account
from partledger.config import Settings
from partledger.errors import ConfigError
from partledger.storage import BlobStore, open_blob_store


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store: ``PARTLEDGER_BLOB_URL``, else ``<data_dir>/blobs``."""
    return open_blob_store(settings.blob_url or settings.blob_dir)


def deployer_account(settings: Settings) -> LocalAccount:
    """The deploying account: configured key, or anvil's first dev account locally."""
    if settings.deployer_key:
        account: LocalAccount = Account.from_key(settings.deployer_key)
        return account
    if not settings.uses_local_chain:
        raise ConfigError("PARTLEDGER_DEPLOYER_KEY is required to deploy on a remote chain")
    return dev_account(0)


@dataclass
class Runtime:
    """A connected, deployed ledger and the local chain this process may own."""

    settings: Settings
    w3: Web3
    deployment: Deployment
    local_chain: LocalChain | None

    def close(self) -> None:
        """Stop the local chain if this process started it (its state is kept)."""
        if self.local_chain is not None:
            self.local_chain.release()


def local_chain(settings: Settings, port: int | None = None) -> LocalChain:
    """The embedded anvil of the data directory (not started).

    A port given here or set in ``PARTLEDGER_CHAIN_PORT`` is required: when another program
    holds it, starting fails (``ChainPortInUse``). The default (8545) is only preferred: when
    another program holds it, the chain takes a free port and remembers it in the data
    directory (``chain/port.json``), so two data directories can run side by side.
    """
    if port is None and "chain_port" in settings.model_fields_set:
        port = settings.chain_port
    return LocalChain(
        settings.chain_dir,
        port=port,
        preferred_port=None if port is not None else settings.chain_port,
        chain_id=settings.chain_id,
    )


def start_chain(settings: Settings) -> tuple[str, LocalChain | None]:
    """The RPC URL to use, starting (or reusing) the embedded anvil when none is configured."""
    if not settings.uses_local_chain:
        return str(settings.rpc_url), None
    chain = local_chain(settings)
    chain.start()
    return chain.rpc_url, chain


def bring_up(settings: Settings, *, project_deployments: Path | None = None) -> Runtime:
    """Connect to the chain, deploy the ledger if needed, and return the runtime."""
    rpc_url, chain = start_chain(settings)
    try:
        w3 = connect(rpc_url)
        deployment = deploy(
            w3,
            deployer_account(settings),
            settings.deployment_path(project_deployments),
            network=settings.network,
        )
    except BaseException:
        if chain is not None:
            chain.release()
        raise
    return Runtime(settings, w3, deployment, chain)
