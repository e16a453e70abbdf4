"""Human output people can act on: whole ids to copy, ISO 8601 times, standards by name,
tables instead of dict reprs, plurals that agree, help screens that name their values."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from helpers.cli_runner import STANDARD, Cli
from partledger.cli import app

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
UNIX_SECONDS = re.compile(r"(?<![\w.])1[6-9]\d{8}(?![\w…])")  # not an abbreviated hash
STANDARD_HEX = "0x" + STANDARD.encode().hex()[:8]


def _human(cli: Cli, *args: str) -> str:
    result = cli.run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _reads_well(text: str) -> None:
    assert "{'" not in text and "':" not in text, text  # no Python dict reprs
    assert not UNIX_SECONDS.search(text), text
    assert STANDARD_HEX not in text, text


def test_licences_and_designs_print_whole_ids_iso_times_and_standard_names(cli: Cli) -> None:
    cli.onboard()
    design = cli.design()
    licence = cli.licence(design["design_id"], "--standard", STANDARD)

    held = _human(cli, "hub", "licences", "--as", "milan-hub")
    assert licence in held and STANDARD in held and re.search(ISO, held)
    _reads_well(held)

    shown = _human(cli, "licence", "show", licence)
    assert re.search(rf"valid\s+{ISO} \.\. {ISO}", shown), shown
    assert f"a machine qualified to {STANDARD}" in shown and "0 of 5 used, 5 left" in shown
    _reads_well(shown)
    as_json = cli.ok("licence", "show", licence)
    assert isinstance(as_json["valid_until"], int)
    assert re.fullmatch(ISO, as_json["valid_until_iso"])
    assert as_json["required_standard"] == STANDARD

    design_shown = _human(cli, "design", "show", design["design_id"], "--as", "acme-oem")
    assert "(acme-oem)" in design_shown and "part number" in design_shown
    assert re.search(rf"registered\s+{ISO}", design_shown)
    _reads_well(design_shown)


def test_the_audit_report_shows_the_qualification_window_in_iso_and_counts_agree(
    cli: Cli,
) -> None:
    made = cli.onboard()
    design = cli.design()
    licence = cli.licence(design["design_id"], "--standard", STANDARD)
    cli.ok("print", "attest", licence, "SN-1", "--as", "milan-hub", "--machine",
           made["machine"], "--lot", "L1")  # fmt: skip
    report = _human(cli, "audit", "provenance", design["design_id"], "SN-1")
    assert re.search(rf"valid {ISO} \.\. {ISO}, in force at the print", report), report
    confirmations = cli.ok("audit", "provenance", design["design_id"], "SN-1")["provenance"][
        "attestation"
    ]["confirmations"]
    noun = "confirmation" if confirmations == 1 else "confirmations"
    assert f"({confirmations} {noun})" in report
    assert "1 confirmations" not in report
    _reads_well(report)


def _command_paths() -> list[tuple[str, ...]]:
    root: Any = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]
    for name, command in root.commands.items():
        paths.append((name,))
        for sub in getattr(command, "commands", {}):
            paths.append((name, sub))
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "partledger")
def test_help_screens_show_flags_as_flags_and_values_by_name(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    placeholders = re.findall(r"<(?:bool|str|int|float|path|text)[^>]*>", result.output)
    assert placeholders == [], result.output


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ((), ["--json", "PARTLEDGER_CHAIN_PORT", "PARTLEDGER_PASSPHRASE"]),
        (("licence", "issue"), ["DESIGN_ID", "HUB", "NAME", "FILE"]),
        (("hub", "fetch"), ["LICENCE_ID", "OUT", "NAME"]),
        (("design", "register"), ["FILE", "NAME"]),
        (("keys", "create"), ["NAME"]),
        (("chain", "up"), ["PARTLEDGER_CHAIN_PORT"]),
        (("qualify", "list"), ["--expiring-within", "DAYS"]),
    ],
)
def test_help_screens_name_what_they_expect(path: tuple[str, ...], names: list[str]) -> None:
    text = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).output
    for name in names:
        assert name in text, text


def test_licence_changes_say_what_the_licence_is_now(cli: Cli) -> None:
    cli.onboard()
    design = cli.design()
    licence = cli.licence(design["design_id"])
    before = cli.ok("licence", "show", licence)
    amended = cli.ok("licence", "amend", licence, "--as", "acme-oem", "--add-prints", "2",
                     "--days", "10")["licence"]  # fmt: skip
    assert amended["max_prints"] == 7
    assert amended["valid_until"] == before["valid_until"] + 10 * 86_400
    assert (
        cli.ok("licence", "suspend", licence, "--as", "acme-oem")["licence"]["status"]
        == "Suspended"
    )
    fetched = cli.fails(3, "hub", "fetch", licence, str(cli.root / "x.stl"), "--as", "milan-hub")
    assert "Suspended" in fetched.output
    resumed = _human(cli, "licence", "resume", licence, "--as", "acme-oem")
    assert re.search(rf"resumed licence {licence}: now active, 7 of 7 prints left, valid until "
                     rf"{ISO}", resumed), resumed  # fmt: skip
    assert cli.ok("licence", "revoke", licence, "--as", "acme-oem")["licence"]["status"] == (
        "Revoked"
    )
    again = cli.fails(3, "licence", "revoke", licence, "--as", "acme-oem")
    assert "LicenceAlreadyRevoked" in again.output
    assert "nothing to amend" in cli.fails(2, "licence", "amend", licence, "--as",
                                           "acme-oem").output  # fmt: skip
    assert json.loads(cli.run("--json", "licence", "show", licence).stdout)["status"] == "Revoked"
