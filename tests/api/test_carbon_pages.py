"""Carbon reports a person and a reporting tool can use: ``GET /v1/carbon/scope3``,
``/v1/carbon/esrs-e1`` (JSON, CSV, markdown), ``/v1/carbon/chart.svg|png`` and the signed-in page
``/audit/carbon`` with its CSV exports, over footprints the service's indexer read."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from api.support import METADATA, Service, make_runtime
from api.test_carbon_report import footprint, part
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import World
from partledger.carbon import Footprint
from partledger.sdk import PrintInput

DAY = 86_400


@dataclass
class Reported:
    service: Service
    headers: dict[str, str]
    design: str
    fps: list[Footprint]

    def get(self, path: str, **params: str) -> httpx.Response:
        response = self.service.client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response


def kg(fps: list[Footprint], component: str) -> float:
    """The actual side's ``component`` summed over the footprints."""
    return sum(c.kg_co2e for f in fps for c in f.components if c.name == component)


@pytest.fixture
def reported(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[Reported]:
    runtime = make_runtime(w3, world, api_indexer=True)
    from partledger.api.app import create_app

    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        service = Service(client, world, dev_accounts, True)
        design = world.oem.register_design(world.design_file("cp.stl"), METADATA).design_id
        licence = world.oem.issue_licence(
            design, world.hub.address, max_prints=10, valid_until=world.now() + 90 * DAY
        ).licence_id
        fps = [footprint(4.0), footprint(6.5), footprint(9.0)]
        for i, fp in enumerate(fps):
            world.hub.attest_print(part(licence, f"CP-{i}", world.machine, "L", footprint=fp))
        world.hub.attest_print(PrintInput(licence, "CP-plain", world.machine, "L", b"report"))
        headers = service.headers(world.other_hub.account)
        deadline = time.monotonic() + 20
        while True:
            body = client.get("/v1/carbon/report", params={"design": design}, headers=headers)
            if body.json()["total"]["prints"] == len(fps):
                break
            assert time.monotonic() < deadline, "the service's indexer did not catch up"
            time.sleep(0.1)
        yield Reported(service, headers, design, fps)


def test_scope3_and_esrs_e1_views_sum_the_footprints_in_json_csv_and_markdown(
    reported: Reported,
) -> None:
    fps, design = reported.fps, reported.design
    comp = {
        name: kg(fps, name)
        for name in ("print_electricity", "feedstock_transport", "last_mile_transport")
    }
    scope3 = reported.get("/v1/carbon/scope3", design=design).json()
    lines = {line["category"]: line["kg_co2e"] for line in scope3["lines"]}
    assert scope3["prints"] == 3
    assert lines[1] == pytest.approx(comp["print_electricity"])
    assert lines[4] == pytest.approx(comp["feedstock_transport"] + comp["last_mile_transport"])
    assert scope3["avoided"]["avoided_kg_co2e"] == pytest.approx(
        sum(f.avoided_kg_co2e for f in fps)
    )
    cat9 = reported.get("/v1/carbon/scope3", design=design, last_mile_paid="false").json()
    assert {line["category"] for line in cat9["lines"]} == {1, 4, 9}

    e1 = reported.get("/v1/carbon/esrs-e1", design=design).json()
    assert e1["scope3_covered_t_co2e"] == pytest.approx(sum(comp.values()) / 1000)
    assert [line["t_co2e"] for line in e1["lines"][:2]] == [None, None]  # Scope 1, 2: not ours
    assert "partledger-factors" in e1["factor_set_version"]

    as_csv = reported.get("/v1/carbon/scope3", design=design, format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["inventory"] for r in rows] == ["true", "true", "false"]
    md = reported.get("/v1/carbon/esrs-e1", design=design, format="markdown")
    assert md.headers["content-type"].startswith("text/markdown")
    assert "| Gross Scope 1 GHG emissions | 1 |  | n/a |" in md.text


def test_charts_per_month_and_per_hub_as_svg_and_png(reported: Reported) -> None:
    svg = reported.get("/v1/carbon/chart.svg", design=reported.design, by="hub")
    assert svg.headers["content-type"] == "image/svg+xml"
    text = svg.text
    assert "Avoided CO2e per hub" in text and "(3 prints)" in text
    png = reported.get("/v1/carbon/chart.png", design=reported.design)
    assert png.content.startswith(b"\x89PNG")
    bad = reported.service.client.get(
        "/v1/carbon/chart.svg", params={"by": "design"}, headers=reported.headers
    )
    assert bad.status_code == 422


def test_the_carbon_page_shows_totals_charts_and_both_tables(reported: Reported) -> None:
    fps = reported.fps
    page = reported.get("/audit/carbon", design=reported.design, oem="", hub="", since="")
    html = page.text
    baseline = sum(f.baseline_kg_co2e for f in fps)
    avoided = sum(f.avoided_kg_co2e for f in fps)
    assert f"{baseline / 1000:,.6f} t CO2e" in html
    assert f"{avoided / 1000:,.6f} t CO2e ({100 * avoided / baseline:.1f} % of baseline)" in html
    assert html.count("<svg ") == 2 and "<?xml" not in html
    assert 'role="img" aria-labelledby="chart-month-title chart-month-desc"' in html
    assert '<title id="chart-hub-title">' in html and '<desc id="chart-hub-desc">' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the two inline charts' ids do not collide
    assert 'id="scope3"' in html and 'id="e1"' in html and "not covered" in html
    assert '<a href="/audit/carbon">Carbon</a>' in html  # in the auditor nav
    assert not re.findall(r"""(?:src|href)=["'](?:https?:)?//""", html)  # no external asset

    rows = reported.get("/audit/carbon.csv", design=reported.design).text
    table = list(csv.DictReader(io.StringIO(rows)))
    assert table[-1]["key"] == "total" and int(table[-1]["prints"]) == 3
    for path, first in (
        ("/audit/carbon/scope3.csv", "section"),
        ("/audit/carbon/esrs-e1.csv", "label"),
    ):
        text = reported.get(path, design=reported.design).text
        assert text.startswith(first)
    same = reported.get("/audit/carbon", design=reported.design, format="csv").text
    assert same == rows


def test_the_page_needs_a_sign_in_and_refuses_bad_filters(reported: Reported) -> None:
    client = reported.service.client
    browser = client.get("/audit/carbon", headers={"accept": "text/html"}, follow_redirects=False)
    assert browser.status_code in (302, 303, 307)
    assert browser.headers["location"].startswith("/audit/sign-in?next=%2Faudit%2Fcarbon")
    assert client.get("/audit/carbon.csv").status_code == 401
    assert client.get("/v1/carbon/scope3").status_code == 401
    bad = client.get("/audit/carbon", params={"hub": "0x12"}, headers=reported.headers)
    assert bad.status_code == 422


def test_without_the_index_the_views_answer_503(service: Service) -> None:
    headers = service.headers(service.world.hub.account)
    for path in (
        "/v1/carbon/scope3",
        "/v1/carbon/esrs-e1",
        "/v1/carbon/chart.svg",
        "/audit/carbon",
    ):
        assert service.client.get(path, headers=headers).status_code == 503, path
