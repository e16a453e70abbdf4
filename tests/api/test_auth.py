"""Sign-In with Ethereum: nonces are single use; domain, chain id and expiry are checked."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from api.support import Service, both_engines, make_runtime
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import ValidationError
from web3 import Web3

from helpers.world import World
from partledger.api.app import create_app
from partledger.config import Settings
from partledger.sdk.remote import ServiceClient, ServiceError
from partledger.siwe import format_time, parse


@both_engines
def test_sign_in_returns_a_token_and_the_roles_the_chain_gives(service: Service) -> None:
    oem = service.world.oem.account
    body = service.sign_in(oem).json()
    assert body["address"] == oem.address
    assert body["roles"] == ["oem"]
    me = service.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    assert me == {"address": oem.address, "roles": ["oem"], "custodial": True}


@both_engines
def test_a_replayed_siwe_message_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    message = service.message(hub)
    assert service.sign_in(hub, message).status_code == 200
    replay = service.sign_in(hub, message)
    assert replay.status_code == 401
    assert replay.json()["type"].endswith("/siwe-rejected")
    assert "nonce" in replay.json()["detail"]


def test_a_message_for_another_chain_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    response = service.sign_in(hub, service.message(hub, chain_id=1))
    assert response.status_code == 401
    assert "chain 1" in response.json()["detail"]


def test_a_message_for_another_domain_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    response = service.sign_in(hub, service.message(hub, domain="evil.example"))
    assert response.status_code == 401


def test_an_expired_message_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    past = datetime.now(UTC) - timedelta(minutes=1)
    response = service.sign_in(
        hub, service.message(hub, issued_at=format_time(past), expiration_time=format_time(past))
    )
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_signature_by_another_key_is_refused(service: Service) -> None:
    hub, other = service.world.hub.account, service.world.other_hub.account
    message = service.message(hub)
    response = service.sign_in(other, message)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


def test_a_non_canonical_message_is_malformed(service: Service) -> None:
    hub = service.world.hub.account
    message = service.message(hub).replace(hub.address, hub.address.lower())
    response = service.sign_in(hub, message)
    assert response.status_code == 401
    assert "malformed" in response.json()["detail"]


def test_requests_without_a_token_get_401_problem(service: Service) -> None:
    response = service.client.get("/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@both_engines
def test_an_expired_token_is_refused(service: Service) -> None:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.auth.token_ttl = 1
    headers = service.headers(service.world.oem.account)
    time.sleep(1.1)
    response = service.client.get("/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/invalid-token")


def test_a_forged_token_is_refused(service: Service, dev_accounts: list[LocalAccount]) -> None:
    headers = service.headers(service.world.oem.account)
    token = headers["Authorization"][:-4] + "AAAA"
    response = service.client.get("/v1/auth/me", headers={"Authorization": token})
    assert response.status_code == 401


def test_messages_round_trip_exactly_as_the_reference_library_prints_them() -> None:
    text = (
        "service.org wants you to sign in with your Ethereum account:\n"
        "0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946\n\n"
        "I accept the ServiceOrg Terms of Service: https://service.org/tos\n\n"
        "URI: https://service.org/login\nVersion: 1\nChain ID: 1\nNonce: 32891757\n"
        "Issued At: 2021-09-30T16:25:24.000Z\n"
        "Resources:\n- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n"
        "- https://example.com/my-web2-claim.json"
    )
    message = parse(text)
    assert message.nonce == "32891757"
    assert len(message.resources) == 2
    assert message.to_text() == text


# -- binding to the service's origin (a phishing site must not harvest sign-ins) ----------
def test_a_message_signed_for_the_domain_in_the_host_header_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    message = service.message(hub, domain="evil.example", uri="https://evil.example/login")
    signature = hub.sign_message(encode_defunct(text=message)).signature
    response = service.client.post(
        "/v1/auth/token",
        json={"message": message, "signature": "0x" + bytes(signature).hex()},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 401, response.text
    assert response.json()["type"].endswith("/siwe-rejected")
    assert "evil.example" in response.json()["detail"]
    assert "testserver" in response.json()["detail"]  # names the domain it expects


def test_a_message_for_this_domain_with_a_foreign_uri_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    response = service.sign_in(hub, service.message(hub, uri="https://evil.example/login"))
    assert response.status_code == 401, response.text
    assert response.json()["type"].endswith("/siwe-rejected")
    assert "https://evil.example/login" in response.json()["detail"]


@pytest.mark.parametrize(
    "uri",
    [
        "https://testserver/v1/auth/token",  # another scheme: another origin
        "http://testserver:8080/v1/auth/token",
        "http://testserver@evil.example/v1/auth/token",
        "urn:partledger:login",
    ],
)
def test_a_uri_on_another_origin_is_refused(service: Service, uri: str) -> None:
    hub = service.world.hub.account
    response = service.sign_in(hub, service.message(hub, uri=uri))
    assert response.status_code == 401, response.text
    assert response.json()["type"].endswith("/siwe-rejected")


def test_a_message_whose_header_names_another_scheme_is_refused(service: Service) -> None:
    hub = service.world.hub.account
    response = service.sign_in(hub, service.message(hub, scheme="https"))
    assert response.status_code == 401, response.text
    assert service.sign_in(hub, service.message(hub, scheme="http")).status_code == 200


def test_the_binding_comes_from_the_configured_origin_never_from_the_host_header(
    w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> None:
    runtime = make_runtime(w3, world, api_origin="https://ledger.example.org")
    app = create_app(runtime, relayer=dev_accounts[9], background=False)
    with TestClient(app) as client:  # requests carry Host: testserver
        service = Service(client, world, dev_accounts, False)
        hub = world.hub.account
        good = service.message(
            hub, domain="ledger.example.org", uri="https://ledger.example.org/login"
        )
        assert service.sign_in(hub, good).status_code == 200
        assert service.sign_in(hub, service.message(hub)).status_code == 401  # testserver
        sdk = ServiceClient(
            "https://ledger.example.org", hub, chain_id=31337, http=cast(Any, client)
        )
        sdk.login()  # signs for the origin it was given, whatever the transport's host


def test_the_default_origin_is_the_host_and_port_the_service_is_configured_to_serve() -> None:
    settings = Settings(api_host="127.0.0.1", api_port=9000)
    assert settings.api_siwe_domain == "127.0.0.1:9000"
    assert settings.api_siwe_origins == ("http://127.0.0.1:9000",)
    ipv6 = Settings(api_host="::1", api_port=9000)
    assert ipv6.api_siwe_domain == "[::1]:9000"
    behind_proxy = Settings(api_origin="HTTPS://Ledger.Example.org:443/")
    assert behind_proxy.api_siwe_domain == "ledger.example.org"
    assert behind_proxy.api_siwe_origins == ("https://ledger.example.org",)
    named = Settings(api_domain="ledger.example.org")
    assert named.api_siwe_domain == "ledger.example.org"
    assert named.api_siwe_origins == ("https://ledger.example.org", "http://ledger.example.org")


@pytest.mark.parametrize(
    "origin", ["ftp://ledger.example.org", "https://ledger.example.org/api", "ledger.example.org"]
)
def test_an_origin_that_is_not_an_http_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError):
        Settings(api_origin=origin)


def test_the_sdk_signs_for_the_origin_it_talks_to() -> None:
    signed: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/nonce"):
            return httpx.Response(200, json={"nonce": "abcdef0123456789", "expires_in": 300})
        signed.append(json.loads(request.content)["message"])
        return httpx.Response(401, json={"title": "refused"})

    account = Account.create()
    url = "https://Ledger.Example.org:8443/partledger"
    http = httpx.Client(base_url=url, transport=httpx.MockTransport(answer))
    with pytest.raises(ServiceError):
        ServiceClient(url, account, chain_id=1, http=http).login()
    message = parse(signed[0])
    assert message.domain == "ledger.example.org:8443"
    assert message.uri == "https://Ledger.Example.org:8443/partledger/v1/auth/token"
    http = httpx.Client(
        base_url="https://ledger.example.org:443", transport=httpx.MockTransport(answer)
    )
    with pytest.raises(ServiceError):
        ServiceClient("https://ledger.example.org:443", account, chain_id=1, http=http).login()
    assert parse(signed[1]).domain == "ledger.example.org"
    with pytest.raises(ValueError, match="absolute"):
        ServiceClient("/partledger", account, chain_id=1, http=http).login()
