"""The SDK's intent journal: what a multi-step operation did before it crashed.

An operation (registering a design, issuing a licence) writes an intent before
its first side effect and records each step's outcome (blob ids, signed tx
hashes) before moving on. A later run finds unfinished intents and resumes or
rolls them back, so nothing is registered twice or left orphaned. The journal
holds hashes, ids and salts — never a plaintext design or a data key.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, String, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from partledger.errors import PartLedgerError

FINISHED = ("done", "rolled_back")


class JournalError(PartLedgerError, LookupError):
    """An intent is unknown or in a state that does not allow the step."""


class _Base(DeclarativeBase):
    pass


class IntentRow(_Base):
    __tablename__ = "intents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    account: Mapped[str] = mapped_column(String(42), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DesignKeyRow(_Base):
    """Where an OEM's own wrapped data key of a design is stored (blob id)."""

    __tablename__ = "design_keys"

    design_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    wrapped_key_blob: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Intent:
    """One journaled operation."""

    id: str
    kind: str
    state: str
    account: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def _now() -> datetime:
    return datetime.now(UTC)


def _intent(row: IntentRow) -> Intent:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
    return Intent(row.id, row.kind, row.state, row.account, dict(row.data), created, updated)


class Journal:
    """Intent journal in SQLite (default ``<data_dir>/journal.sqlite3``)."""

    def __init__(self, path_or_url: Path | str) -> None:
        url = path_or_url if isinstance(path_or_url, str) else f"sqlite:///{path_or_url}"
        if isinstance(path_or_url, Path):
            path_or_url.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _Base.metadata.create_all(self.engine)

    def begin(self, kind: str, account: str, data: dict[str, Any]) -> Intent:
        """Record a new intent (state ``started``) before any side effect."""
        now = _now()
        row = IntentRow(
            id=str(uuid.uuid4()), kind=kind, state="started", account=account,
            data=_jsonable(data), created_at=now, updated_at=now,
        )  # fmt: skip
        with Session(self.engine) as session, session.begin():
            session.add(row)
            return _intent(row)

    def advance(self, intent_id: str, state: str, **data: Any) -> Intent:
        """Move an intent to ``state`` and merge ``data`` into its record; durable on return."""
        with Session(self.engine) as session, session.begin():
            row = session.get(IntentRow, intent_id)
            if row is None:
                raise JournalError(f"no intent {intent_id}")
            if row.state in FINISHED:
                raise JournalError(f"intent {intent_id} is already {row.state}")
            row.data = {**row.data, **_jsonable(data)}
            row.state = state
            row.updated_at = _now()
            return _intent(row)

    def get(self, intent_id: str) -> Intent:
        with Session(self.engine) as session:
            row = session.get(IntentRow, intent_id)
            if row is None:
                raise JournalError(f"no intent {intent_id}")
            return _intent(row)

    def pending(
        self,
        kind: str | None = None,
        account: str | None = None,
        older_than: timedelta | None = None,
    ) -> list[Intent]:
        """Unfinished intents, oldest first."""
        query = select(IntentRow).where(IntentRow.state.not_in(FINISHED))
        if kind is not None:
            query = query.where(IntentRow.kind == kind)
        if account is not None:
            query = query.where(IntentRow.account == account)
        if older_than is not None:
            query = query.where(IntentRow.updated_at < _now() - older_than)
        with Session(self.engine) as session:
            return [_intent(r) for r in session.scalars(query.order_by(IntentRow.created_at))]

    def remember_design_key(self, design_id: str, wrapped_key_blob: str) -> None:
        """Record where the OEM's own wrapped key of ``design_id`` is stored."""
        with Session(self.engine) as session, session.begin():
            session.merge(DesignKeyRow(design_id=design_id, wrapped_key_blob=wrapped_key_blob))

    def design_key_blob(self, design_id: str) -> str | None:
        """The blob id of the OEM's wrapped key of ``design_id``, if this journal knows it."""
        with Session(self.engine) as session:
            row = session.get(DesignKeyRow, design_id)
            return row.wrapped_key_blob if row else None

    def referenced_blobs(self) -> set[str]:
        """Blob ids the journal refers to: OEMs' own wrapped keys and in-flight intents' blobs."""
        with Session(self.engine) as session:
            keys = set(session.scalars(select(DesignKeyRow.wrapped_key_blob)))
        for intent in self.pending():
            keys |= {v for v in intent.data.values() if isinstance(v, str) and _is_blob_id(v)}
        return keys

    def close(self) -> None:
        self.engine.dispose()


def _is_blob_id(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(
        json.dumps(data, default=lambda v: "0x" + v.hex() if isinstance(v, bytes) else str(v))
    )
    return out


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
