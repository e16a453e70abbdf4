"""The service on an S3 bucket chosen by configuration (PARTLEDGER_BLOB_URL): what a hub uploads
through the API lands in the bucket, nothing in the data directory, and a bucket that goes away
is a 503 naming the store, not a 500."""

from __future__ import annotations

import hashlib

from api.support import Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.s3 import S3Server
from helpers.world import World
from partledger.api.app import create_app
from partledger.storage import S3BlobStore


def test_uploads_through_the_service_land_in_the_configured_bucket(
    w3: Web3, world: World, dev_accounts: list[LocalAccount], s3_bucket: str, s3_server: S3Server
) -> None:
    runtime = make_runtime(w3, world, blob_url=f"s3://{s3_bucket}/svc")
    with TestClient(create_app(runtime, relayer=dev_accounts[9])) as client:
        assert isinstance(client.app.state.context.ledger.store, S3BlobStore)  # type: ignore[attr-defined]
        service = Service(client, world, dev_accounts, True)
        hub = service.headers(world.hub.account)
        report = b"quality report: porosity 0.02 %"
        sent = client.post("/v1/blobs?kind=report", headers=hub, content=report)
        assert sent.status_code == 201, sent.text
        blob = sent.json()["sha256"]
        assert blob == hashlib.sha256(report).hexdigest()
        stored = s3_server.client().get_object(Bucket=s3_bucket, Key=f"svc/{blob[:2]}/{blob}")
        assert stored["Body"].read() == report
        assert not list((world.data_dir / "data" / "blobs").glob("??/*"))
        s3_server.client().delete_object(Bucket=s3_bucket, Key=f"svc/{blob[:2]}/{blob}")
        s3_server.client().delete_bucket(Bucket=s3_bucket)
        gone = client.post("/v1/blobs?kind=report", headers=hub, content=b"another report")
        assert gone.status_code in (503, 507), gone.text
        assert "Traceback" not in gone.text
