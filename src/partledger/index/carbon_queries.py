"""Carbon reports over the indexed print footprints (``print_footprints``).

``CarbonReports(engine).carbon_totals(...)`` sums, in SQL (one ``GROUP BY`` query, SQLite and
PostgreSQL), the footprints of the prints whose footprint was ingested: how many prints, the
baseline, actual and avoided kg CO2e, the kg resting on default-tier data, and the actual
side's components (print electricity, feedstock transport, last mile). Filters: the design's
current owner (``oem``: registrations and accepted transfers, as ``IndexReader``), the hub, the
design, and the attestation time (``since`` inclusive, ``until`` exclusive: the block time of
the print, or of its batch anchor). Groups: ``None`` (one total row), ``"month"`` (UTC,
``YYYY-MM``), ``"hub"`` (0x address), ``"design"`` (0x design id).

Only prints with status ``ingested`` count; prints without a footprint (``none``) or whose
footprint could not be read (``missing``, ``invalid``: see ``partledger.index.footprints``
and the reconciler) are left out of the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.sql.elements import ColumnElement

from partledger.index import schema
from partledger.index.footprints import INGESTED
from partledger.index.queries import HexOrBytes, IndexReader, to_bytes

__all__ = ["GROUPS", "CarbonReports", "CarbonRow", "GroupBy", "Moment", "carbon_totals", "total"]

GroupBy = Literal["month", "hub", "design"]
GROUPS: Final = ("month", "hub", "design")
Moment = datetime | date | int
"""A point in time: an aware ``datetime`` (naive: UTC), a ``date`` (its UTC midnight), or Unix
seconds."""


@dataclass(frozen=True)
class CarbonRow:
    """One group of a carbon report: figures in kg CO2e, summed over ``prints`` prints."""

    key: str | None
    """The group (``YYYY-MM``, a 0x hub address, a 0x design id); ``None`` for the total."""
    prints: int
    baseline_kg: float
    actual_kg: float
    avoided_kg: float
    default_kg: float
    """kg of baseline + actual resting on default-tier data."""
    electricity_kg: float
    feedstock_kg: float
    last_mile_kg: float


def total(rows: Sequence[CarbonRow]) -> CarbonRow:
    """The rows summed (``key`` ``None``)."""
    return CarbonRow(
        key=None,
        prints=sum(r.prints for r in rows),
        baseline_kg=sum((r.baseline_kg for r in rows), 0.0),
        actual_kg=sum((r.actual_kg for r in rows), 0.0),
        avoided_kg=sum((r.avoided_kg for r in rows), 0.0),
        default_kg=sum((r.default_kg for r in rows), 0.0),
        electricity_kg=sum((r.electricity_kg for r in rows), 0.0),
        feedstock_kg=sum((r.feedstock_kg for r in rows), 0.0),
        last_mile_kg=sum((r.last_mile_kg for r in rows), 0.0),
    )


def to_seconds(moment: Moment) -> int:
    """Unix seconds of a ``Moment``."""
    if isinstance(moment, bool):
        raise TypeError("a moment is a datetime, a date or Unix seconds")
    if isinstance(moment, int):
        return moment
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return int(aware.timestamp())
    if isinstance(moment, date):
        return int(datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp())
    raise TypeError("a moment is a datetime, a date or Unix seconds")


_SUMS: Final = (
    "baseline_kg",
    "actual_kg",
    "avoided_kg",
    "default_kg",
    "electricity_kg",
    "feedstock_kg",
    "last_mile_kg",
)


class CarbonReports:
    """Carbon reports over one index database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    def _month(self) -> ColumnElement[Any]:
        t = schema.print_footprints.c.block_time
        if self._postgres:
            return func.to_char(func.timezone("UTC", func.to_timestamp(t)), "YYYY-MM")
        return func.strftime("%Y-%m", t, "unixepoch")

    def carbon_totals(
        self,
        *,
        oem: HexOrBytes | None = None,
        hub: HexOrBytes | None = None,
        design_id: HexOrBytes | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        group_by: GroupBy | None = None,
    ) -> list[CarbonRow]:
        """Footprint totals of the ingested prints matching every filter given, per group
        (ordered by key), or one total row without ``group_by``; ``[]`` when no print matches.

        ``since`` is inclusive, ``until`` exclusive. ``ValueError`` for an unknown group or a
        malformed id.
        """
        if group_by is not None and group_by not in GROUPS:
            raise ValueError(f"group_by must be one of {', '.join(GROUPS)} or None")
        f = schema.print_footprints.c
        where: list[ColumnElement[bool]] = [f.status == INGESTED]
        if hub is not None:
            where.append(f.hub == to_bytes(hub, 20))
        if design_id is not None:
            where.append(f.design_id == to_bytes(design_id, 32))
        if since is not None:
            where.append(f.block_time >= to_seconds(since))
        if until is not None:
            where.append(f.block_time < to_seconds(until))
        if oem is not None:
            owned = [
                to_bytes(v.design_id, 32) for v in IndexReader(self.engine).designs_by_owner(oem)
            ]
            if not owned:
                return []
            where.append(f.design_id.in_(owned))
        sums = [func.coalesce(func.sum(f[name]), 0.0).label(name) for name in _SUMS]
        count = func.count().label("prints")
        group: ColumnElement[Any] | None = None
        if group_by == "month":
            group = self._month()
        elif group_by == "hub":
            group = f.hub
        elif group_by == "design":
            group = f.design_id
        if group is None:
            query = select(count, *sums).where(*where)
        else:
            labelled = group.label("key")
            query = select(labelled, count, *sums).where(*where).group_by(group).order_by(group)
        with self.engine.connect() as conn:
            result = conn.execute(query).all()
        rows = []
        for r in result:
            m = r._mapping
            if int(m["prints"]) == 0:
                continue
            key: str | None = None
            if group is not None:
                value = m["key"]
                key = "0x" + bytes(value).hex() if isinstance(value, bytes | memoryview) else value
            rows.append(CarbonRow(key, int(m["prints"]), *(float(m[name]) for name in _SUMS)))
        return rows


def carbon_totals(
    engine: Engine,
    *,
    oem: HexOrBytes | None = None,
    hub: HexOrBytes | None = None,
    design_id: HexOrBytes | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    group_by: GroupBy | None = None,
) -> list[CarbonRow]:
    """``CarbonReports(engine).carbon_totals(...)``."""
    return CarbonReports(engine).carbon_totals(
        oem=oem, hub=hub, design_id=design_id, since=since, until=until, group_by=group_by
    )
