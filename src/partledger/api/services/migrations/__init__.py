"""Alembic migrations of the service database (run in code by ``services.db``)."""
