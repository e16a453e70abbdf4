"""The two commands' bootstrap, on a copy of the project with stand-in python3 and npm: it
says what it does and how long each step took, the run command installs no test-only tools,
the test command does, and a second run does nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STAND_IN = """#!/usr/bin/env bash
# stands in for python3 / a venv's python / npm: logs its call, makes what the step makes
echo "$(basename "$(dirname "$(dirname "$0")")")/$(basename "$0") $*" >> "$BOOTSTRAP_LOG"
case "$1 $2" in
  "-c "*) exit 0 ;;
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip") echo "Collecting some-package (from pip, as it goes)" ;;
  "ci "*) mkdir -p node_modules && echo "added 29 packages in 1s" ;;
esac
"""


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "clone"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", project / "scripts")
    for name in ("pyproject.toml", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, project)
    tools = tmp_path / "stand-ins" / "bin"
    tools.mkdir(parents=True)
    # chromium present, so the test-only browser step has nothing to install; apt-get would
    # only log (nothing real is ever installed by this test)
    for name in ("python3", "npm", "apt-get", "chromium"):
        (tools / name).write_text(STAND_IN)
        (tools / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "PYTHON": str(tools / "python3"),
        "BOOTSTRAP_LOG": str(tmp_path / "calls.log"),
    }
    return project, env


def _bootstrap(project: Path, env: dict[str, str], *args: str) -> tuple[str, list[str]]:
    log = Path(env["BOOTSTRAP_LOG"])
    log.unlink(missing_ok=True)
    done = subprocess.run(
        ["bash", "scripts/bootstrap.sh", *args], cwd=project, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    return done.stdout + done.stderr, calls


def test_the_run_bootstrap_shows_its_steps_and_installs_no_test_only_tools(
    tmp_path: Path,
) -> None:
    project, env = _project(tmp_path)
    output, calls = _bootstrap(project, env)
    assert not any("slither" in call or "apt-get" in call for call in calls), calls
    installs = [c for c in calls if c.startswith(".venv/python -m pip install")]
    assert any("-e .[dev]" in c for c in installs) and not any(" -q" in c for c in installs)
    assert "Collecting some-package" in output  # pip's own progress shows
    assert re.search(r"bootstrap: installing Python packages.*: done in \d+ s", output), output
    assert re.search(r"bootstrap: installing the pinned Node tools.*: done in \d+ s", output)
    assert "npm ci" in output and any(c.endswith("npm ci --no-audit --no-fund") for c in calls)
    again, calls = _bootstrap(project, env)
    assert calls == [c for c in calls if " -c " in c], calls  # only the version check
    assert "installing" not in again


def test_the_test_bootstrap_adds_slither_once(tmp_path: Path) -> None:
    project, env = _project(tmp_path)
    _bootstrap(project, env)
    output, calls = _bootstrap(project, env, "--test-tools")
    assert any("slither-analyzer==" in c for c in calls), calls
    assert not any("-e .[dev]" in c for c in calls)  # the rest is up to date
    assert re.search(r"bootstrap: installing the test-only slither-analyzer .*: done in", output)
    _, calls = _bootstrap(project, env, "--test-tools")
    assert not any("pip" in c or "npm" in c for c in calls), calls


def test_only_the_test_command_asks_for_the_test_only_tools() -> None:
    run = (ROOT / "scripts" / "run.sh").read_text()
    test = (ROOT / "scripts" / "test.sh").read_text()
    assert re.search(r"^bash scripts/bootstrap\.sh$", run, re.M)
    assert re.search(r"^bash scripts/bootstrap\.sh --test-tools$", test, re.M)
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
