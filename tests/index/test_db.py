"""Schema migrations, database settings, public API and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from index_ledger import Ledger
from sqlalchemy import inspect, text
from test_ingest import make_indexer

import partledger.index as index_api
from partledger.errors import PartLedgerError
from partledger.index import IndexerConfig, IndexMismatch, normalize_url, open_database
from partledger.index.db import current_revision, downgrade, head_revision
from partledger.index.schema import metadata


def test_opening_a_database_migrates_it_to_head_and_matches_the_models(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        assert current_revision(engine) == head_revision() is not None
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        open_database(db_url).dispose()  # and back up again
        assert "prints" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = open_database(tmp_path / "sub" / "index.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


def test_urls_are_normalised() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("/tmp/x.db").drivername == "sqlite"
    assert normalize_url(Path("x.db")).database == "x.db"


def test_an_index_of_other_contracts_is_refused(world: Ledger, db_url: str) -> None:
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
    other = IndexerConfig(
        world.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        db_url,
        {"PrintLedger": world.addresses["PrintLedger"]},
        world.deployment.start_block,
    )
    with index_api.Indexer(other) as indexer, pytest.raises(IndexMismatch) as err:
        indexer.sync_once()
    assert isinstance(err.value, ValueError) and isinstance(err.value, PartLedgerError)


def test_public_api_is_importable_and_errors_share_the_root() -> None:
    for name in index_api.__all__:
        assert getattr(index_api, name) is not None
    for error in (
        index_api.IndexerError,
        index_api.RpcUnavailable,
        index_api.RangeTooLarge,
        index_api.ReorgTooDeep,
        index_api.IndexMismatch,
        index_api.DecodeError,
    ):
        assert issubclass(error, PartLedgerError)
    assert issubclass(index_api.RpcUnavailable, ConnectionError)


def test_reads_leave_pooled_connections_transactional(world: Ledger, db_url: str) -> None:
    """The reader's PostgreSQL autocommit must not leak to the writer sharing the pool."""
    with make_indexer(world, db_url) as indexer:
        indexer.sync_once()
        reader = index_api.IndexReader(indexer.engine)
        assert reader.designs_by_owner(world.oem.address)
        with indexer.engine.connect() as conn:
            assert getattr(conn.connection.dbapi_connection, "autocommit", False) is False
