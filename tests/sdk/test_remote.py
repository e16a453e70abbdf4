"""The SDK's service client against the real app: sign in, upload, licensed download, relay."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from api.support import make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.api.app import create_app
from partledger.crypto import (
    DataKey,
    DecryptingStream,
    EncryptingStream,
    WrongRecipientError,
    unwrap_dek,
)
from partledger.sdk import PrintInput
from partledger.sdk.remote import ServiceClient, ServiceError
from partledger.sdk.types import to_bytes32
from partledger.storage import BlobCorruptedError


@pytest.fixture
def http(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[TestClient]:
    app = create_app(make_runtime(w3, world), relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield client


def _client(http: TestClient, account: LocalAccount) -> ServiceClient:
    return ServiceClient("http://testserver", account, chain_id=31337, http=http)


def test_hub_pulls_its_licensed_design_and_relays_prints_through_the_service(
    world: World, http: TestClient
) -> None:
    source = world.design_file()
    design = world.oem.register_design(source, METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5,
        valid_until=world.now() + ONE_DAY, required_standard=STANDARD,
    )  # fmt: skip
    hub = _client(http, world.hub.account)
    assert [lic["licence_id"] for lic in hub.hub_licences()] == [licence.licence_id]

    wrapped = hub.wrapped_key(licence.licence_id)
    dek = unwrap_dek(
        wrapped, world.hub.identity.hpke_key,
        design_id=to_bytes32(design.design_id), licence_id=to_bytes32(licence.licence_id),
    )  # fmt: skip
    container = io.BytesIO()
    assert hub.download_container(licence.licence_id, container) == os.path.getsize(
        world.ledger.store.path_of(design.container_sha256)  # type: ignore[attr-defined]
    )
    container.seek(0)
    plain = b"".join(DecryptingStream(container, dek, expected_sha256=design.content_sha256))
    assert plain == source.read_bytes()

    signed = [
        world.hub.sign_attestation(
            PrintInput(licence.licence_id, f"R-{i}", world.machine, "LOT"),
            deadline=world.now() + 3600,
        )
        for i in range(3)
    ]
    receipts = hub.submit_attestations(signed)
    finals = hub.wait_final([r["receipt_id"] for r in receipts])
    assert [f["status"] for f in finals] == ["final"] * 3
    provenance = hub.provenance("R-1", design.design_id)
    assert provenance["verified"] is True


def test_oem_uploads_an_encrypted_blob_and_refusals_arrive_as_problems(
    world: World, http: TestClient
) -> None:
    oem = _client(http, world.oem.account)
    container = EncryptingStream([os.urandom(1000), os.urandom(5000)], DataKey.generate())
    blob = oem.upload_blob(container, kind="container")  # the service checks its header
    assert world.ledger.store.exists(blob)
    other_hub = _client(http, world.other_hub.account)
    with pytest.raises(ServiceError) as refused:
        other_hub.wrapped_key("0x" + "00" * 32)
    assert refused.value.status in (403, 404)
    assert refused.value.type.startswith("https://")


def test_hub_fetches_and_decrypts_locally_through_the_service(
    world: World, http: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = world.design_file(size=3 * 1024 * 1024 + 5)
    design = world.oem.register_design(source, METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5, valid_until=world.now() + ONE_DAY
    )
    hub = _client(http, world.hub.account)
    out = tmp_path_factory.mktemp("hub") / "bracket.stl"
    seen: list[int] = []
    digest = hub.fetch_design(
        licence.licence_id, out, world.hub.identity.hpke_key, on_progress=seen.append,
        expected_content_sha256=design.content_sha256,
        expected_container_sha256=design.container_sha256,
    )  # fmt: skip
    assert digest == design.content_sha256 and out.read_bytes() == source.read_bytes()
    assert sum(seen) == os.path.getsize(
        world.ledger.store.path_of(design.container_sha256)  # type: ignore[attr-defined]
    )
    # a container that is not the one the ledger names never yields a file
    bad = tmp_path_factory.mktemp("hub") / "bad.stl"
    with pytest.raises(BlobCorruptedError):
        hub.fetch_design(
            licence.licence_id, bad, world.hub.identity.hpke_key,
            expected_container_sha256="00" * 32,
        )  # fmt: skip
    assert not bad.exists()
    # another hub's key cannot open it, and a hub without the licence is refused
    with pytest.raises(WrongRecipientError):
        hub.fetch_design(licence.licence_id, bad, world.other_hub.identity.hpke_key)
    other = _client(http, world.other_hub.account)
    with pytest.raises(ServiceError) as refused:
        other.fetch_design(licence.licence_id, bad, world.other_hub.identity.hpke_key)
    assert refused.value.status == 404
    assert not bad.exists()
