"""Auditor pages (signed in): prints over a period, licence usage, expiring qualifications.

Server-rendered HTML (no script, no external asset), each also as CSV for export
(``?format=csv`` or the ``.csv`` path). Any signed-in account may audit: the data are public
on-chain, but like the other reads these need a bearer token. Read from the service's index:
503 where it is off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from partledger.api.deps import ContextDep, ViewerDep
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.services.auditor_views import (
    LICENCE_COLUMNS,
    PRINT_COLUMNS,
    QUALIFICATION_COLUMNS,
    AuditorViews,
    to_csv,
)
from partledger.api.services.context import ServiceContext

router = APIRouter(prefix="/audit", tags=["auditor views"])
templates = Environment(
    loader=PackageLoader("partledger.api", "templates"), autoescape=select_autoescape(["html"])
)
CSV = "text/csv"
HubQuery = Annotated[
    str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="A hub's address.")
]
DesignQuery = Annotated[
    str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="A design id.")
]
WHEN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$"
SinceQuery = Annotated[
    str | None,
    Query(
        pattern=WHEN,
        description="ISO 8601 date or date-time (UTC unless an offset is given): from then on.",
    ),
]
UntilQuery = Annotated[
    str | None,
    Query(pattern=WHEN, description="ISO 8601 date (the whole day) or date-time: until then."),
]
FormatQuery = Annotated[
    Literal["html", "csv"],
    Query(alias="format", description="`csv` for a CSV export (as the `.csv` path)."),
]


def _responses(*media: str) -> dict[int | str, dict[str, Any]]:
    content = {m: {"schema": {"type": "string"}} for m in media}
    return {
        200: {"description": "The view (HTML page, or CSV with a header row)", "content": content},
        **errors(*AUTH, 422),
    }


PAGE = _responses("text/html", CSV)
CSV_ONLY = _responses(CSV)


def views_of(ctx: ServiceContext) -> AuditorViews:
    return AuditorViews(ctx.index)


def _csv(name: str, body: str) -> Response:
    return Response(
        body,
        media_type=CSV,
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


def _html(template: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(template).render(**values))


# -- prints -----------------------------------------------------------------------------------
async def _prints(
    request: Request,
    ctx: ServiceContext,
    fmt: str,
    hub: str | None,
    design: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    offset: int,
) -> Response:
    views = views_of(ctx)
    page = await anyio.to_thread.run_sync(
        lambda: views.prints(
            hub=hub, design_id=design, since=since, until=until, limit=limit, offset=offset
        )
    )
    if fmt == "csv":
        return _csv("prints", to_csv(PRINT_COLUMNS, page.rows))
    url = request.url
    previous = next_ = None
    if offset > 0:
        previous = str(url.include_query_params(offset=max(0, offset - limit)))
    if offset + len(page.rows) < page.total:
        next_ = str(url.include_query_params(offset=offset + limit))
    return _html(
        "auditor_prints.html",
        page=page,
        filters={"hub": hub, "design": design, "since": since, "until": until},
        first=offset + 1 if page.rows else 0,
        last=offset + len(page.rows),
        previous=previous,
        next=next_,
        csv=str(url.include_query_params(format="csv")),
    )


LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Rows per page.")]
OffsetQuery = Annotated[int, Query(ge=0, le=2**31, description="Rows to skip.")]


@router.get("/prints", response_class=HTMLResponse, responses=PAGE)
async def prints_page(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    hub: HubQuery = None,
    design: DesignQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    fmt: FormatQuery = "html",
) -> Response:
    """Attested prints of a hub and/or a design over a period, newest first, paginated: serial
    hash (serial numbers are not on-chain), licence, machine, block and time."""
    return await _prints(request, ctx, fmt, hub, design, since, until, limit, offset)


@router.get("/prints.csv", response_class=Response, responses=CSV_ONLY)
async def prints_csv(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    hub: HubQuery = None,
    design: DesignQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: LimitQuery = 1000,
    offset: OffsetQuery = 0,
) -> Response:
    """The prints view as CSV (a header row, then one row per print)."""
    return await _prints(request, ctx, "csv", hub, design, since, until, limit, offset)


# -- licences ---------------------------------------------------------------------------------
async def _licences(
    request: Request, ctx: ServiceContext, fmt: str, hub: str | None, design: str | None
) -> Response:
    views = views_of(ctx)
    rows = await anyio.to_thread.run_sync(
        lambda: views.licences(hub=hub, design_id=design, now=_now(ctx, views))
    )
    if fmt == "csv":
        return _csv("licences", to_csv(LICENCE_COLUMNS, rows))
    return _html(
        "auditor_licences.html",
        rows=rows,
        filters={"hub": hub, "design": design},
        csv=str(request.url.include_query_params(format="csv")),
    )


def _now(ctx: ServiceContext, views: AuditorViews) -> int:
    views.index  # noqa: B018 - 503 before asking the chain when the index is off
    return ctx.ledger.now()


@router.get("/licences", response_class=HTMLResponse, responses=PAGE)
async def licences_page(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    hub: HubQuery = None,
    design: DesignQuery = None,
    fmt: FormatQuery = "html",
) -> Response:
    """Licence usage of a hub and/or a design (every licence without a filter): prints used
    and remaining as bars with the numbers, status, validity."""
    return await _licences(request, ctx, fmt, hub, design)


@router.get("/licences.csv", response_class=Response, responses=CSV_ONLY)
async def licences_csv(
    request: Request, caller: ViewerDep, ctx: ContextDep, hub: HubQuery = None,
    design: DesignQuery = None,
) -> Response:  # fmt: skip
    """The licence usage view as CSV (a header row, then one row per licence)."""
    return await _licences(request, ctx, "csv", hub, design)


# -- qualifications ---------------------------------------------------------------------------
DaysQuery = Annotated[
    int, Query(ge=0, le=36_500, description="Show validity ending within this many days.")
]


async def _qualifications(request: Request, ctx: ServiceContext, fmt: str, days: int) -> Response:
    views = views_of(ctx)

    def build() -> tuple[int, list[dict[str, Any]]]:
        now = _now(ctx, views)
        return now, views.qualifications(within_days=days, now=now)

    now, rows = await anyio.to_thread.run_sync(build)
    if fmt == "csv":
        return _csv("qualifications", to_csv(QUALIFICATION_COLUMNS, rows))
    return _html(
        "auditor_qualifications.html",
        rows=rows,
        days=days,
        now=AuditorViews.horizon(now, 0),
        horizon=AuditorViews.horizon(now, days),
        csv=str(request.url.include_query_params(format="csv")),
    )


@router.get("/qualifications", response_class=HTMLResponse, responses=PAGE)
async def qualifications_page(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    expiring_within_days: DaysQuery = 30,
    fmt: FormatQuery = "html",
) -> Response:
    """Qualifications (of machines and hubs) whose validity ends within N days, expired ones
    included, and revoked ones; each flagged expiring, expired or revoked in words."""
    return await _qualifications(request, ctx, fmt, expiring_within_days)


@router.get("/qualifications.csv", response_class=Response, responses=CSV_ONLY)
async def qualifications_csv(
    request: Request, caller: ViewerDep, ctx: ContextDep, expiring_within_days: DaysQuery = 30
) -> Response:
    """The qualifications view as CSV (a header row, then one row per qualification)."""
    return await _qualifications(request, ctx, "csv", expiring_within_days)
