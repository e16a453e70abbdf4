"""The service over a deployed, onboarded world on the session anvil."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api.support import Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.s3 import s3_bucket, s3_server  # noqa: F401  (fixtures for the service on S3)
from helpers.world import World
from partledger.api.app import create_app


@pytest.fixture
def service(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[Service]:
    runtime = make_runtime(w3, world)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield Service(client, world, dev_accounts, True)
