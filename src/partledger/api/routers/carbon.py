"""Carbon: the prints' logistics footprints (ISO 14083 / GLEC) summed over a period.

``GET /v1/carbon/report`` reads the service's index (503 where it is off): rows per month, hub
or design (or one total row), and the totals, in kg CO2e. Any signed-in account may read it,
like the auditor views: the attestations are public on-chain and the footprint documents are
committed by hash.

The same figures as reporting views (``partledger.carbon.disclosure``): ``GET /v1/carbon/scope3``
(GHG Protocol Scope 3 categories, kg CO2e) and ``GET /v1/carbon/esrs-e1`` (ESRS E1-6, t CO2e),
JSON or ``?format=csv|markdown``; and charts (``partledger.carbon.charts``):
``GET /v1/carbon/chart.svg|chart.png?by=month|hub``. ``pages`` holds the signed-in page
``/audit/carbon`` (bearer token or the auditor session cookie) with its CSV exports.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy import select

from partledger.api.deps import CallerDep, ContextDep, ViewerDep
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.routers.auditor_views import CSV, WHEN, templates
from partledger.api.services.context import ServiceContext
from partledger.api.services.errors import InvalidRequest, Unavailable
from partledger.carbon.charts import avoided_by_hub_chart, avoided_by_month_chart
from partledger.carbon.disclosure import E1Disclosure, Scope3View, e1_disclosure, scope3_view
from partledger.index import schema
from partledger.index.carbon_queries import CarbonReports, CarbonRow, GroupBy, total
from partledger.index.footprints import INGESTED
from partledger.index.queries import IndexReader, to_bytes

router = APIRouter(prefix="/v1/carbon", tags=["carbon"])
pages = APIRouter(prefix="/audit", tags=["auditor views"])

AddressQuery = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")]
OemQuery = Annotated[AddressQuery, Query(description="Designs this OEM owns.")]
HubQuery = Annotated[AddressQuery, Query(description="Prints of this hub.")]
DesignQuery = Annotated[
    str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Prints of this design.")
]
SinceQuery = Annotated[
    str | None, Query(pattern=WHEN, description="ISO 8601 date or date-time: from then on.")
]
UntilQuery = Annotated[
    str | None,
    Query(pattern=WHEN, description="ISO 8601 date (the whole day) or date-time: until then."),
]


class FilterQuery(BaseModel):
    """The filters every carbon read takes, as given (each checked against its pattern); in
    a route as ``Annotated[FilterQuery, Query()]``: five query parameters, in this order."""

    oem: OemQuery = None
    hub: HubQuery = None
    design: DesignQuery = None
    since: SinceQuery = None
    until: UntilQuery = None


Filtered = Annotated[FilterQuery, Query()]


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
    except (ValueError, OverflowError) as exc:
        raise InvalidRequest(f"{value!r} is not a valid date or time: {exc}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@router.get("/report", response_model=CarbonReportPublic, responses=errors(*AUTH, 422))
def report(
    caller: CallerDep,
    ctx: ContextDep,
    query: Filtered,
    by: Annotated[
        Literal["month", "hub", "design"] | None, Query(description="One row per group.")
    ] = None,
) -> CarbonReportPublic:
    """Footprint totals of the prints attested in a period (only prints whose footprint
    document was read into the index count): prints, baseline, actual, avoided, default-data
    kg CO2e and the actual side's components, per month (UTC), hub or design."""
    _index(ctx, "the carbon report reads")
    filters = Filters(query)
    rows = filters.rows(ctx, by)
    return CarbonReportPublic(
        oem=filters.oem,
        hub=filters.hub,
        design=filters.design,
        since=filters.since,
        until=filters.until,
        by=by,
        rows=[_public(r) for r in rows],
        total=_public(total(rows)),
        empty=not rows,
    )


# -- Scope 3, ESRS E1 and charts ---------------------------------------------------------------
LastMileQuery = Annotated[
    bool,
    Query(
        description="The reporting company (the OEM) pays for the last mile: Scope 3 category 4 "
        "(true, the default), else category 9."
    ),
]
ViewFormat = Annotated[
    Literal["json", "csv", "markdown"],
    Query(alias="format", description="`json` (default), `csv` or `markdown`."),
]
TEXT = {"schema": {"type": "string"}}
MARKDOWN = "text/markdown"


