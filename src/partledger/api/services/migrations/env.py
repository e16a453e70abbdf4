"""Alembic environment for the service database, configured in code by ``services.db``.

The caller passes an open connection in ``config.attributes["connection"]``. The
version table has its own name so the service and the event index can share one
PostgreSQL database.
"""

from __future__ import annotations

from alembic import context

from partledger.api.services.db import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("run service migrations through partledger.api.services.db")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
