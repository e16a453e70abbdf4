"""The service under uvicorn on a free loopback port, for the pages a browser opens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from api.support import make_runtime
from eth_account.signers.local import LocalAccount
from web3 import Web3

from helpers.serving import serving
from helpers.world import World
from partledger.api.app import create_app


@contextmanager
def _serve(
    w3: Web3, world: World, dev_accounts: list[LocalAccount], **settings: Any
) -> Iterator[str]:
    with serving(
        lambda origin: create_app(
            make_runtime(w3, world, api_origin=origin, **settings), relayer=dev_accounts[9]
        )
    ) as origin:
        yield origin


@pytest.fixture
def served(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[str]:
    """The service under uvicorn on a free loopback port; its origin."""
    with _serve(w3, world, dev_accounts) as origin:
        yield origin


@pytest.fixture
def served_indexed(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[str]:
    """The service with its indexer on (the auditor and carbon pages read it); its origin."""
    with _serve(w3, world, dev_accounts, api_indexer=True) as origin:
        yield origin
