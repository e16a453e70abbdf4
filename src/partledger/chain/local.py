"""The embedded development chain: the real ``anvil`` binary from node_modules.

``LocalChain`` starts anvil on a free, given or preferred port, waits until it
answers, keeps its state in ``<state_dir>/state.json`` (dumped every second and on
exit, loaded on start) and stops it cleanly. A pid file lets another process
(``partledger chain down``) find and stop a chain started detached.

Ports: ``port=`` is required (a busy port is an error, ``ChainPortInUse``);
``preferred_port=`` is only a wish: when another program holds it, the chain takes a
free port and remembers it in ``<state_dir>/port.json``, so every later start of this
state directory's chain uses the same one while it stays free.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from partledger.chain.errors import LocalChainError

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
}


def dev_account(index: int) -> LocalAccount:
    """Funded account ``index`` of the local chain (anvil's default mnemonic; dev only)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        DEFAULT_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def find_anvil(project_root: Path | None = None) -> Path:
    """Locate the anvil binary: ``PARTLEDGER_ANVIL``, node_modules, then ``PATH``."""
    if override := os.environ.get("PARTLEDGER_ANVIL"):
        return Path(override)
    root = project_root or Path(__file__).resolve().parents[3]
    suffix = _PLATFORMS.get((platform.system(), platform.machine()))
    if suffix:
        candidate = root / "node_modules" / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
        if candidate.exists():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise LocalChainError(
        f"anvil binary not found in {root / 'node_modules'} nor on PATH: run `npm ci` "
        "in the project root (or set PARTLEDGER_ANVIL)"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 2.0) -> Any:
    """One JSON-RPC request without web3 (used for liveness checks)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(  # noqa: S310 - URL is ours (loopback)
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        reply = json.loads(response.read())
    if "error" in reply:
        raise LocalChainError(f"{method} failed: {reply['error']}")
    return reply["result"]


class ChainPortInUse(LocalChainError):
    """The port the chain must use is held by another program (not this directory's chain)."""

    def __init__(self, host: str, port: int, state_dir: Path | None) -> None:
        self.host, self.port = host, port
        owner = f"the chain of {state_dir}" if state_dir else "this chain"
        super().__init__(
            f"port {port} on {host} is already in use by another program (not {owner})"
        )


@dataclass(frozen=True)
class ChainProcess:
    """What the pid file records about a running anvil."""

    pid: int
    host: str
    port: int
    chain_id: int

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class LocalChain:
    """Start, find, and stop the embedded anvil whose state lives in ``state_dir``.

    ``state_dir=None`` gives an ephemeral chain (nothing persisted), for tests.
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        port: int | None = None,
        preferred_port: int | None = None,
        host: str = "127.0.0.1",
        chain_id: int = 31337,
        binary: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.preferred_port = preferred_port
        self.moved_from: int | None = None
        """The preferred port, when another program held it and the chain took another."""
        self.chain_id = chain_id
        self._binary = binary
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._owned = False

    # -- discovery -----------------------------------------------------------------
    @property
    def pid_file(self) -> Path | None:
        return self.state_dir / "anvil.pid.json" if self.state_dir else None

    @property
    def state_file(self) -> Path | None:
        return self.state_dir / "state.json" if self.state_dir else None

    @property
    def port_file(self) -> Path | None:
        """Where the port taken instead of a busy preferred one is remembered."""
        return self.state_dir / "port.json" if self.state_dir else None

    def remembered_port(self) -> int | None:
        """The port this state directory's chain took last time its preferred one was busy."""
        if self.port_file is None or not self.port_file.exists():
            return None
        try:
            port = json.loads(self.port_file.read_text())["port"]
        except (ValueError, TypeError, KeyError):
            return None
        return port if isinstance(port, int) and 0 < port < 65536 else None

    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise LocalChainError("the local chain is not running")
        return f"http://{self.host}:{self.port}"

    def running(self) -> ChainProcess | None:
        """The anvil recorded in the pid file, if it is alive and answering."""
        if self.pid_file is None or not self.pid_file.exists():
            return None
        try:
            record = ChainProcess(**json.loads(self.pid_file.read_text()))
        except (ValueError, TypeError):
            return None
        if not _pid_alive(record.pid) or not _answers(record.rpc_url):
            return None
        return record

    # -- lifecycle -------------------------------------------------------------------
    def start(self, *, detached: bool = False) -> LocalChain:
        """Start anvil (or attach to the one already running on this state dir)."""
        if existing := self.running():
            if existing.chain_id != self.chain_id:
                raise LocalChainError(
                    f"the chain running on {self.state_dir} has chain id {existing.chain_id}, "
                    f"not {self.chain_id}"
                )
            self.host, self.port, self._owned = existing.host, existing.port, False
            return self
        binary = self._binary or find_anvil()
        self.port = self._choose_port()
        args = [
            str(binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", DEFAULT_MNEMONIC,
        ]  # fmt: skip
        log: Any = subprocess.DEVNULL
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            args += ["--state", str(self.state_file), "--state-interval", "1"]
            log = (self.state_dir / "anvil.log").open("ab")
        try:
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=detached
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        self._owned = True
        self._wait_until_ready()
        if self.pid_file is not None:
            record = ChainProcess(self._process.pid, self.host, self.port, self.chain_id)
            self.pid_file.write_text(json.dumps(record.__dict__))
        return self

    def _choose_port(self) -> int:
        """The required port (refused when busy), else the remembered or preferred one while
        free, else a free one (remembered when a preferred port was asked for)."""
        if self.port is not None:
            if not _port_free(self.host, self.port):
                raise ChainPortInUse(self.host, self.port, self.state_dir)
            return self.port
        if self.preferred_port is None:
            return free_port(self.host)
        remembered = self.remembered_port()
        for candidate in (remembered, self.preferred_port):
            if candidate is not None and _port_free(self.host, candidate):
                chosen = candidate
                break
        else:
            chosen = free_port(self.host)
        if chosen != self.preferred_port:
            self.moved_from = self.preferred_port
        if self.port_file is not None and chosen != remembered:
            self.port_file.parent.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(json.dumps({"port": chosen}))
        return chosen

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalChainError(
                    f"anvil exited with code {self._process.returncode} while starting"
                    f"{self._log_tail()}"
                )
            if _answers(self.rpc_url):
                return
            time.sleep(0.05)
        self._terminate(self._process.pid)
        raise LocalChainError(
            f"anvil did not answer on {self.rpc_url} within "
            f"{self._start_timeout:.0f}s{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self.state_dir is None or not (self.state_dir / "anvil.log").exists():
            return ""
        tail = (self.state_dir / "anvil.log").read_text(errors="replace")[-2000:]
        return f"; anvil log:\n{tail}"

    def stop(self) -> None:
        """Stop the chain (state is dumped on exit). Stops a detached one too."""
        pid: int | None = None
        if self._process is not None and self._owned:
            pid = self._process.pid
        elif record := self.running():
            pid = record.pid
        if pid is not None:
            self._terminate(pid)
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=1)
        self._process = None
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def release(self) -> None:
        """Stop the chain only if this object started it."""
        if self._owned:
            self.stop()

    @staticmethod
    def _terminate(pid: int, timeout: float = 15.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> LocalChain:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _pid_alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        rpc_call(url, "eth_chainId", timeout=0.5)
    except (OSError, urllib.error.URLError, ValueError, LocalChainError):
        return False
    return True


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
