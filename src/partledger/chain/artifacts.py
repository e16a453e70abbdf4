"""Load the compiled contract artifacts shipped inside the package."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from partledger.chain.errors import ArtifactNotFound

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: ABI, creation and runtime bytecode, compiler facts."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str
    sha256: str

    @property
    def deployed_code(self) -> bytes:
        return bytes.fromhex(self.deployed_bytecode.removeprefix("0x"))


@cache
def load_artifact(name: str) -> Artifact:
    """The artifact ``name`` (``"PartLedger"`` or ``"test/Harness"`` for test contracts)."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(available_artifacts()) or "none"
        raise ArtifactNotFound(f"no artifact named {name!r} (known: {known})")
    raw = path.read_bytes()
    data = json.loads(raw)
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler_version=data["compiler"]["version"],
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def available_artifacts() -> list[str]:
    """Names of every shipped artifact."""
    if not ARTIFACTS_DIR.is_dir():
        return []
    return sorted(
        p.relative_to(ARTIFACTS_DIR).with_suffix("").as_posix()
        for p in ARTIFACTS_DIR.rglob("*.json")
    )
