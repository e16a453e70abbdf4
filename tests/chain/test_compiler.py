"""The committed artifacts are exactly what the pinned compiler makes of contracts/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from partledger.chain.artifacts import ARTIFACTS_DIR, available_artifacts, load_artifact
from partledger.chain.compiler import (
    SOLC_VERSION,
    compile_contracts,
    project_root,
    resolve_solc_binary,
    stale_artifacts,
)
from partledger.chain.errors import ArtifactNotFound, CompilerError


@pytest.fixture(scope="module")
def fresh_compile() -> list:
    return compile_contracts()


def test_committed_artifacts_match_a_fresh_compile(fresh_compile: list) -> None:
    assert fresh_compile, "contracts/ compiled to nothing"
    assert stale_artifacts(fresh_compile) == []


def test_every_artifact_carries_abi_bytecode_metadata_and_storage_layout(
    fresh_compile: list,
) -> None:
    for contract in fresh_compile:
        artifact = contract.artifact
        assert artifact["compiler"]["version"].startswith(SOLC_VERSION + "+commit.")
        assert isinstance(artifact["abi"], list)
        assert artifact["bytecode"].startswith("0x")
        assert "storage" in artifact["storageLayout"]
        assert json.loads(artifact["metadata"])["language"] == "Solidity"


def test_stale_artifacts_names_a_changed_and_a_missing_file(
    fresh_compile: list, tmp_path: Path
) -> None:
    shutil.copytree(ARTIFACTS_DIR, tmp_path / "artifacts")
    out = tmp_path / "artifacts"
    first = fresh_compile[0].relative_path
    (out / first).write_text((out / first).read_text().replace('"abi"', '"abi" ', 1))
    second = fresh_compile[-1].relative_path
    if second != first:
        (out / second).unlink()
    stale = stale_artifacts(fresh_compile, out)
    assert first.as_posix() in stale
    assert second.as_posix() in stale


def test_compiler_of_another_version_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "solc"
    fake.write_text("#!/bin/sh\necho 'Version: 0.8.19+commit.7dd6d404.Linux.g++'\n")
    fake.chmod(0o755)
    with pytest.raises(CompilerError, match=r"0\.8\.19.*pin 0\.8\.30"):
        resolve_solc_binary(project_root(), fake)


def test_missing_solc_js_asks_for_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(CompilerError, match="npm ci"):
        resolve_solc_binary(tmp_path)


def test_unknown_artifact_names_the_known_ones() -> None:
    with pytest.raises(ArtifactNotFound, match="NoSuchContract") as info:
        load_artifact("NoSuchContract")
    assert available_artifacts()[0] in str(info.value)
