"""Write decoded rows, block headers and the checkpoint; roll back above a block.

Rows go in with the driver's ``executemany`` and ``INSERT ... ON CONFLICT DO NOTHING``
(the primary key is the log's chain position), so re-ingesting a range changes
nothing. A range's rows, its block headers and the advanced checkpoint are written
in ONE transaction: a crash leaves either all of them or none.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from partledger.index import schema
from partledger.index.decode import Row
from partledger.index.rpc import BlockHeader

STATE_ID = 1
COPY_THRESHOLD = 200


@dataclass(frozen=True)
class SyncState:
    """The checkpoint: what the index holds and what it last saw of the chain."""

    chain_id: int
    contracts: tuple[str, ...]
    start_block: int
    last_block: int
    last_hash: bytes | None
    chain_head: int
    safe_block: int
    confirmations: int
    reorgs: int
    updated_at: int


def _insert_sql(table: Table, dialect: str) -> str:
    columns = [c.name for c in table.columns]
    mark = "?" if dialect == "sqlite" else "%s"
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join([mark] * len(columns))
    # table and column names come from our own schema, values are bound parameters
    return f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks}) ON CONFLICT DO NOTHING'  # noqa: S608


class Store:
    """SQL statements of the index, prepared once per dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._insert = {t.name: _insert_sql(t, dialect) for t in schema.metadata.tables.values()}

    # -- rows --------------------------------------------------------------------------
    def insert_rows(self, conn: Connection, rows: Mapping[str, Sequence[Row]]) -> int:
        """Insert rows per table (duplicates ignored); returns the number of rows offered.

        PostgreSQL: large batches are COPYed into a temporary staging table, then moved
        with ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (several times faster than
        ``executemany``).
        """
        total = 0
        cursor: Any = conn.connection.cursor()
        try:
            for name, table_rows in rows.items():
                if not table_rows:
                    continue
                if self.dialect == "postgresql" and len(table_rows) >= COPY_THRESHOLD:
                    self._copy(cursor, name, table_rows)
                else:
                    cursor.executemany(self._insert[name], table_rows)
                total += len(table_rows)
        finally:
            cursor.close()
        return total

    @staticmethod
    def _copy(cursor: Any, name: str, table_rows: Sequence[Row]) -> None:
        table = schema.metadata.tables[name]
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        staging = f"staging_{name}"
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" '
            f'(LIKE "{name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
        )
        with cursor.copy(f'COPY "{staging}" ({columns}) FROM STDIN') as copy:
            for row in table_rows:
                copy.write_row(row)
        cursor.execute(
            f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM "{staging}" '  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f'TRUNCATE "{staging}"')

    def save_headers(self, conn: Connection, headers: Iterable[BlockHeader]) -> None:
        items = list(headers)
        if not items:
            return
        numbers = [h.number for h in items]
        conn.execute(delete(schema.blocks).where(schema.blocks.c.number.in_(numbers)))
        conn.execute(
            insert(schema.blocks),
            [
                {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash,
                 "timestamp": h.timestamp}
                for h in items
            ],
        )  # fmt: skip

    def prune_headers(self, conn: Connection, below: int, keep: int) -> None:
        """Forget block hashes below ``below`` except block ``keep`` (the checkpoint)."""
        conn.execute(
            delete(schema.blocks).where(
                schema.blocks.c.number < below, schema.blocks.c.number != keep
            )
        )

    def stored_headers(self, conn: Connection, at_most: int) -> list[tuple[int, bytes]]:
        """``(number, hash)`` of the kept blocks at or below ``at_most``, newest first."""
        result = conn.execute(
            select(schema.blocks.c.number, schema.blocks.c.hash)
            .where(schema.blocks.c.number <= at_most)
            .order_by(schema.blocks.c.number.desc())
        )
        return [(int(n), bytes(h)) for n, h in result]

    def rollback_above(self, conn: Connection, block: int) -> dict[str, int]:
        """Delete every event row and block header above ``block``; counts per table."""
        removed: dict[str, int] = {}
        for table in schema.EVENT_TABLES:
            result = conn.execute(delete(table).where(table.c.block_number > block))
            if result.rowcount:
                removed[table.name] = result.rowcount
        conn.execute(delete(schema.blocks).where(schema.blocks.c.number > block))
        return removed

    # -- checkpoint ----------------------------------------------------------------------
    def load_state(self, conn: Connection) -> SyncState | None:
        row = conn.execute(
            select(schema.sync_state).where(schema.sync_state.c.id == STATE_ID)
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return SyncState(
            chain_id=int(m["chain_id"]),
            contracts=tuple(c for c in str(m["contracts"]).split(",") if c),
            start_block=int(m["start_block"]),
            last_block=int(m["last_block"]),
            last_hash=None if m["last_hash"] is None else bytes(m["last_hash"]),
            chain_head=int(m["chain_head"]),
            safe_block=int(m["safe_block"]),
            confirmations=int(m["confirmations"]),
            reorgs=int(m["reorgs"]),
            updated_at=int(m["updated_at"]),
        )

    def init_state(self, conn: Connection, state: SyncState) -> None:
        conn.execute(insert(schema.sync_state).values(id=STATE_ID, **self._values(state)))

    def save_state(self, conn: Connection, state: SyncState) -> None:
        conn.execute(
            update(schema.sync_state)
            .where(schema.sync_state.c.id == STATE_ID)
            .values(**self._values(state))
        )

    @staticmethod
    def _values(state: SyncState) -> dict[str, Any]:
        return {
            "chain_id": state.chain_id,
            "contracts": ",".join(state.contracts),
            "start_block": state.start_block,
            "last_block": state.last_block,
            "last_hash": state.last_hash,
            "chain_head": state.chain_head,
            "safe_block": state.safe_block,
            "confirmations": state.confirmations,
            "reorgs": state.reorgs,
            "updated_at": int(time.time()),
        }
