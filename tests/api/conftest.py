"""The service over a deployed, onboarded world on the session anvil.

The service's own tables (nonces, access log, relay queue, uploads, public product
records) run on SQLite by default; tests marked ``@both_engines`` (``api.support``) also
run on PostgreSQL: a scratch database per test
module on 127.0.0.1:5432, emptied before each test and dropped after the module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api.support import Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.s3 import s3_bucket, s3_server  # noqa: F401  (fixtures for the service on S3)
from helpers.world import World
from partledger.api.app import create_app

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG_SERVER}/test"
# tables emptied between tests sharing a module's scratch database (schema versions kept)
_KEPT_TABLES = ("alembic_version", "service_alembic_version")


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return _postgres_available()


@pytest.fixture(scope="module")
def pg_scratch_database(postgres_available: bool) -> Iterator[str]:
    """A fresh PostgreSQL database for this test module (dropped afterwards)."""
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"pl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_tables(url: str) -> None:
    """Empty every table of a scratch database but the schema-version tables."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        names = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            if row[0] not in _KEPT_TABLES
        ]
        if names:
            listed = ", ".join(f'"{n}"' for n in names)
            conn.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")


@pytest.fixture
def service_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The service database URL: SQLite (a file in the test's directory) unless the test is
    parametrised (indirectly) with ``postgresql``: then the module's scratch database, empty."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite3'}"
    assert engine == "postgresql", engine
    url: str = request.getfixturevalue("pg_scratch_database")
    empty_tables(url)
    return url


@pytest.fixture
def service(
    w3: Web3, world: World, dev_accounts: list[LocalAccount], service_db_url: str
) -> Iterator[Service]:
    runtime = make_runtime(w3, world, service_database_url=service_db_url)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield Service(client, world, dev_accounts, True)
