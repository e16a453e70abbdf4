"""POST /v1/blobs with ``X-Content-SHA256``: the blob is stored only if its bytes hash to the
declared value (422 naming both hashes otherwise, nothing stored), on the filesystem store and
on an S3 bucket (where it is written in place); the SDK sends the header when told the hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from api.support import Service, container_like, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import World
from partledger.api.app import create_app
from partledger.sdk.remote import ServiceClient, ServiceError
from partledger.storage import S3BlobStore

MiB = 1024 * 1024


@pytest.fixture(params=["filesystem", "s3"])
def hashed_service(
    request: pytest.FixtureRequest, w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> Iterator[Service]:
    settings: dict[str, str] = {}
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        settings["blob_url"] = f"s3://{bucket}/svc"
    app = create_app(make_runtime(w3, world, **settings), relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield Service(client, world, dev_accounts, True)


def _stored(service: Service) -> set[str]:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    return set(ctx.ledger.store.list())


def _post(service: Service, content: bytes, sha256: str | None, kind: str = "container") -> object:
    headers = {
        **service.headers(service.world.oem.account),
        "content-type": "application/octet-stream",
    }
    if sha256 is not None:
        headers["X-Content-SHA256"] = sha256
    return service.client.post(f"/v1/blobs?kind={kind}", headers=headers, content=content)


@pytest.mark.parametrize("size", [1000, 9 * MiB], ids=["small", "multipart"])
def test_a_blob_with_its_right_hash_is_stored_201(hashed_service: Service, size: int) -> None:
    container = container_like(size)
    sha = hashlib.sha256(container).hexdigest()
    response = _post(hashed_service, container, sha)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    assert response.json() == {  # type: ignore[attr-defined]
        "sha256": sha,
        "size": len(container),
        "kind": "container",
    }
    assert _stored(hashed_service) == {sha}
    ctx = hashed_service.client.app.state.context  # type: ignore[attr-defined]
    with ctx.ledger.store.open(sha) as blob:
        assert blob.read() == container
    again = _post(hashed_service, container, "0x" + sha.upper())  # 0x and upper case: same id
    assert again.status_code == 201, again.text  # type: ignore[attr-defined]
    assert _stored(hashed_service) == {sha}
    if isinstance(ctx.ledger.store, S3BlobStore):
        assert ctx.ledger.store.abandoned_uploads(older_than_seconds=-60) == []


@pytest.mark.parametrize("size", [1000, 9 * MiB], ids=["small", "multipart"])
def test_a_blob_not_matching_its_hash_is_422_naming_both_and_nothing_is_stored(
    hashed_service: Service, size: int
) -> None:
    container = container_like(size)
    actual = hashlib.sha256(container).hexdigest()
    declared = hashlib.sha256(b"the container the client meant").hexdigest()
    response = _post(hashed_service, container, declared)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"].endswith("/invalid-request")
    assert declared in body["detail"] and actual in body["detail"]
    assert body["expected_sha256"] == declared and body["actual_sha256"] == actual
    assert _stored(hashed_service) == set()
    ctx = hashed_service.client.app.state.context  # type: ignore[attr-defined]
    if isinstance(ctx.ledger.store, S3BlobStore):
        assert ctx.ledger.store.abandoned_uploads(older_than_seconds=-60) == []


def test_small_kinds_check_the_hash_too(hashed_service: Service) -> None:
    terms = container_like(200)
    wrong = hashlib.sha256(b"other terms").hexdigest()
    refused = _post(hashed_service, terms, wrong, kind="terms")
    assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
    assert _stored(hashed_service) == set()
    right = hashlib.sha256(terms).hexdigest()
    assert _post(hashed_service, terms, right, kind="terms").status_code == 201  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "0" * 65, "0x" + "0" * 63])
def test_a_malformed_hash_header_is_422_and_nothing_is_stored(
    hashed_service: Service, bad: str
) -> None:
    response = _post(hashed_service, container_like(100), bad)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert "X-Content-SHA256" in response.text  # type: ignore[attr-defined]
    assert _stored(hashed_service) == set()


def test_the_header_is_documented_in_openapi(service: Service) -> None:
    operation = service.client.get("/openapi.json").json()["paths"]["/v1/blobs"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "X-Content-SHA256"]
    assert header["in"] == "header" and header["required"] is False
    assert "422" in header["description"] and "422" in operation["responses"]


def test_the_sdk_sends_the_hash_it_is_given(hashed_service: Service) -> None:
    client = ServiceClient(
        "http://testserver",
        hashed_service.world.oem.account,
        chain_id=31337,
        http=hashed_service.client,
    )
    container = container_like(3 * MiB)
    sha = hashlib.sha256(container).hexdigest()
    with pytest.raises(ServiceError) as refused:
        client.upload_blob(container, "container", sha256=hashlib.sha256(b"x").hexdigest())
    assert refused.value.status == 422 and sha in str(refused.value)
    assert _stored(hashed_service) == set()
    chunks = [container[i : i + MiB] for i in range(0, len(container), MiB)]
    assert client.upload_blob(chunks, "container", sha256="0x" + sha) == sha
    assert _stored(hashed_service) == {sha}
