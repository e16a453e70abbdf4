"""Identities on the command line: names wherever an account is meant, no passphrase
prompt without a terminal, unfunded accounts told to get funds."""

from __future__ import annotations

import pytest

from helpers.cli_runner import REGISTER, Cli
from partledger.sdk.journal import Journal


def test_keys_create_without_a_terminal_asks_for_the_passphrase_variable(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("keys", "create", "existing")
    monkeypatch.delenv("PARTLEDGER_PASSPHRASE")
    result = cli.fails(2, "keys", "create", "acme-oem")
    assert "PARTLEDGER_PASSPHRASE" in result.output
    assert "Warning" not in result.output and "GetPass" not in result.output
    assert not (cli.data / "keystores" / "acme-oem.json").exists()
    # unlocking an existing keystore says the same; its public address needs no passphrase
    assert "PARTLEDGER_PASSPHRASE" in cli.fails(2, "keys", "show", "existing").output
    assert cli.ok("keys", "list")["keystores"] == ["existing"]


def test_roles_licences_transfers_and_qualifications_take_identity_names(cli: Cli) -> None:
    hub = cli.identity("milan-hub", role="hub")  # `admin grant hub milan-hub`
    oem = cli.identity("acme-oem", role="oem")
    cli.identity("other-oem", role="oem")
    cli.identity("cert", role="certifier")
    cli.ok("hub", "register", "--as", "milan-hub", "--name", "Milan", "--locode", "ITMIL")
    design = cli.design()
    issued = cli.ok("licence", "issue", design["design_id"], "milan-hub", "--as", "acme-oem",
                    "--max-prints", "2")  # fmt: skip
    assert issued["hub"] == hub
    certificate = cli.file("cert.pdf", b"c")
    qualified = cli.ok("qualify", "hub", "milan-hub", "ISO/ASTM 52900", "--as", "cert",
                       "--certificate", str(certificate))  # fmt: skip
    assert qualified["hub"] == hub
    cli.ok("design", "transfer", design["design_id"], "other-oem", "--as", "acme-oem")
    shown = cli.ok("design", "show", design["design_id"])
    assert (
        shown["owner"] == oem
        and shown["pending_owner"] == cli.ok("keys", "show", "other-oem")["address"]
    )
    # an address stays an address, in any letter case
    assert cli.ok("admin", "grant", "hub", hub.lower())["account"] == hub


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("admin", "grant", "oem", "nobody"), "'nobody' is neither an address nor a known"),
        (("admin", "grant", "oem", "0x1234"), "is not an address"),
        (("admin", "grant", "oem", "0x" + "aB" * 20), "wrong checksum"),
        (("licence", "issue", "0x" + "11" * 32, "nobody", "--as", "x", "--max-prints", "1"),
         "hub 'nobody' is neither"),
    ],
)  # fmt: skip
def test_a_name_that_is_neither_an_address_nor_an_identity_is_a_clear_error(
    cli: Cli, args: tuple[str, ...], needle: str
) -> None:
    result = cli.fails(1, *args)
    assert needle in result.output


def test_an_unfunded_account_is_refused_with_exit_3_and_told_to_get_funds(cli: Cli) -> None:
    cli.identity("poor-hub", fund=False, role="hub")
    result = cli.fails(
        3, "hub", "register", "--as", "poor-hub", "--name", "Poor", "--locode", "ITMIL"
    )
    assert "insufficient funds" in result.output
    assert "partledger keys fund poor-hub" in result.output
    assert "-32003" not in result.output
    # an OEM that cannot pay for its registration leaves nothing pending either
    cli.identity("poor-oem", fund=False, role="oem")
    design = cli.file("bracket.stl")
    register = ("design", "register", str(design), "--as", "poor-oem", *REGISTER)
    assert "partledger keys fund poor-oem" in cli.fails(3, *register).output
    journal = Journal(cli.data / "journal.sqlite3")
    assert journal.pending() == []
    journal.close()
    cli.ok("keys", "fund", "poor-oem")
    cli.ok(*register)
