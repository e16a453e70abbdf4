"""The CLI end to end on its own embedded chain: demo, keys, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partledger.chain.local import LocalChain, free_port
from partledger.cli import app
from partledger.crypto import load_keystore

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PARTLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PARTLEDGER_CHAIN_PORT", str(free_port()))
    monkeypatch.setenv("PARTLEDGER_PASSPHRASE", "correct horse battery staple")
    monkeypatch.delenv("PARTLEDGER_RPC_URL", raising=False)
    yield tmp_path
    LocalChain(tmp_path / "data" / "chain").stop()


def test_demo_runs_the_whole_story_and_prints_a_verified_report(cli_env: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output and "NOT VERIFIED" not in result.output
    assert "machine.qualification" in result.output


def test_demo_json_output_carries_every_claim(cli_env: Path) -> None:
    result = runner.invoke(app, ["--json", "demo"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert {c["name"] for c in report["claims"]} >= {"print.record", "blob.container"}
    assert report["provenance"]["attestation"]["kind"] == "direct"


def test_keys_are_encrypted_at_rest_and_show_only_public_facts(cli_env: Path) -> None:
    created = runner.invoke(app, ["--json", "keys", "create", "acme-oem"])
    assert created.exit_code == 0, created.output
    facts = json.loads(created.stdout)
    keystore = Path(facts["keystore"])
    assert keystore.stat().st_mode & 0o777 == 0o600
    identity = load_keystore(keystore, "correct horse battery staple")
    assert identity.eth_address == facts["address"]
    assert identity.eth_private_key.hex() not in keystore.read_text()
    shown = runner.invoke(app, ["--json", "keys", "show", "acme-oem"])
    assert json.loads(shown.stdout)["address"] == facts["address"]
    assert "private" not in shown.stdout


def test_wrong_passphrase_is_a_clear_error(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner.invoke(app, ["keys", "create", "hub-a"])
    monkeypatch.setenv("PARTLEDGER_PASSPHRASE", "wrong")
    result = runner.invoke(app, ["keys", "show", "hub-a"])
    assert result.exit_code == 1
    assert "passphrase" in result.output.lower()


def test_refused_operation_exits_3_with_a_hint(cli_env: Path) -> None:
    runner.invoke(app, ["keys", "create", "nobody"])
    result = runner.invoke(
        app,
        ["hub", "register", "--as", "nobody", "--name", "X", "--locode", "ITMIL"],
    )
    assert result.exit_code == 3, result.output
    assert "AccessControlUnauthorizedAccount" in result.output
    assert "admin grant" in result.output


def test_unreachable_chain_exits_4(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTLEDGER_RPC_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PARTLEDGER_DEPLOYER_KEY", "0x" + "11" * 32)
    result = runner.invoke(app, ["design", "show", "0x" + "00" * 32])
    assert result.exit_code == 4, result.output
    assert "no EVM node answers" in result.output


def test_usage_error_exits_2(cli_env: Path) -> None:
    assert runner.invoke(app, ["licence", "issue"]).exit_code == 2


def test_reconcile_reports_divergences_with_exit_6_and_repairs_what_it_can(cli_env: Path) -> None:
    demo = json.loads(runner.invoke(app, ["--json", "demo"]).stdout)
    assert runner.invoke(app, ["reconcile"]).exit_code == 6  # the index has never synced
    repaired = runner.invoke(app, ["--json", "reconcile", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.stdout)["clean"] is True

    container = demo["provenance"]["design"]["container_hash"][2:]
    blob = cli_env / "data" / "blobs" / container[:2] / container
    blob.unlink()
    broken = runner.invoke(app, ["--json", "reconcile"])
    assert broken.exit_code == 6
    checks = {f["check"] for f in json.loads(broken.stdout)["findings"]}
    assert checks == {"design.container.missing"}


def _ok(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["--json", *args])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def _onboard_oem_and_hub() -> str:
    """Keys, funds and roles for ``acme-oem`` and ``milan-hub`` (registered); the hub's address."""
    oem = _ok("keys", "create", "acme-oem")["address"]
    hub = _ok("keys", "create", "milan-hub")["address"]
    for name in ("acme-oem", "milan-hub"):
        _ok("keys", "fund", name)
    _ok("admin", "grant", "oem", oem)
    _ok("admin", "grant", "hub", hub)
    _ok("hub", "register", "--as", "milan-hub", "--name", "Milan hub", "--locode", "ITMIL")
    return str(hub)


REGISTER_ARGS = (
    "--as", "acme-oem", "--part-number", "BR-1", "--revision", "A", "--material", "PA12",
    "--process", "SLS",
)  # fmt: skip


