"""Drive the ``partledger`` CLI in-process (Typer's runner) against one data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from partledger.chain.local import free_port
from partledger.cli import app

PASSPHRASE = "correct horse battery staple"
REGISTER = (
    "--part-number", "BR-1", "--revision", "A", "--material", "PA12", "--process", "SLS",
)  # fmt: skip
STANDARD = "ISO/ASTM 52920"


class Cli:
    """Runs ``partledger`` in-process against one data directory (the chain runs detached,
    so commands attach to it instead of starting their own)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.runner = CliRunner()
        self.addresses: dict[str, str] = {}

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def ok(self, *args: str) -> Any:
        """Run with ``--json``; assert success and return the parsed output."""
        result = self.run("--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def fails(self, code: int, *args: str) -> Result:
        """Run; assert exit ``code`` with a message and no traceback."""
        result = self.run(*args)
        assert result.exit_code == code, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert "error" in result.output.lower()
        return result

    def file(self, name: str, data: bytes | None = None) -> Path:
        path = self.root / name
        path.write_bytes(os.urandom(20_000) if data is None else data)
        return path

    # -- worlds --------------------------------------------------------------------------
    def identity(self, name: str, *, fund: bool = True, role: str | None = None) -> str:
        address: str = self.ok("keys", "create", name)["address"]
        self.addresses[name] = address
        if fund:
            self.ok("keys", "fund", name)
        if role:
            self.ok("admin", "grant", role, address)
        return address

    def onboard(self) -> dict[str, str]:
        """acme-oem (OEM), milan-hub (registered hub with a qualified machine), cert
        (certifier); returns their addresses and the machine id."""
        out = {
            "oem": self.identity("acme-oem", role="oem"),
            "hub": self.identity("milan-hub", role="hub"),
            "cert": self.identity("cert", role="certifier"),
        }
        self.ok("hub", "register", "--as", "milan-hub", "--name", "Milan hub", "--locode", "ITMIL")
        out["machine"] = self.ok(
            "hub", "machine-add", "--as", "milan-hub", "--maker", "EOS", "--model", "M 290",
            "--serial", "M-1",
        )["machine_id"]  # fmt: skip
        certificate = self.file("certificate.pdf", b"certificate")
        self.ok("qualify", "machine", out["machine"], STANDARD, "--as", "cert",
                "--certificate", str(certificate), "--days", "20")  # fmt: skip
        return out

    def design(self, name: str = "bracket.stl") -> dict[str, Any]:
        registered: dict[str, Any] = self.ok(
            "design", "register", str(self.file(name)), "--as", "acme-oem", *REGISTER
        )
        return registered

    def licence(self, design_id: str, *extra: str) -> str:
        hub = self.addresses["milan-hub"]
        issued = self.ok("licence", "issue", design_id, hub, "--as", "acme-oem",
                         "--max-prints", "5", *extra)  # fmt: skip
        return str(issued["licence_id"])


def environment(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv("PARTLEDGER_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("PARTLEDGER_CHAIN_PORT", str(free_port()))
    monkeypatch.setenv("PARTLEDGER_PASSPHRASE", PASSPHRASE)
    for name in ("PARTLEDGER_RPC_URL", "PARTLEDGER_DEPLOYER_KEY", "PARTLEDGER_DEBUG"):
        monkeypatch.delenv(name, raising=False)
