"""Designs and licences over HTTP: server-side encryption, licensed downloads, access log."""

from __future__ import annotations

import json
import os

from api.support import Service, both_engines, container_like
from sqlalchemy import text

from helpers.world import STANDARD
from partledger.crypto import WrappedKey, unwrap_dek
from partledger.crypto.stream import DecryptingStream
from partledger.sdk.types import to_bytes32

META = json.dumps(
    {"part_number": "PN-1", "revision": "A", "material": "Ti-6Al-4V", "process": "L-PBF"}
)


def register(service: Service, data: bytes) -> dict[str, str]:
    headers = service.headers(service.world.oem.account)
    response = service.client.post(
        "/v1/designs",
        headers=headers,
        files={"file": ("part.stl", data)},
        data={"metadata": META},
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def license_hub(service: Service, design_id: str, max_prints: int = 5) -> str:
    headers = service.headers(service.world.oem.account)
    response = service.client.post(
        "/v1/licences",
        headers=headers,
        json={
            "design_id": design_id,
            "hub": service.world.hub.address,
            "max_prints": max_prints,
            "valid_until": service.world.now() + 86_400,
            "required_standard": STANDARD,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["licence_id"])


@both_engines
def test_a_custodial_oem_registers_a_plaintext_design_and_licenses_a_hub(
    service: Service,
) -> None:
    data = os.urandom(300_000)
    design = register(service, data)
    oem = service.headers(service.world.oem.account)
    got = service.client.get(f"/v1/designs/{design['design_id']}", headers=oem).json()
    assert got["owner"] == service.world.oem.address
    assert got["status"] == "Active"
    listed = service.client.get("/v1/designs", headers=oem).json()
    assert [d["design_id"] for d in listed] == [design["design_id"]]

    licence_id = license_hub(service, design["design_id"])
    hub = service.headers(service.world.hub.account)
    mine = service.client.get("/v1/hub/licences", headers=hub).json()
    assert [(v["licence_id"], v["remaining"]) for v in mine] == [(licence_id, 5)]

    assert hub_download(service, design["design_id"], licence_id) == data


def hub_download(service: Service, design_id: str, licence_id: str) -> bytes:
    """The licensed hub pulls the container and its wrapped key and decrypts the design."""
    hub = service.headers(service.world.hub.account)
    container = service.client.get(f"/v1/hub/licences/{licence_id}/container", headers=hub)
    assert container.status_code == 200, container.text
    key = service.client.get(f"/v1/hub/licences/{licence_id}/key", headers=hub).json()
    wrapped = WrappedKey.from_bytes(bytes.fromhex(key["wrapped_key"][2:]))
    dek = unwrap_dek(
        wrapped,
        service.world.hub.identity.hpke_key,
        design_id=to_bytes32(design_id),
        licence_id=to_bytes32(licence_id),
    )
    return b"".join(DecryptingStream(iter([container.content]), dek))


def test_registering_registered_content_again_is_a_409_problem_naming_the_design(
    service: Service,
) -> None:
    data = os.urandom(200_000)
    design = register(service, data)
    ledger = service.client.app.state.context.ledger  # type: ignore[attr-defined]
    blobs = sorted(ledger.store.list())
    key_blob = ledger.journal.design_key_blob(design["design_id"])

    response = service.client.post(
        "/v1/designs",
        headers=service.headers(service.world.oem.account),
        files={"file": ("same-part.stl", data)},
        data={"metadata": META},
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://partledger.dev/problems/contract/ContentAlreadyRegistered"
    assert problem["arguments"]["designId"] == design["design_id"]
    assert f"already registered as design {design['design_id']}" in problem["detail"]
    assert sorted(ledger.store.list()) == blobs
    assert ledger.journal.design_key_blob(design["design_id"]) == key_blob
    assert ledger.journal.pending() == []
    spool = service.world.data_dir / "data" / "api" / "spool"
    assert not any(spool.iterdir())

    licence_id = license_hub(service, design["design_id"])
    assert hub_download(service, design["design_id"], licence_id) == data


@both_engines
def test_the_access_log_records_every_release_and_detects_tampering(service: Service) -> None:
    design = register(service, os.urandom(10_000))
    licence_id = license_hub(service, design["design_id"])
    hub = service.headers(service.world.hub.account)
    service.client.get(f"/v1/hub/licences/{licence_id}/container", headers=hub)
    service.client.get(f"/v1/hub/licences/{licence_id}/key", headers=hub)
    seen_by_oem = service.client.get(
        "/v1/access-log", headers=service.headers(service.world.oem.account)
    ).json()
    assert [e["action"] for e in seen_by_oem] == ["container", "key"]
    assert all(e["hub"] == service.world.hub.address for e in seen_by_oem)
    other = service.headers(service.world.other_hub.account)
    assert service.client.get("/v1/access-log", headers=other).json() == []
    assert service.client.get("/v1/access-log/verify", headers=hub).json()["ok"] is True

    engine = service.client.app.state.context.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE access_log SET bytes = 1 WHERE seq = 1")
    check = service.client.get("/v1/access-log/verify", headers=hub).json()
    assert check == {**check, "ok": False, "first_broken_seq": 1}


@both_engines
def test_cutting_entries_off_the_end_is_caught_by_the_on_chain_anchor(service: Service) -> None:
    from partledger.api.services.access_log import anchor_calldata

    design = register(service, os.urandom(10_000))
    licence_id = license_hub(service, design["design_id"])
    hub = service.headers(service.world.hub.account)
    for _ in range(3):
        service.client.get(f"/v1/hub/licences/{licence_id}/key", headers=hub)
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    sender = ctx.anchoring()
    assert sender is not None  # anvil account 8 on the local chain
    anchor = ctx.access.anchor(sender)
    assert anchor is not None and anchor.seq == 3
    assert ctx.access.anchor(sender) is None  # nothing new: no transaction
    tx = service.world.ledger.w3.eth.get_transaction(anchor.tx_hash)
    assert bytes(tx["input"]) == anchor_calldata(3, anchor.head_hash)
    check = service.client.get("/v1/access-log/verify", headers=hub).json()
    assert check["ok"] is True and check["anchored_seq"] == 3

    with ctx.engine.begin() as conn:  # a consistent chain, minus its last entry
        conn.exec_driver_sql("DELETE FROM access_log WHERE seq = 3")
    check = service.client.get("/v1/access-log/verify", headers=hub).json()
    assert check == {**check, "ok": False, "first_broken_seq": 3, "entries": 2}

    with ctx.engine.begin() as conn:  # the anchor row itself rewritten to match the cut
        head = conn.exec_driver_sql("SELECT entry_hash FROM access_log WHERE seq = 2").scalar()
        conn.execute(
            text("UPDATE access_anchors SET seq = 2, head_hash = :head WHERE seq = 3"),
            {"head": head},
        )
    check = service.client.get("/v1/access-log/verify", headers=hub).json()
    assert check == {**check, "ok": False, "first_broken_seq": 2}  # the chain tx disagrees


def test_another_hub_and_another_oem_are_forbidden(service: Service) -> None:
    design = register(service, os.urandom(10_000))
    licence_id = license_hub(service, design["design_id"])
    other_hub = service.headers(service.world.other_hub.account)
    for path in (
        f"/v1/hub/licences/{licence_id}/container",
        f"/v1/hub/licences/{licence_id}/key",
        f"/v1/licences/{licence_id}",
        f"/v1/designs/{design['design_id']}",
    ):
        response = service.client.get(path, headers=other_hub)
        assert response.status_code == 403, path
        assert response.headers["content-type"] == "application/problem+json"
    certifier = service.headers(service.world.certifier.account)
    assert service.client.get("/v1/designs", headers=certifier).status_code == 403
    suspend = service.client.post(f"/v1/licences/{licence_id}/suspend", headers=other_hub, json={})
    assert suspend.status_code == 403


def test_a_suspended_licence_gets_no_download(service: Service) -> None:
    design = register(service, os.urandom(10_000))
    licence_id = license_hub(service, design["design_id"])
    oem = service.headers(service.world.oem.account)
    response = service.client.post(
        f"/v1/licences/{licence_id}/suspend", headers=oem, json={"reason": "audit"}
    )
    assert response.status_code == 200, response.text
    hub = service.headers(service.world.hub.account)
    refused = service.client.get(f"/v1/hub/licences/{licence_id}/container", headers=hub)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/licence-not-usable")
    assert "Suspended" in refused.json()["detail"]


def test_contract_errors_become_named_problems(service: Service) -> None:
    design = register(service, os.urandom(10_000))
    licence_id = license_hub(service, design["design_id"])
    oem = service.headers(service.world.oem.account)
    service.client.post(f"/v1/licences/{licence_id}/revoke", headers=oem, json={})
    again = service.client.post(f"/v1/licences/{licence_id}/resume", headers=oem, json={})
    assert again.status_code in (403, 409)
    assert "/contract/" in again.json()["type"]
    assert again.json()["error"] == again.json()["type"].rsplit("/", 1)[1]


def test_unknown_ids_are_404(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    hub = service.headers(service.world.hub.account)
    missing = "0x" + "ab" * 32
    assert service.client.get(f"/v1/designs/{missing}", headers=oem).status_code == 404
    assert service.client.get(f"/v1/licences/{missing}", headers=oem).status_code == 404
    assert service.client.get(f"/v1/hub/licences/{missing}/key", headers=hub).status_code == 404


def test_malformed_bodies_are_422(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    bad_json = service.client.post(
        "/v1/licences", headers={**oem, "content-type": "application/json"}, content=b"{nope"
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["type"].endswith("/validation")
    bad_multipart = service.client.post(
        "/v1/designs",
        headers={**oem, "content-type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nnot a header\r\n",
    )
    assert bad_multipart.status_code == 422
    no_metadata = service.client.post("/v1/designs", headers=oem, files={"file": ("a", b"x")})
    assert no_metadata.status_code == 422


def test_oversized_uploads_are_413_and_leave_no_blob(service: Service) -> None:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.settings.api_max_upload_bytes = 100_000
    before = set(ctx.ledger.store.list())
    oem = service.headers(service.world.oem.account)
    response = service.client.post(
        "/v1/blobs?kind=container",
        headers={**oem, "content-type": "application/octet-stream"},
        content=iter([container_like(64_000) for _ in range(3)]),
    )
    assert response.status_code == 413
    assert set(ctx.ledger.store.list()) == before
    big_json = service.client.post(
        "/v1/licences", headers={**oem, "content-type": "application/json"}, content=b" " * 2**21
    )
    assert big_json.status_code == 413


def test_an_oem_uploads_a_client_side_encrypted_container(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    data = container_like(200_000)
    response = service.client.post(
        "/v1/blobs?kind=container", headers=oem, files={"file": ("c.plc", data)}
    )
    assert response.status_code == 201
    import hashlib

    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    hub = service.headers(service.world.hub.account)
    assert (
        service.client.post("/v1/blobs?kind=container", headers=hub, content=b"x").status_code
        == 403
    )
