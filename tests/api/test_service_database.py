"""The service database is created and upgraded by Alembic, and matches the code's tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from api.support import both_engines
from sqlalchemy import inspect

from partledger.api.services.db import VERSION_TABLE, metadata, open_service_database


@both_engines
def test_migrations_build_exactly_the_declared_schema(service_db_url: str) -> None:
    engine = open_service_database(service_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, metadata) == []
    assert set(inspect(engine).get_table_names()) == {
        "siwe_nonces", "access_log", "access_anchors", "relay_queue", "uploads", "public_products",
        VERSION_TABLE,
    }  # fmt: skip
    engine.dispose()


@both_engines
def test_reopening_a_migrated_database_changes_nothing(service_db_url: str) -> None:
    open_service_database(service_db_url).dispose()
    engine = open_service_database(service_db_url)
    assert "relay_queue" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.postgres
def test_service_and_index_share_a_postgresql_database_without_clashing() -> None:
    import uuid

    psycopg = pytest.importorskip("psycopg")
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        psycopg.connect(admin, connect_timeout=2).close()
    except Exception:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    from partledger.index.db import open_database

    schema = f"svc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{admin}?options=-csearch_path%3D{schema}"
        index_engine = open_database(url)
        service_engine = open_service_database(url)
        tables = set(inspect(service_engine).get_table_names(schema=schema))
        assert {"relay_queue", VERSION_TABLE, "alembic_version", "prints"} <= tables
        with service_engine.connect() as conn:
            ours = lambda name, kind, _: kind != "table" or name in metadata.tables  # noqa: E731
            opts = {"version_table": VERSION_TABLE, "include_name": ours}
            context = MigrationContext.configure(conn, opts=opts)
            assert compare_metadata(context, metadata) == []  # the index's tables left out
        index_engine.dispose()
        service_engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