def _license_and_fetch(cli_env: Path, design: dict[str, Any], hub: str, plaintext: bytes) -> str:
    """Issue a licence on the design and have the hub fetch it; the licence id."""
    licence = _ok(
        "licence", "issue", design["design_id"], hub, "--as", "acme-oem", "--max-prints", "5"
    )
    out = cli_env / f"fetched-{licence['licence_id'][2:10]}.stl"
    fetched = _ok("hub", "fetch", licence["licence_id"], str(out), "--as", "milan-hub")
    assert out.read_bytes() == plaintext
    assert fetched["sha256"] == hashlib.sha256(plaintext).hexdigest() == design["content_sha256"]
    return str(licence["licence_id"])


def test_oem_to_hub_through_the_cli_ends_in_a_verified_fetch(cli_env: Path) -> None:
    hub = _onboard_oem_and_hub()
    design_file = cli_env / "bracket.stl"
    plaintext = os.urandom(3 * 1024 * 1024 + 17)
    design_file.write_bytes(plaintext)
    design = _ok("design", "register", str(design_file), *REGISTER_ARGS)
    licence_id = _license_and_fetch(cli_env, design, hub, plaintext)
    # Another identity holding no licence is refused (exit 3) and nothing is written.
    _ok("keys", "create", "other-hub")
    refused = runner.invoke(
        app, ["hub", "fetch", licence_id, str(cli_env / "x.stl"), "--as", "other-hub"]
    )
    assert refused.exit_code == 3, refused.output
    assert not (cli_env / "x.stl").exists()


def _blob_files(cli_env: Path) -> dict[str, bytes]:
    blobs = cli_env / "data" / "blobs"
    return {p.name: p.read_bytes() for p in sorted(blobs.rglob("*")) if p.is_file()}


def test_registering_the_same_file_again_exits_3_naming_the_design_and_changes_nothing(
    cli_env: Path,
) -> None:
    hub = _onboard_oem_and_hub()
    design_file = cli_env / "bracket.stl"
    plaintext = os.urandom(300_000)
    design_file.write_bytes(plaintext)
    design = _ok("design", "register", str(design_file), *REGISTER_ARGS)
    blobs = _blob_files(cli_env)

    again = runner.invoke(app, ["design", "register", str(design_file), *REGISTER_ARGS])
    assert again.exit_code == 3, again.output
    assert f"already registered as design {design['design_id']}" in again.output
    assert "Traceback" not in again.output and isinstance(again.exception, SystemExit)
    as_json = runner.invoke(app, ["--json", "design", "register", str(design_file), *REGISTER_ARGS])
    assert as_json.exit_code == 3, as_json.output
    error = json.loads(as_json.stderr)
    assert f"already registered as design {design['design_id']}" in error["error"]
    assert error["exit_code"] == 3
    assert _blob_files(cli_env) == blobs

    _license_and_fetch(cli_env, design, hub, plaintext)
    _ok("index", "sync")
    report = _ok("reconcile", "--grace-hours", "0")
    assert report["clean"] is True, report["findings"]


def test_hub_invalidation_keeps_the_copy_the_oem_refunds_it_and_audits_say_why(
    cli_env: Path,
) -> None:
    hub = _onboard_oem_and_hub()
    design_file = cli_env / "bracket.stl"
    design_file.write_bytes(os.urandom(50_000))
    design = _ok("design", "register", str(design_file), *REGISTER_ARGS)
    licence = _ok(
        "licence", "issue", design["design_id"], hub, "--as", "acme-oem", "--max-prints", "1",
        "--refund-on-invalidate",
    )["licence_id"]  # fmt: skip
    machine = _ok(
        "hub", "machine-add", "--as", "milan-hub", "--maker", "EOS", "--model", "P 396",
        "--serial", "M-1",
    )["machine_id"]  # fmt: skip
    fields = ("--machine", machine, "--lot", "LOT-1")
    _ok("print", "attest", licence, "SN-1", "--as", "milan-hub", *fields)
    verified = runner.invoke(app, ["audit", "provenance", design["design_id"], "SN-1"])
    assert verified.exit_code == 0, verified.output
    _ok("print", "invalidate", licence, "SN-1", "--as", "milan-hub", *fields, "--reason", "QA")
    # the hub's word alone gives nothing back: the licence is still used up
    again = runner.invoke(app, ["print", "attest", licence, "SN-2", "--as", "milan-hub", *fields])
    assert again.exit_code == 3 and "LicenceExhausted" in again.output, again.output
    _ok("print", "refund", licence, "SN-1", "--as", "acme-oem", *fields)
    _ok("print", "attest", licence, "SN-2", "--as", "milan-hub", *fields)
    scrapped = runner.invoke(app, ["--json", "audit", "provenance", design["design_id"], "SN-1"])
    assert scrapped.exit_code == 5, scrapped.output
    claims = {c["name"]: c["passed"] for c in json.loads(scrapped.stdout)["claims"]}
    assert claims["print.in_service"] is False
    fake = runner.invoke(app, ["audit", "provenance", design["design_id"], "SN-FAKE"])
    assert fake.exit_code == 5, fake.output
    assert "not on the ledger" in fake.output and "NOT VERIFIED" in fake.output
