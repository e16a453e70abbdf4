"""Operations tests: scratch PostgreSQL databases on 127.0.0.1:5432 (trust auth)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG_SERVER}/test"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture
def scratch_databases() -> Iterator[Callable[[str], str]]:
    """``make(label)`` creates an empty database and returns its URL; all are dropped after
    the test (``WITH (FORCE)``: a service left connected does not block the drop)."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    made: list[str] = []

    def make(label: str) -> str:
        name = f"pl_{label}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{PG_SERVER}/{name}"

    try:
        yield make
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
