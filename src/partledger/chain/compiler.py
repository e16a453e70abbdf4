"""Compile ``contracts/`` into the artifacts shipped inside the package.

The compiler is the npm ``solc`` (solc-js) behind ``scripts/solcjs-adapter.cjs``,
driven by py-solc-x's ``compile_standard(solc_binary=...)``. A native ``solc``
of the pinned version can be used instead (``PARTLEDGER_SOLC_BINARY`` or the
``solc_binary`` argument): both produce byte-identical artifacts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from partledger.chain.artifacts import ARTIFACTS_DIR
from partledger.chain.errors import CompilerError

SOLC_VERSION = "0.8.30"
EVM_VERSION = "cancun"
OPTIMIZER = {"enabled": True, "runs": 1000}
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]
OUTPUT_SELECTION = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "metadata",
    "storageLayout",
]
ADAPTER = Path("scripts") / "solcjs-adapter.cjs"


def project_root() -> Path:
    """The source checkout this package is installed from (editable installs)."""
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class CompiledContract:
    """One contract's artifact, ready to be written as JSON."""

    name: str
    relative_path: Path
    artifact: dict[str, Any]

    def to_json(self) -> str:
        """Canonical JSON text: sorted keys, so recompiling gives identical bytes."""
        return json.dumps(self.artifact, sort_keys=True, indent=1) + "\n"


def standard_json_input(root: Path) -> dict[str, Any]:
    """Build the standard-JSON input for every ``.sol`` file below ``root/contracts``."""
    sources = sorted((root / "contracts").rglob("*.sol"))
    if not sources:
        raise CompilerError(f"no Solidity sources found below {root / 'contracts'}")
    return {
        "language": "Solidity",
        "sources": {
            p.relative_to(root).as_posix(): {"content": p.read_text("utf-8")} for p in sources
        },
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": OPTIMIZER,
            "remappings": REMAPPINGS,
            "metadata": {"bytecodeHash": "ipfs"},
            "outputSelection": {"*": {"*": OUTPUT_SELECTION}},
        },
    }


def resolve_solc_binary(root: Path, solc_binary: str | Path | None = None) -> Path:
    """The compiler to run: an explicit/native one if configured, else the solc-js adapter."""
    chosen = solc_binary or os.environ.get("PARTLEDGER_SOLC_BINARY")
    binary = Path(chosen) if chosen else root / ADAPTER
    if not chosen and not (root / "node_modules" / "solc").is_dir():
        raise CompilerError("npm package 'solc' is missing: run `npm ci` in the project root")
    if not binary.exists():
        raise CompilerError(f"solc binary not found: {binary}")
    version = str(solcx.wrapper.get_solc_version(binary.resolve()))
    if version != SOLC_VERSION:
        raise CompilerError(f"{binary} is solc {version}; the contracts pin {SOLC_VERSION}")
    return binary.resolve()


def compile_contracts(
    root: Path | None = None, solc_binary: str | Path | None = None
) -> list[CompiledContract]:
    """Compile all contracts and return their artifacts (nothing is written)."""
    root = (root or project_root()).resolve()
    binary = resolve_solc_binary(root, solc_binary)
    node_modules = root / "node_modules"
    try:
        output = solcx.compile_standard(
            standard_json_input(root),
            base_path=root,
            allow_paths=[root, node_modules],
            solc_binary=binary,
        )
    except SolcError as exc:
        raise CompilerError(f"compilation failed:\n{exc.stderr_data or exc}") from exc
    compiler_version = str(solcx.wrapper.get_solc_version(binary, with_commit_hash=True))
    settings = {"evmVersion": EVM_VERSION, "optimizer": OPTIMIZER}
    return [
        _artifact(unit, name, out, compiler_version, settings)
        for unit, contracts in sorted(output["contracts"].items())
        if unit.startswith("contracts/")
        for name, out in sorted(contracts.items())
    ]


def _artifact(
    unit: str, name: str, out: dict[str, Any], version: str, settings: dict[str, Any]
) -> CompiledContract:
    folder = Path(unit).parent.relative_to("contracts")
    artifact = {
        "contractName": name,
        "sourceName": unit,
        "abi": out["abi"],
        "bytecode": "0x" + out["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
        "metadata": out["metadata"],
        "storageLayout": out.get("storageLayout", {}),
        "compiler": {"version": version, "settings": settings},
    }
    return CompiledContract(name, folder / f"{name}.json", artifact)


def write_artifacts(compiled: list[CompiledContract], out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Replace the artifact tree with ``compiled``; return the files written."""
    for stale in out_dir.rglob("*.json") if out_dir.exists() else []:
        stale.unlink()
    written = []
    for contract in compiled:
        path = out_dir / contract.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contract.to_json(), "utf-8")
        written.append(path)
    return written


def stale_artifacts(compiled: list[CompiledContract], out_dir: Path = ARTIFACTS_DIR) -> list[str]:
    """Names of artifacts whose committed file differs from ``compiled`` (or is missing/extra)."""
    expected = {c.relative_path.as_posix(): c.to_json() for c in compiled}
    present = {
        p.relative_to(out_dir).as_posix(): p.read_text("utf-8") for p in out_dir.rglob("*.json")
    }
    return sorted(
        name for name in expected.keys() | present.keys() if expected.get(name) != present.get(name)
    )
