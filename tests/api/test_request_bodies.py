"""Request bodies: 413 naming the limit, 415 for a media type an operation does not take,
and an upload refused when its content is not the kind it declares."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from api.support import Service, container_like

from partledger.crypto import DataKey, EncryptingStream

MiB = 1024 * 1024


def _stored(service: Service) -> set[str]:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    return set(ctx.ledger.store.list())


def _assert_too_large(response: object, limit: int) -> None:
    assert response.status_code == 413, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert body["type"].endswith("/payload-too-large")
    assert body["limit"] == limit
    assert str(limit) in body["detail"]


def test_an_upload_declaring_more_than_its_limit_is_413_naming_the_limit(
    service: Service,
) -> None:
    oem = service.headers(service.world.oem.account)
    before = _stored(service)
    small = service.client.post(
        "/v1/blobs?kind=metadata",
        headers={**oem, "content-type": "application/octet-stream"},
        content=b"x" * (MiB + 70_000),
    )
    _assert_too_large(small, MiB)
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.settings.api_max_upload_bytes = 100_000
    big = service.client.post(
        "/v1/blobs?kind=container",
        headers={**oem, "content-type": "application/octet-stream"},
        content=container_like(100_001),
    )
    _assert_too_large(big, 100_000)
    assert "PARTLEDGER_API_MAX_UPLOAD_BYTES" in big.json()["detail"]
    assert _stored(service) == before


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // (256 * 1024)):
        yield b" " * (256 * 1024)


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/json"}, {"content-type": "text/plain"}, {}],
    ids=["json", "text", "no-content-type"],
)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_oversized_body_is_413_whatever_its_content_type_or_framing(
    service: Service, headers: dict[str, str], framing: str
) -> None:
    hub = service.headers(service.world.hub.account)
    body = b" " * (2 * MiB) if framing == "content-length" else _chunks(2 * MiB)
    response = service.client.post("/v1/prints", headers={**hub, **headers}, content=body)
    _assert_too_large(response, MiB)
    assert "PARTLEDGER_API_MAX_JSON_BYTES" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_json_operation_refuses_other_media_types_with_415(
    service: Service, content_type: str | None
) -> None:
    oem = service.headers(service.world.oem.account)
    headers = {**oem} if content_type is None else {**oem, "content-type": content_type}
    body = b'{"design_id": "0x' + b"ab" * 32 + b'"}'
    response = service.client.post("/v1/licences", headers=headers, content=body)
    assert response.status_code == 415, response.text
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert response.json()["accepted"] == ["application/json"]


def test_a_json_media_type_with_parameters_or_a_json_suffix_is_json(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = service.client.post(
            "/v1/licences", headers={**oem, "content-type": content_type}, content=b"{}"
        )
        assert response.status_code == 422, response.text  # parsed, then found incomplete
        assert response.json()["type"].endswith("/validation")


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("metadata", "application/json"),
        ("container", "text/plain"),
        ("terms", "application/x-www-form-urlencoded"),
        ("report", "application/json"),
    ],
)
def test_a_blob_upload_refuses_other_media_types_with_415(
    service: Service, kind: str, content_type: str
) -> None:
    who = service.world.hub if kind == "report" else service.world.oem
    headers = {**service.headers(who.account), "content-type": content_type}
    before = _stored(service)
    response = service.client.post(
        f"/v1/blobs?kind={kind}", headers=headers, content=container_like(100)
    )
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["type"].endswith("/unsupported-media-type")
    assert body["accepted"] == ["application/octet-stream", "multipart/form-data"]
    assert _stored(service) == before


@pytest.mark.parametrize(
    ("kind", "content", "slug"),
    [
        ("container", b"solid part plaintext, sent by mistake" * 10, "invalid-container"),
        ("container", b"", "invalid-container"),
        ("metadata", b'{"part_number": "PN-1"}', "invalid-container"),
        ("terms", b"PLEDGER", "invalid-container"),
        ("wrapped-key", os.urandom(120), "invalid-wrapped-key"),
    ],
    ids=["plaintext", "empty", "plain-metadata", "truncated-terms", "random-key"],
)
def test_a_blob_whose_content_is_not_its_kind_is_refused_and_not_stored(
    service: Service, kind: str, content: bytes, slug: str
) -> None:
    oem = service.headers(service.world.oem.account)
    before = _stored(service)
    for headers, options in (
        ({"content-type": "application/octet-stream"}, {"content": content}),
        ({}, {"files": {"file": ("blob", content)}}),
    ):
        response = service.client.post(
            f"/v1/blobs?kind={kind}", headers={**oem, **headers}, **options
        )
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("/" + slug)
    assert _stored(service) == before


def test_an_encrypted_container_of_every_container_kind_is_stored(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    container = b"".join(EncryptingStream([b"sealed document"], DataKey.generate()))
    for kind in ("container", "metadata", "terms"):
        response = service.client.post(
            f"/v1/blobs?kind={kind}",
            headers={**oem, "content-type": "application/octet-stream"},
            content=container,
        )
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == kind


def test_plaintext_registration_takes_only_multipart(service: Service) -> None:
    oem = service.headers(service.world.oem.account)
    response = service.client.post(
        "/v1/designs",
        headers={**oem, "content-type": "application/octet-stream"},
        content=b"solid part",
    )
    assert response.status_code == 415, response.text
    assert response.json()["accepted"] == ["multipart/form-data"]


def test_an_undeclared_method_is_405_with_allow(service: Service) -> None:
    for method, path, allowed in (
        ("PUT", "/v1/auth/nonce", "GET"),
        ("DELETE", "/v1/licences", "GET, POST"),
        ("TRACE", "/health", "GET"),
    ):
        response = service.client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert set(response.headers["allow"].split(", ")) >= set(allowed.split(", "))
