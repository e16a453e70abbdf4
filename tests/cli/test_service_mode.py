"""``--service URL``: a hub with only its own identity works through the HTTP service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api.support import make_runtime
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner
from web3 import Web3

from helpers.serving import serving
from helpers.world import METADATA, ONE_DAY, World
from partledger.api.app import create_app
from partledger.cli import app
from partledger.crypto.key_provider import EnvKeyProvider
from partledger.sdk import PrintInput

runner = CliRunner()


@pytest.fixture
def service_url(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[str]:
    def make(origin: str) -> Any:
        return create_app(make_runtime(w3, world, api_origin=origin), relayer=dev_accounts[9])

    with serving(make) as origin:
        yield origin


def test_a_hub_lists_fetches_and_audits_through_the_service_alone(
    service_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = world.design_file(size=2 * 1024 * 1024 + 3)
    design = world.oem.register_design(source, METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=3, valid_until=world.now() + ONE_DAY
    ).licence_id
    world.hub.attest_print(PrintInput(licence, "SVC-1", world.machine, "LOT-1"))
    # the hub's own desk: an empty data directory, its keys in the environment, no chain URL
    monkeypatch.setenv("PARTLEDGER_DATA_DIR", str(tmp_path / "hub-desk"))
    monkeypatch.setenv("PARTLEDGER_RPC_URL", "http://127.0.0.1:9")  # unusable on purpose
    hub = world.hub.identity
    for name, value in EnvKeyProvider.export(type(hub)("milan", hub.eth_private_key,
                                                        hub.hpke_key)).items():  # fmt: skip
        monkeypatch.setenv(name, value)
    base = ["--json", "--service", service_url]

    listed = runner.invoke(app, [*base, "hub", "licences", "--as", "milan"])
    assert listed.exit_code == 0, listed.output
    assert [lic["licence_id"] for lic in json.loads(listed.stdout)] == [licence]

    out = tmp_path / "bracket.stl"
    fetched = runner.invoke(app, [*base, "hub", "fetch", licence, str(out), "--as", "milan"])
    assert fetched.exit_code == 0, fetched.output
    assert out.read_bytes() == source.read_bytes()
    assert json.loads(fetched.stdout)["sha256"] == design.content_sha256

    audited = runner.invoke(app, [*base, "audit", "provenance", design.design_id, "SVC-1"])
    assert audited.exit_code == 0, audited.output
    assert json.loads(audited.stdout)["verified"] is True
    fake = runner.invoke(app, ["--service", service_url, "audit", "provenance",
                               design.design_id, "FAKE-1"])  # fmt: skip
    assert fake.exit_code == 5 and "not on the ledger" in fake.output

    # a licence this hub does not hold, and a service that is not there: clear exits
    other = runner.invoke(app, [*base, "hub", "fetch", "0x" + "11" * 32, str(out), "--as", "milan"])
    assert other.exit_code == 3 and "Traceback" not in other.output
    gone = runner.invoke(
        app, ["--service", "http://127.0.0.1:9", "hub", "licences", "--as", "milan"]
    )
    assert gone.exit_code == 4 and "no PartLedger service answers" in gone.output


def _export_identity(monkeypatch: pytest.MonkeyPatch, identity: Any, name: str) -> None:
    for key, value in EnvKeyProvider.export(
        type(identity)(name, identity.eth_private_key, identity.hpke_key)
    ).items():
        monkeypatch.setenv(key, value)


def test_an_oem_publishes_a_product_record_and_an_auditor_gets_a_sign_in_link(
    service_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = world.oem.register_design(world.design_file(), METADATA).design_id
    monkeypatch.setenv("PARTLEDGER_DATA_DIR", str(tmp_path / "desk"))
    monkeypatch.setenv("PARTLEDGER_RPC_URL", "http://127.0.0.1:9")  # unusable on purpose
    _export_identity(monkeypatch, world.oem.identity, "acme")
    _export_identity(monkeypatch, world.hub.identity, "milan")
    base = ["--json", "--service", service_url]
    published = runner.invoke(app, [
        *base, "design", "publish", design, "--as", "acme", "--gtin", "4006381333931",
        "--name", "Bracket, hydraulic line", "--part-number", "BR-2041", "--revision", "C",
    ])  # fmt: skip
    assert published.exit_code == 0, published.output
    record = json.loads(published.stdout)
    assert record["gtin"] == "04006381333931" and record["owner"] == world.oem.address
    shown = runner.invoke(app, [*base, "design", "public", design])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == "Bracket, hydraulic line"
    # a hub is not the design's owner; a bad check digit; a design without a record; no service
    stranger = runner.invoke(app, [*base, "design", "publish", design, "--as", "milan"])
    assert stranger.exit_code == 3 and "Traceback" not in stranger.output
    bad = runner.invoke(app, [*base, "design", "publish", design, "--as", "acme",
                              "--gtin", "4006381333932"])  # fmt: skip
    assert bad.exit_code == 1 and "gtin" in bad.output.lower()
    none = runner.invoke(app, [*base, "design", "public", "0x" + "22" * 32])
    assert none.exit_code == 3 and "no public product record" in none.output
    monkeypatch.delenv("PARTLEDGER_SERVICE_URL", raising=False)
    alone = runner.invoke(app, ["design", "public", design])
    assert alone.exit_code == 2 and "--service" in alone.output

    link = runner.invoke(app, [*base, "audit", "sign-in", "--as", "milan"])
    assert link.exit_code == 0, link.output
    url = json.loads(link.stdout)["sign_in_url"]
    assert url.startswith(service_url + "/audit/sign-in#ticket=pl1t.")
