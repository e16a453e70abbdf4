"""PACT v3 host API on an app with only the PACT router: auth flow, list/get, events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpers.carbon_rows import Row
from partledger.api.routers import pact as pact_router
from partledger.carbon.pact import Company, ProductRecord, product_footprint

CLIENT_ID = "buyer-1"
SECRET = "s3cret:with-colon"


def _pf(design: str, gtin: str | None, country: str, quarter: int) -> dict[str, Any]:
    start = datetime(2026, 3 * quarter - 2, 1, tzinfo=UTC)
    end = datetime(2026, 3 * quarter + 1, 1, tzinfo=UTC)
    return product_footprint(
        design_id=design,
        product=ProductRecord(design.title(), design.upper(), 1.0, gtin=gtin),
        company=Company("Acme", ("urn:pact:acme.example:company-id:1",), "acme.example"),
        period_start=start,
        period_end=end,
        total=Row(design, 2, 10.0, 4.0, 6.0, 10.0, 2.0, 1.0, 1.0),
        ipcc_characterization_factors=["AR5"],
        fossil_carbon_content_kg=0.0,
        exempted_emissions_percent=0.0,
        factor_set_version="partledger-factors 2026.1",
        geography_country=country,
        created=datetime(2026, 7, 2, tzinfo=UTC),
    )


FOOTPRINTS = [
    _pf("impeller", "4006381333931", "BR", 1),
    _pf("bracket", None, "DE", 1),
    _pf("housing", None, "SG", 2),
]


class ListSource:
    def footprints(self) -> list[dict[str, Any]]:
        return FOOTPRINTS


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(pact_router.CLIENT_ID_ENV, CLIENT_ID)
    monkeypatch.setenv(pact_router.CLIENT_SECRET_ENV, SECRET)
    app = FastAPI()
    app.include_router(pact_router.router)
    app.state.pact_source = ListSource()
    with TestClient(app, base_url="https://pact.example") as test_client:
        yield test_client


def _token(client: TestClient) -> str:
    response = client.post(
        "/auth/token", auth=(CLIENT_ID, SECRET), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    return str(body["access_token"])


def _bearer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(client)}"}


def test_client_credentials_with_basic_auth_give_a_bearer_token(client: TestClient) -> None:
    assert len(_token(client)) > 20


def test_form_credentials_are_accepted_too(client: TestClient) -> None:
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET},
    )
    assert response.status_code == 200


def test_wrong_secret_is_401_invalid_client(client: TestClient) -> None:
    response = client.post(
        "/auth/token", auth=(CLIENT_ID, "nope"), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Authentication failed",
    }
    assert response.headers["www-authenticate"].startswith("Basic")
    assert client.post("/auth/token", data={"grant_type": "client_credentials"}).status_code == 401
    garbage = client.post("/auth/token", headers={"Authorization": "Basic !!!"},
                          data={"grant_type": "client_credentials"})  # fmt: skip
    assert garbage.status_code == 401


def test_other_grant_types_are_400(client: TestClient) -> None:
    response = client.post("/auth/token", auth=(CLIENT_ID, SECRET), data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    missing = client.post("/auth/token", auth=(CLIENT_ID, SECRET), data={})
    assert missing.json()["error"] == "invalid_request"


def test_missing_and_unknown_tokens_are_401_with_a_pact_error(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer forged"}):
        response = client.get("/3/footprints", headers=headers)
        assert response.status_code == 401, headers
        assert set(response.json()) == {"code", "message"}
        assert response.json()["code"] == "AccessDenied"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_token_expired(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = _bearer(client)
    assert client.get("/3/footprints", headers=headers).status_code == 200
    later = pact_router._now() + pact_router.TOKEN_TTL_SECONDS + 1
    monkeypatch.setattr(pact_router, "_now", lambda: later)
    response = client.get("/3/footprints", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "TokenExpired"


def test_list_returns_every_footprint_in_a_data_array(client: TestClient) -> None:
    response = client.get("/3/footprints", headers=_bearer(client))
    assert response.status_code == 200
    assert [pf["id"] for pf in response.json()["data"]] == [pf["id"] for pf in FOOTPRINTS]
    assert "link" not in response.headers


def test_list_paginates_with_an_absolute_next_link_on_the_request_host(
    client: TestClient,
) -> None:
    headers = _bearer(client)
    first = client.get("/3/footprints?limit=2", headers=headers)
    assert len(first.json()["data"]) == 2
    match = re.fullmatch(r'<(.+)>; rel="next"', first.headers["link"])
    assert match is not None
    url = match.group(1)
    assert url.startswith("https://pact.example/3/footprints?")
    second = client.get(url, headers=headers)
    assert [pf["id"] for pf in second.json()["data"]] == [FOOTPRINTS[2]["id"]]
    assert "link" not in second.headers
    again = client.get(url, headers=headers)  # a pagination link can be called again
    assert again.json() == second.json()


def test_list_filters_or_within_and_across_criteria_case_insensitively(
    client: TestClient,
) -> None:
    headers = _bearer(client)

    def ids(query: str) -> list[str]:
        response = client.get(f"/3/footprints?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [pf["id"] for pf in response.json()["data"]]

    assert ids("geography=br&geography=SG") == [FOOTPRINTS[0]["id"], FOOTPRINTS[2]["id"]]
    assert ids("productid=URN:GTIN:4006381333931") == [FOOTPRINTS[0]["id"]]
    assert ids("geography=DE&productId=urn:gtin:4006381333931") == []
    assert ids("status=active") == [pf["id"] for pf in FOOTPRINTS]
    assert ids("status=Deprecated") == []
    # validity: 3 years from referencePeriodEnd (2026-04-01 for Q1, 2026-07-01 for Q2)
    assert ids("validOn=2026-05-01T00:00:00Z") == [FOOTPRINTS[0]["id"], FOOTPRINTS[1]["id"]]
    assert ids("validAfter=2026-05-01T00:00:00Z") == [FOOTPRINTS[2]["id"]]
    assert ids("validBefore=2029-05-01T00:00:00Z") == [FOOTPRINTS[0]["id"], FOOTPRINTS[1]["id"]]
    assert ids("x-acme-anything=1") == [pf["id"] for pf in FOOTPRINTS]


@pytest.mark.parametrize("query", ["limit=-1", "limit=ten", "status=Draft", "validOn=yesterday"])
def test_bad_list_parameters_are_400_bad_request(client: TestClient, query: str) -> None:
    response = client.get(f"/3/footprints?{query}", headers=_bearer(client))
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_get_returns_one_footprint_and_404_for_an_unknown_id(client: TestClient) -> None:
    headers = _bearer(client)
    wanted = FOOTPRINTS[1]["id"]
    response = client.get(f"/3/footprints/{wanted.upper()}", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"data": FOOTPRINTS[1]}
    unknown = client.get("/3/footprints/00000000-0000-4000-8000-000000000000", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json() == {
        "code": "NotFound",
        "message": "The requested footprint could not be found.",
    }
    assert client.get("/3/footprints/not-a-uuid", headers=headers).status_code == 400
    assert client.get(f"/3/footprints/{wanted}").status_code == 401


def _event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": f"org.wbcsd.pact.ProductFootprint.{kind}.3",
        "specversion": "1.0",
        "id": "1934405d-4f9b-4b3b-9c05bc35-68f8",
        "source": "//buyer.example/3/events",
        "time": "2026-07-05T17:31:00Z",
        "data": data,
    }


GOOD_EVENTS = [
    _event("RequestCreatedEvent", {"productId": ["urn:gtin:4006381333931"], "geography": ["BR"]}),
    _event("PublishedEvent", {"pfIds": [FOOTPRINTS[0]["id"]]}),
    _event("RequestFulfilledEvent", {"requestEventId": "r-1", "pfs": [FOOTPRINTS[0]]}),
    _event("RequestRejectedEvent",
           {"requestEventId": "r-1", "error": {"code": "NotFound", "message": "none"}}),
]  # fmt: skip


def test_events_of_the_four_v3_types_are_accepted_with_an_empty_200(client: TestClient) -> None:
    headers = {**_bearer(client), "Content-Type": "application/cloudevents+json; charset=UTF-8"}
    for event in GOOD_EVENTS:
        response = client.post("/3/events", json=event, headers=headers)
        assert response.status_code == 200, response.text
        assert response.content == b""
    received = client.app.state.pact_events  # type: ignore[attr-defined]
    assert [e["type"] for e in received] == [e["type"] for e in GOOD_EVENTS]


@pytest.mark.parametrize(
    "event",
    [
        {**GOOD_EVENTS[1], "type": "org.wbcsd.pathfinder.ProductFootprint.Published.v1"},
        {k: v for k, v in GOOD_EVENTS[1].items() if k != "source"},
        {**GOOD_EVENTS[1], "time": "yesterday"},
        _event("PublishedEvent", {"pfIds": ["nope"]}),
        _event("RequestFulfilledEvent", {"requestEventId": "r-1", "pfs": []}),
        _event("RequestFulfilledEvent", {"requestEventId": "r-1", "pfs": [{"id": "x"}]}),
        _event("RequestRejectedEvent", {"requestEventId": "r-1"}),
        [1, 2],
    ],
)
def test_invalid_events_are_400_bad_request(client: TestClient, event: object) -> None:
    headers = {**_bearer(client), "Content-Type": "application/cloudevents+json"}
    response = client.post("/3/events", json=event, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_events_need_a_token(client: TestClient) -> None:
    response = client.post("/3/events", json=GOOD_EVENTS[1])
    assert response.status_code == 401


def test_every_route_is_404_while_the_pact_credentials_are_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(pact_router.CLIENT_ID_ENV, raising=False)
    monkeypatch.setenv(pact_router.CLIENT_SECRET_ENV, SECRET)  # one of two is not enough
    app = FastAPI()
    app.include_router(pact_router.router)
    with TestClient(app) as client:
        token = client.post("/auth/token", auth=(CLIENT_ID, SECRET),
                            data={"grant_type": "client_credentials"})  # fmt: skip
        assert token.status_code == 404
        assert client.get("/3/footprints").status_code == 404
        assert client.get(f"/3/footprints/{FOOTPRINTS[0]['id']}").status_code == 404
        assert client.post("/3/events", json=GOOD_EVENTS[1]).status_code == 404
