"""Errors a user can act on: roles by name, the hub checked first, nothing left pending,
a hint for every contract error, and never a traceback whatever the input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from helpers.cli_runner import REGISTER, STANDARD, Cli, environment
from partledger.chain.artifacts import load_artifact
from partledger.chain.ledger_errors import (
    AccessControlUnauthorizedAccount,
    LicenceExpired,
    MachineNotQualified,
)
from partledger.chain.local import LocalChain
from partledger.cli.errors import HINTS, describe, hint_for
from partledger.sdk.journal import Journal

OEM_ROLE = bytes(Web3.keccak(text="OEM_ROLE"))


def _pending(cli: Cli) -> list[Any]:
    journal = Journal(cli.data / "journal.sqlite3")
    try:
        return journal.pending()
    finally:
        journal.close()


def _blobs(cli: Cli) -> list[Path]:
    return [p for p in (cli.data / "blobs").rglob("*") if p.is_file() and ".tmp" not in p.parts]


def test_registering_without_the_oem_role_names_the_role_and_leaves_nothing_pending(
    cli: Cli,
) -> None:
    address = cli.identity("acme-oem")  # funded, but no role yet
    design = cli.file("bracket.stl")
    result = cli.fails(3, "design", "register", str(design), "--as", "acme-oem", *REGISTER)
    assert f"AccessControlUnauthorizedAccount(account={address} (acme-oem), " in result.output
    assert "neededRole=OEM_ROLE" in result.output
    assert "0x" + OEM_ROLE.hex() not in result.output
    assert "`partledger admin grant oem acme-oem`" in result.output
    assert _pending(cli) == [] and _blobs(cli) == []
    cli.ok("index", "sync")
    assert cli.ok("reconcile", "--grace-hours", "0")["clean"] is True
    # granted, the same command succeeds without any `design recover`
    cli.ok("admin", "grant", "oem", "acme-oem")
    cli.ok("design", "register", str(design), "--as", "acme-oem", *REGISTER)


def test_a_registration_the_chain_refuses_at_its_first_transaction_is_rolled_back(
    cli: Cli,
) -> None:
    cli.identity("acme-oem", role="oem")
    cli.ok("admin", "pause")
    result = cli.fails(3, "design", "register", str(cli.file("a.stl")), "--as", "acme-oem",
                       *REGISTER)  # fmt: skip
    assert "EnforcedPause" in result.output and "partledger admin unpause" in result.output
    assert _pending(cli) == [] and _blobs(cli) == []


def test_licensing_a_hub_that_never_registered_says_unknown_hub_before_any_work(
    cli: Cli,
) -> None:
    cli.identity("acme-oem", role="oem")
    hub = cli.identity("late-hub", role="hub")  # has keys and the role, never registered
    design = cli.design()
    blobs = _blobs(cli)
    result = cli.fails(
        3, "licence", "issue", design["design_id"], "late-hub", "--as", "acme-oem",
        "--max-prints", "1",
    )  # fmt: skip
    assert f"UnknownHub(hub={hub} (late-hub))" in result.output
    assert "partledger hub register" in result.output
    assert "HPKE" not in result.output
    assert _blobs(cli) == blobs and _pending(cli) == []


def test_every_error_of_the_ledger_contracts_has_a_hint() -> None:
    names = {
        item["name"]
        for contract in ("DesignRegistry", "PrintLedger")
        for item in load_artifact(contract).abi
        if item.get("type") == "error"
    }
    assert len(names) > 50
    missing = sorted(n for n in names if not HINTS.get(n))
    assert missing == ["AccessControlUnauthorizedAccount"]  # its hint names the role


def test_contract_errors_read_as_names_times_and_standards() -> None:
    account = "0x" + "12" * 20
    refused = AccessControlUnauthorizedAccount(
        "AccessControlUnauthorizedAccount",
        {"account": Web3.to_checksum_address(account), "neededRole": OEM_ROLE},
    )
    assert describe(refused).endswith("neededRole=OEM_ROLE)")
    assert "admin grant oem 0x1212" in hint_for(refused)
    admin = AccessControlUnauthorizedAccount(
        "AccessControlUnauthorizedAccount", {"account": account, "neededRole": bytes(32)}
    )
    assert "DEFAULT_ADMIN_ROLE" in describe(admin)
    expired = LicenceExpired(
        "LicenceExpired", {"licenceId": b"\x01" * 32, "validUntil": 1796198438, "at": 1796198439}
    )
    assert "validUntil=2026-12-02T08:00:38Z" in describe(expired) and "Z, at=" in describe(expired)
    assert "licence amend 0x0101" in hint_for(expired)
    unqualified = MachineNotQualified(
        "MachineNotQualified",
        {"machineId": b"\x02" * 32, "standard": STANDARD.encode().ljust(32, b"\0"), "at": 0},
    )
    assert f"standard={STANDARD}" in describe(unqualified)
    assert f'"{STANDARD}"' in hint_for(unqualified)


# -- no traceback, whatever the input ---------------------------------------------------------
GHOST = "ghost"
UNKNOWN = "0x" + "00" * 31 + "01"
SHORT = "0x1234"
NOT_HEX = "0xZZ" + "00" * 31


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One onboarded ledger (OEM, registered hub with a qualified machine, certifier, a
    design, a licence, one print) shared by the bad-input cases, which change nothing."""
    root = tmp_path_factory.mktemp("bad-input")
    with pytest.MonkeyPatch.context() as monkeypatch:
        environment(monkeypatch, root)
        cli = Cli(root)
        assert cli.run("chain", "up").exit_code == 0
        try:
            made = cli.onboard()
            design = cli.design()
            made["design"] = design["design_id"]
            made["licence"] = cli.licence(design["design_id"], "--standard", STANDARD)
            cli.ok("print", "attest", made["licence"], "SN-1", "--as", "milan-hub",
                   "--machine", made["machine"], "--lot", "L1")  # fmt: skip
            made["file"] = str(cli.file("some.stl"))
            made["notjson"] = str(cli.file("terms.json", b"{not json"))
            made["root"] = str(root)
            yield made
        finally:
            LocalChain(root / "data" / "chain").stop()


