"""``GET /v1/carbon/report``: the footprints the service's indexer read from the blob store,
summed per month, hub or design; signed in; 503 without the index; bad input 422."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api.support import METADATA, Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.carbon_prints import part
from helpers.world import World
from partledger.api.app import create_app
from partledger.carbon import (
    Actual,
    Baseline,
    Footprint,
    FootprintCalculator,
    Leg,
    Mode,
    Tier,
    default_factor_set,
)
from partledger.sdk import PrintInput

DAY = 86_400
CALC = FootprintCalculator(default_factor_set())
BASELINE = Baseline(
    design_id="bracket",
    origin="DEHAM",
    legs=(
        Leg(Mode.ROAD, "road.hgv_all_diesel.average_laden", "DEHAM", "ITGOA", 1100.0, Tier.PRIMARY),
    ),
    shipped_mass_kg=3.0,
)


def footprint(kwh: float) -> Footprint:
    van = Leg(Mode.ROAD, "road.van_average_diesel", "ITERO", "ITCIB", 12.0, Tier.PRIMARY)
    return CALC.for_print(
        BASELINE,
        Actual("ITERO", "L-PBF", "316L", kwh, Tier.PRIMARY, 1.0, (van,), (van,), 1.0),
    )


@pytest.fixture
def reported(
    w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> Iterator[tuple[Service, dict[str, str], str, list[Footprint]]]:
    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        service = Service(client, world, dev_accounts, True)
        design = world.oem.register_design(world.design_file("c.stl"), METADATA).design_id
        licence = world.oem.issue_licence(
            design, world.hub.address, max_prints=10, valid_until=world.now() + 90 * DAY
        ).licence_id
        fps = [footprint(5.0), footprint(7.5)]
        for i, fp in enumerate(fps):
            world.hub.attest_print(part(licence, f"C-{i}", world.machine, "L", footprint=fp))
        world.hub.attest_print(PrintInput(licence, "C-plain", world.machine, "L", b"report"))
        index = client.app.state.context.index  # type: ignore[attr-defined]
        head = w3.eth.block_number
        deadline = time.monotonic() + 20
        headers = service.headers(world.other_hub.account)
        while True:
            status = index.status()
            body = client.get("/v1/carbon/report", params={"design": design}, headers=headers)
            if (
                status is not None
                and status.last_block >= head
                and body.json()["total"]["prints"] == len(fps)
            ):
                break
            assert time.monotonic() < deadline, "the service's indexer did not catch up"
            time.sleep(0.1)
        yield service, headers, design, fps


def get(service: Service, headers: dict[str, str], **params: Any) -> Any:
    response = service.client.get("/v1/carbon/report", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_report_sums_the_indexed_footprints_per_group(
    reported: tuple[Service, dict[str, str], str, list[Footprint]],
) -> None:
    service, headers, design, fps = reported
    world = service.world
    body = get(service, headers, design=design)
    assert body["unit"] == "kg CO2e" and body["empty"] is False and body["design"] == design
    [row] = body["rows"]
    assert row["key"] is None and row["prints"] == 2
    assert row["baseline_kg"] == pytest.approx(sum(f.baseline_kg_co2e for f in fps))
    assert row["actual_kg"] == pytest.approx(sum(f.actual_kg_co2e for f in fps))
    assert row["avoided_kg"] == pytest.approx(sum(f.avoided_kg_co2e for f in fps))
    assert body["total"] == row
    by_hub = get(service, headers, oem=world.oem.address, by="hub")
    assert [r["key"] for r in by_hub["rows"]] == [world.hub.address.lower()]
    today = datetime.fromtimestamp(world.now(), UTC).date()
    by_month = get(service, headers, hub=world.hub.address, since=str(today), by="month")
    assert [r["key"] for r in by_month["rows"]] == [today.strftime("%Y-%m")]
    by_design = get(service, headers, by="design", until=str(today))
    assert [r["key"] for r in by_design["rows"]] == [design.lower()]


def test_an_empty_period_is_an_empty_report(
    reported: tuple[Service, dict[str, str], str, list[Footprint]],
) -> None:
    service, headers, design, _ = reported
    tomorrow = datetime.fromtimestamp(service.world.now(), UTC).date() + timedelta(days=1)
    body = get(service, headers, design=design, since=str(tomorrow), by="month")
    assert body["empty"] is True and body["rows"] == [] and body["total"]["prints"] == 0


def test_bad_filters_are_refused_with_422(
    reported: tuple[Service, dict[str, str], str, list[Footprint]],
) -> None:
    service, headers, _, _ = reported
    for params in ({"hub": "0x12"}, {"design": "0xzz"}, {"by": "week"}, {"since": "2026-13-45"}):
        response = service.client.get("/v1/carbon/report", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


def test_without_a_token_401_and_without_the_index_503(service: Service) -> None:
    response = service.client.get("/v1/carbon/report")
    assert response.status_code == 401
    off = service.client.get(
        "/v1/carbon/report", headers=service.headers(service.world.hub.account)
    )
    assert off.status_code == 503 and "index" in off.json()["detail"]