class Scope3LinePublic(BaseModel):
    category: int
    category_name: str
    components: list[str]
    kg_co2e: float
    note: str


class AvoidedPublic(BaseModel):
    """Avoided emissions: a memo item beside the inventory, never deducted from it."""

    baseline_kg_co2e: float
    actual_kg_co2e: float
    avoided_kg_co2e: float
    note: str


class Scope3Public(BaseModel):
    """The OEM's Scope 3 view (GHG Protocol Scope 3 Standard), kg CO2e."""

    standard: str
    last_mile_paid_by_reporting_company: bool
    prints: int
    keys: list[str]
    lines: list[Scope3LinePublic]
    total_kg_co2e: float
    avoided: AvoidedPublic
    default_share: float | None = Field(description="Share of baseline + actual on default data")
    notes: list[str]


class E1LinePublic(BaseModel):
    label: str
    scope: str
    category: int | None
    t_co2e: float | None = Field(description="null: not covered by PartLedger data (never 0)")
    note: str


class E1Public(BaseModel):
    """ESRS E1-6 gross emissions (Scope 3 categories covered), t CO2e; avoided separate."""

    standard: str
    lines: list[E1LinePublic]
    scope3_covered_t_co2e: float
    avoided_t_co2e: float
    baseline_t_co2e: float
    actual_t_co2e: float
    prints: int
    method: str
    factor_set_version: str
    default_share: float | None
    notes: list[str]


def _index(ctx: ServiceContext, what: str = "the carbon reports read") -> Any:
    if ctx.index is None:
        raise Unavailable(
            f"{what} the service's index, which is off on this service "
            "(PARTLEDGER_API_INDEXER=false)"
        )
    return ctx.index


def _empty(value: str | None) -> str | None:
    return value.lower() if value else None


class Filters:
    """The report filters, checked: addresses and ids lower-case, times as Unix seconds."""

    def __init__(self, query: FilterQuery) -> None:
        self.oem, self.hub, self.design = _empty(query.oem), _empty(query.hub), _empty(query.design)
        self.since_text, self.until_text = query.since or None, query.until or None
        self.since = _moment(self.since_text, end=False)
        self.until = _moment(self.until_text, end=True)

    def rows(self, ctx: ServiceContext, by: GroupBy | None) -> list[CarbonRow]:
        return CarbonReports(_index(ctx).engine).carbon_totals(
            oem=self.oem, hub=self.hub, design_id=self.design, since=self.since,
            until=self.until, group_by=by,
        )  # fmt: skip

    def factor_sets(self, ctx: ServiceContext) -> str:
        """The factor-set versions of the footprints matching the filters (for the E1 notes)."""
        engine = _index(ctx).engine
        f = schema.print_footprints.c
        query = select(f.factor_set_version).where(f.status == INGESTED).distinct()
        if self.hub:
            query = query.where(f.hub == to_bytes(self.hub, 20))
        if self.design:
            query = query.where(f.design_id == to_bytes(self.design, 32))
        if self.since is not None:
            query = query.where(f.block_time >= self.since)
        if self.until is not None:
            query = query.where(f.block_time < self.until)
        if self.oem:
            owned = [
                to_bytes(v.design_id, 32) for v in IndexReader(engine).designs_by_owner(self.oem)
            ]
            query = query.where(f.design_id.in_(owned))
        with engine.connect() as conn:
            versions = sorted({str(v) for (v,) in conn.execute(query) if v})
        return ", ".join(versions) or "none (no footprint matches)"

    def scope3(self, ctx: ServiceContext, last_mile_paid: bool) -> Scope3View:
        return scope3_view(
            self.rows(ctx, "month"), last_mile_paid_by_reporting_company=last_mile_paid
        )

    def e1(self, ctx: ServiceContext, last_mile_paid: bool) -> E1Disclosure:
        return e1_disclosure(
            self.rows(ctx, "month"),
            factor_set_version=self.factor_sets(ctx),
            last_mile_paid_by_reporting_company=last_mile_paid,
        )