CASES: list[tuple[str, int, tuple[str, ...]]] = [
    # identities that do not exist, or lack what the command needs
    ("register as ghost", 1, ("design", "register", "{file}", "--as", GHOST, *REGISTER)),
    ("issue to ghost hub", 1, ("licence", "issue", "{design}", GHOST, "--as", "acme-oem",
                               "--max-prints", "1")),
    ("issue as ghost", 1, ("licence", "issue", "{design}", "milan-hub", "--as", GHOST,
                           "--max-prints", "1")),
    ("grant to ghost", 1, ("admin", "grant", "oem", GHOST)),
    ("grant unknown role", 2, ("admin", "grant", "auditor", "acme-oem")),
    ("qualify ghost hub", 1, ("qualify", "hub", GHOST, STANDARD, "--as", "cert",
                              "--certificate", "{file}")),
    ("transfer to ghost", 1, ("design", "transfer", "{design}", GHOST, "--as", "acme-oem")),
    ("attest as ghost", 1, ("print", "attest", "{licence}", "SN-9", "--as", GHOST,
                            "--machine", "{machine}", "--lot", "L")),
    ("show ghost keys", 1, ("keys", "show", GHOST)),
    ("fund ghost", 1, ("keys", "fund", GHOST)),
    ("machines of ghost", 1, ("hub", "machines", GHOST)),
    ("designs of ghost", 1, ("design", "list", "--owner", GHOST)),
    ("prints of ghost", 1, ("print", "list", "--hub", GHOST)),
    ("qualifications of ghost", 1, ("qualify", "list", "--hub", GHOST)),
    ("licences of ghost", 1, ("licence", "list", "--owner", GHOST)),
    ("hub registers a design", 3, ("design", "register", "{file}", "--as", "milan-hub",
                                   *REGISTER)),
    ("hub issues a licence", 3, ("licence", "issue", "{design}", "milan-hub", "--as",
                                 "milan-hub", "--max-prints", "1")),
    ("OEM fetches", 3, ("hub", "fetch", "{licence}", "{root}/x.stl", "--as", "acme-oem")),
    ("OEM attests", 3, ("print", "attest", "{licence}", "SN-9", "--as", "acme-oem",
                        "--machine", "{machine}", "--lot", "L")),
    ("OEM qualifies", 3, ("qualify", "machine", "{machine}", STANDARD, "--as", "acme-oem",
                          "--certificate", "{file}")),
    ("hub grants", 3, ("admin", "grant", "oem", "milan-hub", "--as", "milan-hub")),
    ("hub deprecates", 3, ("design", "deprecate", "{design}", "--as", "milan-hub")),
    ("hub revokes", 3, ("licence", "revoke", "{licence}", "--as", "milan-hub")),
    ("serial used twice", 3, ("print", "attest", "{licence}", "SN-1", "--as", "milan-hub",
                              "--machine", "{machine}", "--lot", "L1")),
    # well-formed ids that do not exist
    ("show unknown design", 3, ("design", "show", UNKNOWN)),
    ("show unknown licence", 3, ("licence", "show", UNKNOWN)),
    ("fetch unknown licence", 3, ("hub", "fetch", UNKNOWN, "{root}/x.stl", "--as", "milan-hub")),
    ("attest unknown licence", 3, ("print", "attest", UNKNOWN, "SN-9", "--as", "milan-hub",
                                   "--machine", "{machine}", "--lot", "L")),
    ("attest on unknown machine", 3, ("print", "attest", "{licence}", "SN-9", "--as",
                                      "milan-hub", "--machine", UNKNOWN, "--lot", "L")),
    ("qualify unknown machine", 3, ("qualify", "machine", UNKNOWN, STANDARD, "--as", "cert",
                                    "--certificate", "{file}")),
    ("license unknown design", 3, ("licence", "issue", UNKNOWN, "milan-hub", "--as",
                                   "acme-oem", "--max-prints", "1")),
    ("deprecate unknown design", 3, ("design", "deprecate", UNKNOWN, "--as", "acme-oem")),
    ("amend unknown licence", 3, ("licence", "amend", UNKNOWN, "--as", "acme-oem",
                                  "--add-prints", "1")),
    ("suspend unknown licence", 3, ("licence", "suspend", UNKNOWN, "--as", "acme-oem")),
    ("invalidate unknown print", 3, ("print", "invalidate", "{licence}", "SN-404", "--as",
                                     "milan-hub", "--machine", "{machine}", "--lot", "L",
                                     "--reason", "QA")),
    ("revoke unknown qualification", 3, ("qualify", "revoke", "{machine}", "ISO 9999",
                                         "--as", "cert")),
    # malformed hex
    ("show short design id", 1, ("design", "show", SHORT)),
    ("show non-hex design id", 1, ("design", "show", NOT_HEX)),
    ("show word licence", 1, ("licence", "show", "my-licence")),
    ("fetch short licence", 1, ("hub", "fetch", SHORT, "{root}/x.stl", "--as", "milan-hub")),
    ("attest short licence", 1, ("print", "attest", SHORT, "SN-9", "--as", "milan-hub",
                                 "--machine", "{machine}", "--lot", "L")),
    ("attest short machine", 1, ("print", "attest", "{licence}", "SN-9", "--as", "milan-hub",
                                 "--machine", SHORT, "--lot", "L")),
    ("qualify short machine", 1, ("qualify", "machine", SHORT, STANDARD, "--as", "cert",
                                  "--certificate", "{file}")),
    ("audit short design", 1, ("audit", "provenance", SHORT, "SN-1")),
    ("revise short design", 1, ("design", "revise", SHORT, "{file}", "--as", "acme-oem",
                                *REGISTER)),
    ("issue on short design", 1, ("licence", "issue", SHORT, "milan-hub", "--as", "acme-oem",
                                  "--max-prints", "1")),
    ("licences of short design", 1, ("licence", "list", "--design", SHORT)),
    ("prints of short licence", 1, ("print", "list", "--licence", SHORT)),
    ("qualifications of short machine", 1, ("qualify", "list", "--machine", SHORT)),
    ("recall short design", 1, ("design", "recall", SHORT, "--as", "acme-oem")),
    ("import non-hex key", 1, ("keys", "import", "imported", "--eth-key", NOT_HEX)),
    ("grant to short address", 1, ("admin", "grant", "hub", SHORT)),
    ("standard too long", 1, ("licence", "issue", "{design}", "milan-hub", "--as", "acme-oem",
                              "--max-prints", "1", "--standard", "S" * 40)),
    ("prints since a non-date", 2, ("print", "list", "--hub", "milan-hub", "--since", "soon")),
    # missing or unusable files
    ("register a missing file", 1, ("design", "register", "{root}/nope.stl", "--as",
                                    "acme-oem", *REGISTER)),
    ("register a directory", 1, ("design", "register", "{root}", "--as", "acme-oem",
                                 *REGISTER)),
    ("revise from a missing file", 1, ("design", "revise", "{design}", "{root}/nope.stl",
                                       "--as", "acme-oem", *REGISTER)),
    ("terms file missing", 1, ("licence", "issue", "{design}", "milan-hub", "--as",
                               "acme-oem", "--max-prints", "1", "--terms", "{root}/nope.json")),
    ("terms file not JSON", 1, ("licence", "issue", "{design}", "milan-hub", "--as",
                                "acme-oem", "--max-prints", "1", "--terms", "{notjson}")),
    ("certificate missing", 1, ("qualify", "machine", "{machine}", STANDARD, "--as", "cert",
                                "--certificate", "{root}/nope.pdf")),
    ("report missing", 1, ("print", "attest", "{licence}", "SN-9", "--as", "milan-hub",
                           "--machine", "{machine}", "--lot", "L", "--report",
                           "{root}/nope.txt")),
    ("fetch into a missing directory", 1, ("hub", "fetch", "{licence}", "{root}/no/dir/x.stl",
                                           "--as", "milan-hub")),
    ("audit with an unknown batch", 1, ("audit", "provenance", "{design}", "SN-1", "--batch",
                                        "ab" * 32)),
]  # fmt: skip


@pytest.mark.parametrize(("code", "args"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_1_to_3_with_a_message_and_no_traceback(
    world: dict[str, str], code: int, args: tuple[str, ...]
) -> None:
    cli = Cli(Path(world["root"]))
    result = cli.fails(code, *(a.format(**world) for a in args))
    assert "internal error" not in result.output
