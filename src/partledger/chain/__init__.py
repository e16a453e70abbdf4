"""Chain layer: artifacts, compiling, the local anvil, deployments, transactions."""

from __future__ import annotations

from partledger.chain.artifacts import Artifact, available_artifacts, load_artifact
from partledger.chain.connect import connect
from partledger.chain.deployer import Deployment, deploy, load_record, verify_record
from partledger.chain.errors import (
    ArtifactNotFound,
    ChainError,
    CompilerError,
    DeploymentMismatch,
    LocalChainError,
    RpcUnavailable,
)
from partledger.chain.local import LocalChain, find_anvil
from partledger.chain.tx import SentTransaction, TransactionFailed, TxSender

__all__ = [
    "Artifact",
    "ArtifactNotFound",
    "ChainError",
    "CompilerError",
    "Deployment",
    "DeploymentMismatch",
    "LocalChain",
    "LocalChainError",
    "RpcUnavailable",
    "SentTransaction",
    "TransactionFailed",
    "TxSender",
    "available_artifacts",
    "connect",
    "deploy",
    "find_anvil",
    "load_artifact",
    "load_record",
    "verify_record",
]