def _text(body: str, media: str, name: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _view_csv(view: Scope3View | E1Disclosure, name: str) -> Response:
    return _text(view.to_csv(), CSV, f"{name}.csv")


def _view(view: Scope3View | E1Disclosure, fmt: str, name: str, model: type[BaseModel]) -> Any:
    """A reporting view as its model (JSON), or as a CSV or markdown attachment ``name.*``."""
    if fmt == "csv":
        return _view_csv(view, name)
    if fmt == "markdown":
        return _text(view.to_markdown(), MARKDOWN, f"{name}.md")
    return model.model_validate(view.to_dict())


VIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The view", "content": {CSV: TEXT, MARKDOWN: TEXT}},
    **errors(*AUTH, 422),
}


@router.get("/scope3", response_model=Scope3Public, responses=VIEW_RESPONSES)
def scope3(
    caller: CallerDep,
    ctx: ContextDep,
    query: Filtered,
    last_mile_paid: LastMileQuery = True,
    fmt: ViewFormat = "json",
) -> Any:
    """The footprints of the matching prints as the OEM's Scope 3 view (GHG Protocol Scope 3
    Standard): print electricity in category 1, feedstock transport in 4, the last mile in 4
    (or 9 when the OEM does not pay for it), kg CO2e; avoided emissions as a separate memo,
    never deducted. CSV: one row per category then the memo row; markdown: two tables."""
    return _view(Filters(query).scope3(ctx, last_mile_paid), fmt, "scope3", Scope3Public)


@router.get("/esrs-e1", response_model=E1Public, responses=VIEW_RESPONSES)
def esrs_e1(
    caller: CallerDep,
    ctx: ContextDep,
    query: Filtered,
    last_mile_paid: LastMileQuery = True,
    fmt: ViewFormat = "json",
) -> Any:
    """The ESRS E1-6 table (gross Scopes 1, 2, 3), t CO2e: Scope 1 and 2 empty (null: outside
    PartLedger's data), one Scope 3 line per category covered, the subtotal, avoided emissions
    as a separate memo; notes name the method and the factor-set versions."""
    return _view(Filters(query).e1(ctx, last_mile_paid), fmt, "esrs-e1", E1Public)


ChartBy = Annotated[
    Literal["month", "hub"],
    Query(description="`month`: baseline vs actual per month; `hub`: avoided per hub."),
]


def chart(rows: list[CarbonRow], by: Literal["month", "hub"], fmt: Literal["svg", "png"]) -> bytes:
    draw = avoided_by_month_chart if by == "month" else avoided_by_hub_chart
    return draw(rows, fmt)


CHART_MEDIA = {"svg": "image/svg+xml", "png": "image/png"}


def _chart_responses(fmt: Literal["svg", "png"]) -> dict[int | str, dict[str, Any]]:
    content = {CHART_MEDIA[fmt]: TEXT}
    return {200: {"description": "The chart", "content": content}, **errors(*AUTH, 422)}


def _chart(
    ctx: ServiceContext, query: FilterQuery, by: Literal["month", "hub"], fmt: Literal["svg", "png"]
) -> Response:
    rows = Filters(query).rows(ctx, by)
    return Response(chart(rows, by, fmt), media_type=CHART_MEDIA[fmt])


@router.get("/chart.svg", response_class=Response, responses=_chart_responses("svg"))
def chart_svg(
    caller: CallerDep,
    ctx: ContextDep,
    query: Filtered,
    by: ChartBy = "month",
) -> Response:
    """Chart of the matching footprints as SVG (text kept as text, every value labelled):
    baseline vs actual kg CO2e per month with the avoided figure, or avoided kg CO2e per hub."""
    return _chart(ctx, query, by, "svg")


@router.get("/chart.png", response_class=Response, responses=_chart_responses("png"))
def chart_png(
    caller: CallerDep,
    ctx: ContextDep,
    query: Filtered,
    by: ChartBy = "month",
) -> Response:
    """The same chart as PNG (100 dpi)."""
    return _chart(ctx, query, by, "png")


