"""Indexer fixtures: a deployed ledger world, and an index database per test on SQLite and
PostgreSQL (own schema, dropped afterwards)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent))
from index_ledger import Ledger, build_ledger

from partledger.chain.connect import connect
from partledger.chain.local import LocalChain

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:
        return False


PG_OK = _postgres_available()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty index database URL: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.db'}"
        return
    if not PG_OK:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    schema = f"idx_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def ledger_world(
    w3: Web3, dev_accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Ledger:
    """The ledger deployed on the session anvil, with a small populated world."""
    return build_ledger(w3, dev_accounts, tmp_path_factory.mktemp("deploy") / "rec.json")


@pytest.fixture
def world(ledger_world: Ledger, snapshot: None) -> Ledger:
    """The world; the test's chain changes are reverted afterwards."""
    return ledger_world


@pytest.fixture(scope="module")
def own_chain() -> Iterator[LocalChain]:
    """A separate anvil for tests that reorganise the chain."""
    with LocalChain(None) as chain:
        yield chain


@pytest.fixture(scope="module")
def own_world(
    own_chain: LocalChain,
    dev_accounts: list[LocalAccount],
    tmp_path_factory: pytest.TempPathFactory,
) -> Ledger:
    w3 = connect(own_chain.rpc_url)
    return build_ledger(w3, dev_accounts, tmp_path_factory.mktemp("deploy") / "rec.json")
