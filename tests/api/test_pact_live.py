"""The PACT v3 host API live on the service: footprints come from the service's index (prints
with attested footprints) and the designs' public product records; a PACT client authenticates
with client credentials, lists and fetches the design's ProductFootprint, whose per-piece
figures are the attested footprints' sums divided by the prints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from api.support import METADATA, Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sdk.test_footprint_claims import air_baseline, singapore
from web3 import Web3

from helpers.world import World, identity
from partledger.api.app import create_app
from partledger.api.routers import pact as pact_router
from partledger.api.services.carbon_pact import ENV
from partledger.carbon import Footprint
from partledger.carbon.pact import footprint_id, validate_product_footprint
from partledger.sdk import Hub, PrintInput
from partledger.sdk.admin import Role

DAY = 86_400
CLIENT_ID, SECRET = "buyer-7", "pact-secret"
GTIN = "04006381333931"
MASS_KG = 0.85


def _kg(fps: list[Footprint], component: str) -> float:
    return sum(c.kg_co2e for f in fps for c in f.components if c.name == component)


def _wait_for(service: Service, design: str, prints: int) -> None:
    headers = service.headers(service.world.other_hub.account)
    deadline = time.monotonic() + 20
    while True:
        body = service.client.get("/v1/carbon/report", params={"design": design}, headers=headers)
        assert body.status_code == 200, body.text
        if body.json()["total"]["prints"] == prints:
            return
        assert time.monotonic() < deadline, "the service's indexer did not catch up"
        time.sleep(0.1)


@pytest.fixture
def pact_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pact_router.CLIENT_ID_ENV, CLIENT_ID)
    monkeypatch.setenv(pact_router.CLIENT_SECRET_ENV, SECRET)
    monkeypatch.setenv(ENV["company_name"], "Acme Spare Parts")
    monkeypatch.setenv(ENV["company_ids"], "urn:pact:acme.example:company-id:4711")
    monkeypatch.setenv(ENV["exempted"], "60")
    monkeypatch.setenv(ENV["masses"], f"{GTIN}={MASS_KG}")


@pytest.fixture
def service(
    pact_env: None, w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> Iterator[Service]:
    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app, base_url="http://testserver") as client:
        yield Service(client, world, dev_accounts, True)


def _pact_token(client: TestClient) -> dict[str, str]:
    response = client.post(
        "/auth/token", auth=(CLIENT_ID, SECRET), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_a_pact_client_gets_the_designs_footprint_from_the_indexed_prints(
    service: Service, world: World, dev_accounts: list[LocalAccount]
) -> None:
    hub = Hub(world.ledger, identity("hub-jurong", dev_accounts[6]))
    world.admin.grant(Role.HUB, hub.address)
    hub.register("Jurong micro-factory", "SGJUR")
    machine = hub.register_machine("EOS", "M 400", "SN-SG-1")
    designs = []
    for name in ("impeller.stl", "unweighed.stl"):
        design = world.oem.register_design(world.design_file(name, size=3_000), METADATA).design_id
        declared = world.oem.declare_baseline(design, air_baseline(design))
        licence = world.oem.issue_licence(
            design, hub.address, max_prints=20, valid_until=world.now() + DAY,
            terms={"carbon_baseline": declared.blob_id},
        ).licence_id  # fmt: skip
        designs.append((design, licence))
    (design, licence), (unweighed, other_licence) = designs
    oem = service.headers(world.oem.account)
    public = {"gtin": GTIN, "name": "Impeller 40 mm", "part_number": "IMP-40"}
    put = service.client.put(f"/v1/designs/{design}/public", headers=oem, json=public)
    assert put.status_code == 200, put.text

    carbons = [hub.print_footprint(licence, singapore(kwh)) for kwh in (9.0, 12.5, 7.0)]
    hub.attest_print(PrintInput(licence, "PACT-1", machine, "L1", b"QA ok", carbons[0]))
    hub.anchor_batch(
        [PrintInput(licence, f"PACT-{i}", machine, "L2", None, c) for i, c in ((2, carbons[1]),
                                                                             (3, carbons[2]))]
    )  # fmt: skip
    other = hub.print_footprint(other_licence, singapore())
    hub.attest_print(PrintInput(other_licence, "OTHER-1", machine, "L1", None, other))
    _wait_for(service, design, 3)
    _wait_for(service, unweighed, 1)

    client = service.client
    assert client.get("/3/footprints").status_code == 401
    headers = _pact_token(client)
    listed = client.get("/3/footprints", headers=headers)
    assert listed.status_code == 200, listed.text
    data: list[dict[str, Any]] = listed.json()["data"]
    mine = [pf for pf in data if f"urn:gtin:{GTIN}" in pf["productIds"]]
    assert len(mine) == 1, data
    assert not [pf for pf in data if any(unweighed in i for i in pf["productIds"])]  # no mass
    pf = mine[0]
    assert validate_product_footprint(pf) == []

    fps = [c.footprint for c in carbons]
    per_piece = (_kg(fps, "print_electricity") + _kg(fps, "feedstock_transport")) / 3
    pcf = pf["pcf"]
    assert float(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(per_piece, abs=1e-9)
    assert float(pcf["fossilGhgEmissions"]) == pytest.approx(per_piece, abs=1e-9)
    assert float(pcf["outboundLogisticsGhgEmissions"]) == pytest.approx(
        _kg(fps, "last_mile_transport") / 3, abs=1e-9
    )
    assert (
        pcf["productMassPerDeclaredUnit"] == "0.85" and pcf["declaredUnitOfMeasurement"] == "piece"
    )
    assert pcf["exemptedEmissionsPercent"] == "60"
    year = datetime.fromtimestamp(world.now(), UTC).year
    start = datetime(year, 1, 1, tzinfo=UTC)
    assert pcf["referencePeriodStart"] == f"{year}-01-01T00:00:00Z"
    end = datetime.fromisoformat(pcf["referencePeriodEnd"].replace("Z", "+00:00"))
    assert pf["id"] == footprint_id(design, start, end)
    assert pf["companyName"] == "Acme Spare Parts"
    assert pf["companyIds"] == ["urn:pact:acme.example:company-id:4711"]
    assert pf["productIds"] == [
        f"urn:gtin:{GTIN}",
        "urn:pact:acme.example:supplier-id:IMP-40",
        f"urn:pact:acme.example:design-id:{design}",
    ]
    assert pf["productNameCompany"] == "Impeller 40 mm"
    assert "3 attested prints" in pf["comment"] and "partledger-factors" in pf["comment"]

    one = client.get(f"/3/footprints/{pf['id']}", headers=headers)
    assert one.status_code == 200
    got = one.json()["data"]
    assert {k: v for k, v in got.items() if k != "created"} == {
        k: v for k, v in pf.items() if k != "created"
    }
    assert validate_product_footprint(got) == []
    filtered = client.get(
        "/3/footprints", params={"productId": f"urn:gtin:{GTIN}"}, headers=headers
    ).json()["data"]
    assert [f["id"] for f in filtered] == [pf["id"]]
    assert client.get(f"/3/footprints/{footprint_id(design, start, start.replace(year=year + 5))}",
                      headers=headers).status_code == 404  # fmt: skip


def test_without_the_company_settings_pact_stays_disabled(
    monkeypatch: pytest.MonkeyPatch, w3: Web3, world: World, dev_accounts: list[LocalAccount],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setenv(pact_router.CLIENT_ID_ENV, CLIENT_ID)
    monkeypatch.setenv(pact_router.CLIENT_SECRET_ENV, SECRET)
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    runtime = make_runtime(w3, world, api_indexer=True)
    with caplog.at_level("WARNING"):
        app = create_app(runtime, relayer=dev_accounts[9], background=False)
    assert "PACT exchange disabled: PARTLEDGER_PACT_COMPANY_NAME" in caplog.text
    with TestClient(app) as client:
        response = client.post(
            "/auth/token", auth=(CLIENT_ID, SECRET), data={"grant_type": "client_credentials"}
        )
        assert response.status_code == 404
        assert client.get("/3/footprints").status_code == 404
