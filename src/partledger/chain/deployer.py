"""Deploy the ledger (``partledger.chain.plan.PLAN``) and keep its deployment record.

A record (``deployments/<network>.json``, or the data directory for the embedded
chain) names the chain id, each contract's address, deploy tx and block, the
compiler version and artifact hash. Deploying against a chain that already has
the recorded deployment reuses it; a record that does not match the chain
(other chain id, missing or different code) is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain.artifacts import load_artifact
from partledger.chain.errors import DeploymentMismatch
from partledger.chain.plan import PLAN, CallStep, ContractStep, PlanContext
from partledger.chain.tx import TxSender

RECORD_VERSION = 1


@dataclass(frozen=True)
class DeployedContract:
    """One contract of a deployment record."""

    address: str
    tx_hash: str
    block: int
    artifact_sha256: str
    code_hash: str


@dataclass(frozen=True)
class Deployment:
    """A deployment record: where the ledger lives on one chain."""

    network: str
    chain_id: int
    deployer: str
    admin: str
    compiler_version: str
    contracts: dict[str, DeployedContract]
    deployed_at: str
    reused: bool = field(default=False, compare=False)

    def address(self, name: str) -> str:
        """Address of contract ``name``; ``KeyError`` naming the known ones if absent."""
        try:
            return self.contracts[name].address
        except KeyError:
            raise KeyError(f"no contract {name!r} in deployment {self.network!r}") from None

    @property
    def start_block(self) -> int:
        """The first block an indexer must read."""
        return min((c.block for c in self.contracts.values()), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "network": self.network,
            "chainId": self.chain_id,
            "deployer": self.deployer,
            "admin": self.admin,
            "compilerVersion": self.compiler_version,
            "deployedAt": self.deployed_at,
            "contracts": {
                name: {
                    "address": c.address,
                    "txHash": c.tx_hash,
                    "block": c.block,
                    "artifactSha256": c.artifact_sha256,
                    "codeHash": c.code_hash,
                }
                for name, c in sorted(self.contracts.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        try:
            return cls(
                network=data["network"],
                chain_id=int(data["chainId"]),
                deployer=data["deployer"],
                admin=data["admin"],
                compiler_version=data["compilerVersion"],
                deployed_at=data["deployedAt"],
                contracts={
                    name: DeployedContract(
                        address=c["address"],
                        tx_hash=c["txHash"],
                        block=int(c["block"]),
                        artifact_sha256=c["artifactSha256"],
                        code_hash=c["codeHash"],
                    )
                    for name, c in data["contracts"].items()
                },
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentMismatch(f"malformed deployment record: missing or bad {exc}") from exc


def load_record(path: Path) -> Deployment | None:
    """The record at ``path``, or ``None`` if there is none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise DeploymentMismatch(f"{path} is not valid JSON: {exc}") from exc
    return Deployment.from_json(data)


def save_record(deployment: Deployment, path: Path) -> None:
    """Write the record atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(deployment.to_json(), out, indent=2, sort_keys=False)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def plan_contracts(plan: Sequence[ContractStep | CallStep] = PLAN) -> list[str]:
    """Names of the contracts a plan deploys, in order."""
    return [step.name for step in plan if isinstance(step, ContractStep)]


def verify_record(w3: Web3, record: Deployment, plan: Sequence[ContractStep | CallStep]) -> None:
    """Raise ``DeploymentMismatch`` unless ``record`` describes the ledger on this chain."""
    chain_id = w3.eth.chain_id
    if record.chain_id != chain_id:
        raise DeploymentMismatch(
            f"deployment record {record.network!r} is for chain id {record.chain_id}, "
            f"but the RPC endpoint serves chain id {chain_id}"
        )
    for name, contract in record.contracts.items():
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(contract.address)))
        if not code:
            raise DeploymentMismatch(
                f"{name} is recorded at {contract.address} but the chain has no code there "
                "(was the chain reset?); deploy again with redeploy=True / --redeploy"
            )
        if Web3.keccak(code).to_0x_hex() != contract.code_hash:
            raise DeploymentMismatch(
                f"the code at {contract.address} is not the {name} recorded in "
                f"{record.network!r} (code hash differs)"
            )
    expected = plan_contracts(plan)
    if sorted(record.contracts) != sorted(expected):
        raise DeploymentMismatch(
            f"record {record.network!r} holds {sorted(record.contracts)} but the ledger now "
            f"consists of {sorted(expected)}; deploy again with --redeploy"
        )
    for name in expected:
        if load_artifact(name).sha256 != record.contracts[name].artifact_sha256:
            raise DeploymentMismatch(
                f"{name} in record {record.network!r} was built from other artifacts than "
                "the ones installed; deploy again with --redeploy"
            )


def deploy(
    w3: Web3,
    account: LocalAccount,
    record_path: Path,
    *,
    network: str,
    admin: str | None = None,
    redeploy: bool = False,
    plan: Sequence[ContractStep | CallStep] = PLAN,
) -> Deployment:
    """Deploy the ledger, or reuse the recorded deployment if it matches the chain."""
    existing = load_record(record_path)
    if existing is not None and not redeploy:
        verify_record(w3, existing, plan)
        return Deployment(**{**existing.__dict__, "reused": True})
    sender = TxSender(w3, account)
    admin_address = Web3.to_checksum_address(admin or account.address)
    addresses: dict[str, str] = {}
    contracts: dict[str, DeployedContract] = {}
    compiler_version = ""
    for step in plan:
        ctx = PlanContext(sender.address, admin_address, dict(addresses))
        if isinstance(step, ContractStep):
            artifact = load_artifact(step.name)
            compiler_version = artifact.compiler_version
            sent = sender.deploy(artifact.abi, artifact.bytecode, *step.constructor_args(ctx))
            assert sent.contract_address is not None
            code = bytes(w3.eth.get_code(Web3.to_checksum_address(sent.contract_address)))
            addresses[step.name] = sent.contract_address
            contracts[step.name] = DeployedContract(
                address=sent.contract_address,
                tx_hash=sent.tx_hash,
                block=sent.block_number,
                artifact_sha256=artifact.sha256,
                code_hash=Web3.keccak(code).to_0x_hex(),
            )
        else:
            artifact = load_artifact(step.contract)
            sender.call(addresses[step.contract], artifact.abi, step.function, *step.args(ctx))
    deployment = Deployment(
        network=network,
        chain_id=sender.chain_id,
        deployer=sender.address,
        admin=admin_address,
        compiler_version=compiler_version,
        contracts=contracts,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    save_record(deployment, record_path)
    return deployment
