"""Carbon: the prints' logistics footprints (ISO 14083 / GLEC) summed over a period.

``GET /v1/carbon/report`` reads the service's index (503 where it is off): rows per month, hub
or design (or one total row), and the totals, in kg CO2e. Any signed-in account may read it,
like the auditor views: the attestations are public on-chain and the footprint documents are
committed by hash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from partledger.api.deps import CallerDep, ContextDep
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.services.errors import InvalidRequest, Unavailable
from partledger.index.carbon_queries import CarbonReports, CarbonRow, total

router = APIRouter(prefix="/v1/carbon", tags=["carbon"])

WHEN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$"
AddressQuery = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")]


class CarbonRowPublic(BaseModel):
    """One group of the report (kg CO2e)."""

    key: str | None = Field(
        description="`YYYY-MM` (UTC), a 0x hub address or a 0x design id; null for a total"
    )
    prints: int
    baseline_kg: float
    actual_kg: float
    avoided_kg: float
    default_kg: float = Field(description="kg of baseline + actual resting on default data")
    electricity_kg: float
    feedstock_kg: float
    last_mile_kg: float


class CarbonReportPublic(BaseModel):
    """A carbon report: rows per group and the totals."""

    oem: str | None
    hub: str | None
    design: str | None
    since: int | None = Field(description="Unix seconds, inclusive")
    until: int | None = Field(description="Unix seconds, exclusive")
    by: Literal["month", "hub", "design"] | None
    unit: Literal["kg CO2e"] = "kg CO2e"
    rows: list[CarbonRowPublic]
    total: CarbonRowPublic
    empty: bool = Field(description="No print with a footprint matches")


def _public(row: CarbonRow) -> CarbonRowPublic:
    return CarbonRowPublic(**row.__dict__)


def _moment(value: str | None, *, end: bool) -> int | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return int((start + timedelta(days=1 if end else 0)).timestamp())
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(f"{value!r} is not a valid date or time: {exc}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@router.get("/report", response_model=CarbonReportPublic, responses=errors(*AUTH, 422))
def report(
    caller: CallerDep,
    ctx: ContextDep,
    oem: Annotated[AddressQuery, Query(description="Designs this OEM owns.")] = None,
    hub: Annotated[AddressQuery, Query(description="Prints of this hub.")] = None,
    design: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Prints of this design.")
    ] = None,
    since: Annotated[
        str | None, Query(pattern=WHEN, description="ISO 8601 date or date-time: from then on.")
    ] = None,
    until: Annotated[
        str | None,
        Query(pattern=WHEN, description="ISO 8601 date (the whole day) or date-time: until then."),
    ] = None,
    by: Annotated[
        Literal["month", "hub", "design"] | None, Query(description="One row per group.")
    ] = None,
) -> CarbonReportPublic:
    """Footprint totals of the prints attested in a period (only prints whose footprint
    document was read into the index count): prints, baseline, actual, avoided, default-data
    kg CO2e and the actual side's components, per month (UTC), hub or design."""
    if ctx.index is None:
        raise Unavailable(
            "the carbon report reads the service's index, which is off on this service "
            "(PARTLEDGER_API_INDEXER=false)"
        )
    start, end = _moment(since, end=False), _moment(until, end=True)
    rows = CarbonReports(ctx.index.engine).carbon_totals(
        oem=oem, hub=hub, design_id=design, since=start, until=end, group_by=by
    )
    return CarbonReportPublic(
        oem=oem.lower() if oem else None,
        hub=hub.lower() if hub else None,
        design=design.lower() if design else None,
        since=start,
        until=end,
        by=by,
        rows=[_public(r) for r in rows],
        total=_public(total(rows)),
        empty=not rows,
    )