# -- the signed-in page /audit/carbon ----------------------------------------------------------
def _optional(pattern: str) -> str:
    return f"^({pattern.strip('^$')})?$"


PageAddress = Annotated[str | None, Query(pattern=_optional(r"^0x[0-9a-fA-F]{40}$"))]
PageOem = Annotated[PageAddress, Query(description="Designs this OEM owns (empty: any).")]
PageHub = Annotated[PageAddress, Query(description="Prints of this hub (empty: any).")]
PageDesign = Annotated[
    str | None,
    Query(pattern=_optional(r"^0x[0-9a-fA-F]{64}$"), description="A design id (empty: any)."),
]
PageSince = Annotated[
    str | None, Query(pattern=_optional(WHEN), description="ISO 8601 date or date-time.")
]
PageUntil = Annotated[
    str | None, Query(pattern=_optional(WHEN), description="ISO 8601 date (included) or time.")
]


class PageFilterQuery(FilterQuery):
    """The page's filters: the API's, each may also be empty (a blank field of the form)."""

    oem: PageOem = None
    hub: PageHub = None
    design: PageDesign = None
    since: PageSince = None
    until: PageUntil = None


PageFiltered = Annotated[PageFilterQuery, Query()]
PageFormat = Annotated[
    Literal["html", "csv"],
    Query(alias="format", description="`csv`: the monthly rows as CSV (as `/audit/carbon.csv`)."),
]
ROW_COLUMNS = ("key", "prints", "baseline_kg", "actual_kg", "avoided_kg", "default_kg",
               "electricity_kg", "feedstock_kg", "last_mile_kg")  # fmt: skip


def _page_responses(*media: str) -> dict[int | str, dict[str, Any]]:
    content = {m: TEXT for m in media}
    return {200: {"description": "The page, or CSV", "content": content}, **errors(*AUTH, 422)}


