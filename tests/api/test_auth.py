"""Sign-In with Ethereum: nonces are single use; domain, chain id and expiry are checked."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from api.support import Service
from eth_account.signers.local import LocalAccount

from partledger.siwe import format_time, parse


def test_sign_in_returns_a_token_and_the_roles_the_chain_gives(service: Service) -> None:
    oem = service.world.oem.account
    body = service.sign_in(oem).json()
    assert body["address"] == oem.address
    assert body["roles"] == ["oem"]
    me = service.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    assert me == {"address": oem.address, "roles": ["oem"], "custodial": True}


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
