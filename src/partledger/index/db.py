"""Open the index database (SQLite by default, PostgreSQL) and bring its schema to head.

- ``sqlite:///path`` (or a bare filesystem path): WAL journal, ``synchronous=NORMAL``,
  a busy timeout, so one writer and many readers work side by side.
- ``postgresql://...`` / ``postgres://...`` are served by psycopg 3
  (``postgresql+psycopg://``). A ``?options=-csearch_path%3Dmyschema`` query puts the
  index in its own schema.

Migrations (Alembic) ship inside the package and run programmatically; there is no
``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str | URL | Path) -> URL:
    """Turn a path or a ``postgresql://`` URL into the URL the engine needs."""
    if isinstance(url, Path):
        return URL.create("sqlite", database=str(url))
    parsed = make_url(url) if "://" in str(url) else URL.create("sqlite", database=str(url))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")
    finally:
        cursor.close()


def create_index_engine(url: str | URL | Path, **kwargs: Any) -> Engine:
    """An engine for the index database with the per-backend settings applied."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # no pool_pre_ping by default: it costs a round trip per query; pass it for long-lived
    # services whose database may restart
    return create_engine(parsed, **kwargs)


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    """Alembic configuration pointing at packaged migrations (default: the index's)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def migrate(
    engine: Engine, revision: str = "head", *, script_location: Path = MIGRATIONS_DIR
) -> None:
    """Upgrade the database to ``revision`` (default: the newest) with the migrations in
    ``script_location`` (default: the index's; the service passes its own)."""
    config = alembic_config(script_location)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # replicas starting together on a fresh database migrate one at a time: the lock
            # lasts until this transaction (DDL included: PostgreSQL's is transactional) ends
            key = f"partledger-migrate:{script_location.resolve()}"
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the database to ``revision`` (default: drop the whole index schema)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (``None`` if never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest shipped schema revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def open_database(url: str | URL | Path, **kwargs: Any) -> Engine:
    """Open (creating if needed) the index database and migrate it to head."""
    engine = create_index_engine(url, **kwargs)
    if current_revision(engine) != head_revision():
        migrate(engine)
    return engine