def _rows_csv(rows: list[CarbonRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROW_COLUMNS)
    for row in [*rows, *([total(rows)] if rows else [])]:
        writer.writerow(["total" if row.key is None else row.key, row.prints,
                         *(repr(getattr(row, c)) for c in ROW_COLUMNS[2:])])  # fmt: skip
    return out.getvalue()


_SVG_START = re.compile(r"<svg\b[^>]*>")
_SVG_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def inline_svg(svg: bytes, prefix: str, title: str, desc: str) -> Markup:
    """A chart's SVG for inlining in a page: no XML prolog, ids prefixed (two charts on a page),
    ``role="img"`` labelled by a ``<title>`` and described by a ``<desc>``, scaled to the width."""
    text = svg.decode()
    text = text[text.index("<svg") :]
    text = _SVG_IDS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    start = _SVG_START.search(text)
    assert start is not None
    tag = start.group(0)[:-1] + (
        f' role="img" aria-labelledby="{prefix}-title {prefix}-desc" class="chart">'
    )
    head = (
        f'<title id="{prefix}-title">{Markup.escape(title)}</title>'
        f'<desc id="{prefix}-desc">{Markup.escape(desc)}</desc>'
    )
    # our own renderer's output (matplotlib escapes the text it writes); title/desc escaped
    return Markup(text[: start.start()] + tag + head + text[start.end() :])  # noqa: S704


def _pct(part: float, whole: float) -> str:
    return "n/a" if whole <= 0 else f"{100.0 * part / whole:.1f} %"


def _t(kg: float) -> str:
    return f"{kg / 1000.0:,.6f}"


def _describe(rows: list[CarbonRow], by: str) -> str:
    if not rows:
        return "No prints in the period."
    return "; ".join(
        f"{row.key}: baseline {row.baseline_kg:,.2f} kg, actual {row.actual_kg:,.2f} kg, "
        f"avoided {row.avoided_kg:,.2f} kg CO2e ({row.prints} prints)"
        for row in rows
    )


async def _page(
    request: Request,
    ctx: ServiceContext,
    fmt: str,
    filters: Filters,
    last_mile_paid: bool,
) -> Response:
    def build() -> dict[str, Any]:
        months = filters.rows(ctx, "month")
        hubs = filters.rows(ctx, "hub")
        return {
            "months": months,
            "hubs": hubs,
            "scope3": scope3_view(months, last_mile_paid_by_reporting_company=last_mile_paid),
            "e1": e1_disclosure(
                months, factor_set_version=filters.factor_sets(ctx),
                last_mile_paid_by_reporting_company=last_mile_paid,
            ),
        }  # fmt: skip

    data = await anyio.to_thread.run_sync(build)
    if fmt == "csv":
        return _text(_rows_csv(data["months"]), CSV, "carbon.csv")
    months, hubs = data["months"], data["hubs"]
    whole = total(months)
    month_svg, hub_svg = await anyio.to_thread.run_sync(
        lambda: (chart(months, "month", "svg"), chart(hubs, "hub", "svg"))
    )
    query = request.url.query
    suffix = f"?{query}" if query else ""
    gross = whole.baseline_kg + whole.actual_kg
    return HTMLResponse(
        templates.get_template("auditor_carbon.html").render(
            filters=filters,
            last_mile_paid=last_mile_paid,
            whole=whole,
            months=months,
            hubs=hubs,
            t=_t,
            totals={
                "baseline": _t(whole.baseline_kg),
                "actual": _t(whole.actual_kg),
                "avoided": _t(whole.avoided_kg),
                "avoided_pct": _pct(whole.avoided_kg, whole.baseline_kg),
                "default_pct": _pct(whole.default_kg, gross),
            },
            month_chart=inline_svg(
                month_svg,
                "chart-month",
                "Avoided CO2e per month: baseline vs actual (kg CO2e)",
                _describe(months, "month"),
            ),
            hub_chart=inline_svg(
                hub_svg, "chart-hub", "Avoided CO2e per hub (kg CO2e)", _describe(hubs, "hub")
            ),
            scope3=data["scope3"],
            e1=data["e1"],
            csv={
                "rows": f"/audit/carbon.csv{suffix}",
                "scope3": f"/audit/carbon/scope3.csv{suffix}",
                "e1": f"/audit/carbon/esrs-e1.csv{suffix}",
            },
        )
    )


@pages.get("/carbon", response_class=HTMLResponse, responses=_page_responses("text/html", CSV))
async def carbon_page(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    query: PageFiltered,
    last_mile_paid: LastMileQuery = True,
    fmt: PageFormat = "html",
) -> Response:
    """Carbon footprints of the prints over a period (filters: OEM, hub, design, period):
    totals (baseline, actual, avoided t CO2e and %, share on default data), the charts per
    month and per hub (inline SVG, values also as text), the Scope 3 and ESRS E1-6 tables."""
    return await _page(request, ctx, fmt, Filters(query), last_mile_paid)


@pages.get("/carbon.csv", response_class=Response, responses=_page_responses(CSV))
async def carbon_csv(
    request: Request,
    caller: ViewerDep,
    ctx: ContextDep,
    query: PageFiltered,
) -> Response:
    """The page's monthly rows as CSV (kg CO2e; a header row, one row per month, the total)."""
    return await _page(request, ctx, "csv", Filters(query), True)


@pages.get("/carbon/scope3.csv", response_class=Response, responses=_page_responses(CSV))
def carbon_scope3_csv(
    caller: ViewerDep,
    ctx: ContextDep,
    query: PageFiltered,
    last_mile_paid: LastMileQuery = True,
) -> Response:
    """The page's Scope 3 table as CSV (as `GET /v1/carbon/scope3?format=csv`)."""
    return _view_csv(Filters(query).scope3(ctx, last_mile_paid), "scope3")


@pages.get("/carbon/esrs-e1.csv", response_class=Response, responses=_page_responses(CSV))
def carbon_e1_csv(
    caller: ViewerDep,
    ctx: ContextDep,
    query: PageFiltered,
    last_mile_paid: LastMileQuery = True,
) -> Response:
    """The page's ESRS E1-6 table as CSV (as `GET /v1/carbon/esrs-e1?format=csv`)."""
    return _view_csv(Filters(query).e1(ctx, last_mile_paid), "esrs-e1")
