"""Errors of the chain layer: compiling, local chain, deployments, transactions."""

from __future__ import annotations

from partledger.errors import PartLedgerError


class ChainError(PartLedgerError):
    """Something went wrong talking to, starting or deploying on a chain."""


class CompilerError(ChainError, RuntimeError):
    """The Solidity compiler is missing, of the wrong version, or rejected the sources."""


class ArtifactNotFound(ChainError, LookupError):
    """No compiled artifact exists for the requested contract name."""


class LocalChainError(ChainError, RuntimeError):
    """The embedded anvil chain could not be started, reached or stopped."""


class RpcUnavailable(ChainError, ConnectionError):
    """The configured RPC endpoint does not answer."""


class DeploymentMismatch(ChainError, ValueError):
    """A deployment record does not match the chain it is used against."""
