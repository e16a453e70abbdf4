"""A second EVM implementation for compatibility runs: Hardhat's node (EDR) from node_modules.

``HardhatNode`` starts ``hardhat node`` on a free (or given) loopback port, waits until it
answers ``eth_chainId``, captures its log and stops it, removing its scratch directory.
It is ephemeral (Hardhat's node keeps its state in memory only) and meant for tests that
show the product works on an EVM other than anvil; docs/evm-compat.md lists what differs.

Hardhat 2 runs only from a project that has it installed locally, so the node starts with
the project root (whose ``node_modules`` holds ``hardhat``) as working directory and a
generated config in a scratch directory (``--config``): nothing is written to the repository.
The config uses anvil's mnemonic, so ``dev_account(i)`` are funded on both chains.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from partledger.chain.errors import LocalChainError
from partledger.chain.local import (
    DEFAULT_MNEMONIC,
    ChainPortInUse,
    LocalChain,
    _answers,
    _port_free,
    free_port,
)

__all__ = ["HardhatNode", "find_hardhat"]


def find_hardhat(project_root: Path | None = None) -> Path:
    """The Hardhat CLI entry point in the project's ``node_modules``."""
    root = project_root or Path(__file__).resolve().parents[3]
    cli = root / "node_modules" / "hardhat" / "internal" / "cli" / "bootstrap.js"
    if not cli.exists():
        raise LocalChainError(
            f"hardhat not found in {root / 'node_modules'}: run `npm ci` in the project root"
        )
    return cli


class HardhatNode:
    """Start and stop an ephemeral Hardhat node (EDR) on a loopback port.

    ``accounts`` funded accounts are derived from anvil's default mnemonic (the same keys as
    ``dev_account(i)``); ``chain_id`` defaults to 31337, as on anvil.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        chain_id: int = 31337,
        accounts: int = 10,
        project_root: Path | None = None,
        node_binary: str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.accounts = accounts
        self._root = project_root or Path(__file__).resolve().parents[3]
        self._node = node_binary
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._scratch: Path | None = None
        self.log_text = ""
        """The node's log, kept when it stops (its scratch directory is removed)."""

    @property
    def rpc_url(self) -> str:
        if self.port is None or self._process is None:
            raise LocalChainError("the Hardhat node is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def log_file(self) -> Path | None:
        return self._scratch / "hardhat.log" if self._scratch else None

    def config(self) -> dict[str, Any]:
        """The ``networks.hardhat`` settings written to the generated config.

        Hardhat's other defaults stay on purpose, to test against them: blocks never share a
        timestamp (chain time runs ahead of the clock under many transactions) and a failing
        transaction is mined *and* its send answered with the revert
        (``throwOnTransactionFailures``); docs/evm-compat.md says how PartLedger copes.
        No forking, and the telemetry prompt is off: the node makes no outside connection.
        """
        return {
            "chainId": self.chain_id,
            "accounts": {"mnemonic": DEFAULT_MNEMONIC, "count": self.accounts},
            # automine: every transaction is mined at once in a block of its own, as on anvil
            "mining": {"auto": True, "interval": 0},
        }

    def start(self) -> HardhatNode:
        if self._process is not None:
            return self
        cli = find_hardhat(self._root)
        node = self._node or shutil.which("node")
        if node is None:
            raise LocalChainError("node (Node.js >= 18) is not on PATH")
        if self.port is None:
            self.port = free_port(self.host)
        elif not _port_free(self.host, self.port):
            raise ChainPortInUse(self.host, self.port, None)
        self._scratch = Path(tempfile.mkdtemp(prefix="partledger-hardhat-"))
        config = self._scratch / "hardhat.config.js"
        settings = json.dumps({"networks": {"hardhat": self.config()}}, indent=2)
        config.write_text(f"module.exports = {settings};\n")
        env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "NO_COLOR": "1"}
        args = [
            node, str(cli), "node",
            "--config", str(config),
            "--hostname", self.host,
            "--port", str(self.port),
        ]  # fmt: skip
        assert self.log_file is not None
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                args, cwd=self._root, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        url = f"http://{self.host}:{self.port}"
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalChainError(
                    f"hardhat node exited with code {self._process.returncode} while starting"
                    f"{self._log_tail()}"
                )
            if _answers(url):
                return
            time.sleep(0.05)
        raise LocalChainError(
            f"hardhat node did not answer on {url} within {self._start_timeout:.0f}s"
            f"{self._log_tail()}"
        )

    def _read_log(self) -> str:
        if self.log_file is None or not self.log_file.exists():
            return self.log_text
        return self.log_file.read_text(errors="replace")

    def _log_tail(self) -> str:
        tail = self._read_log()[-2000:]
        return f"; hardhat log:\n{tail}" if tail else ""

    def stop(self) -> None:
        """Stop the node (its state is gone) and remove its scratch directory."""
        if self._process is not None:
            LocalChain._terminate(self._process.pid, timeout=10.0)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            self._process = None
        if self._scratch is not None:
            self.log_text = self._read_log()
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> HardhatNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
