"""The README's walk-through by role runs as written (in a scratch copy of its working dir)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from partledger.chain.compiler import project_root
from partledger.chain.local import LocalChain, free_port

README = project_root() / "README.md"


def walkthrough() -> str:
    """The bash block under '## Walk-through by role'."""
    text = README.read_text()
    section = text.split("## Walk-through by role", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the walk-through is one bash block"
    return blocks[0]


@pytest.mark.timeout(600)
def test_the_walkthrough_by_role_runs_as_written(tmp_path: Path) -> None:
    script = walkthrough()
    # the block runs from the repository root; here from a scratch dir linked to it
    (tmp_path / ".venv").symlink_to(project_root() / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTLEDGER_")}
    env["PARTLEDGER_CHAIN_PORT"] = str(free_port())
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=580, check=False,
    )  # fmt: skip
    LocalChain(tmp_path / "walkthrough" / "data" / "chain").stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "exit 5: not on the ledger" in output
    assert output.count("NOT VERIFIED") == 1 and "VERIFIED" in output
    work = tmp_path / "walkthrough"
    assert (work / "bracket-at-hub.stl").read_bytes() == (work / "bracket.stl").read_bytes()
