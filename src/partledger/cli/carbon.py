"""``partledger carbon report``: the prints' logistics carbon footprints over a period.

Read from the local SQL index (synced first, footprints included): prints, baseline, actual and
avoided t CO2e (avoided also as % of the baseline) and the share resting on default-tier data,
per month, hub or design, for an OEM's designs, a hub or a design.

``--view scope3`` (GHG Protocol Scope 3 categories) and ``--view esrs`` (ESRS E1-6) give the same
figures as reporting views (``partledger.carbon.disclosure``), as markdown (``--format table`` or
``markdown``), CSV or JSON; ``--chart FILE.svg|FILE.png`` also writes the avoided-per-month
(``--by month``) or avoided-per-hub (``--by hub``) chart (``partledger.carbon.charts``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy import Engine, select

from partledger.cli.app import app, group
from partledger.cli.common import (
    EXIT_INFRA,
    EXIT_USAGE,
    Output,
    console,
    fail,
    guarded,
    open_ledger,
    say,
)
from partledger.cli.format import err, iso, plural, table
from partledger.cli.identities import address_of_name
from partledger.cli.reconcile import synced_index
from partledger.index import schema
from partledger.index.carbon_queries import CarbonReports, CarbonRow, total
from partledger.index.footprints import INGESTED

carbon_app = group("Logistics carbon footprints of prints (ISO 14083 / GLEC), from the index.")
app.add_typer(carbon_app, name="carbon")

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_DESIGN = re.compile(r"0x[0-9a-fA-F]{64}")
GROUP_LABEL = {"month": "month (UTC)", "hub": "hub", "design": "design"}


def _address(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if _ADDRESS.fullmatch(text):
        return text.lower()
    found = None if text.lower().startswith("0x") else address_of_name(text)
    if found is None:
        fail(
            f"--{what} {value!r} is not an address (0x followed by 40 hex digits) nor a known "
            "identity name",
            EXIT_USAGE,
        )
    return found.lower()


def _design(value: str | None) -> str | None:
    if value is None:
        return None
    if not _DESIGN.fullmatch(value.strip()):
        fail(f"--design {value!r} is not a design id (0x followed by 64 hex digits)", EXIT_USAGE)
    return value.strip().lower()


def _moment(value: str, option: str, *, end: bool) -> int:
    """A date (the whole day: ``--to`` includes it) or an ISO 8601 time, as Unix seconds."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return int((start + timedelta(days=1 if end else 0)).timestamp())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(
            f"{option} {value!r} is not an ISO 8601 date or time (e.g. 2026-11-30 or "
            "2026-11-30T09:15Z)",
            EXIT_USAGE,
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole > 0 else None


def row_json(row: CarbonRow) -> dict[str, Any]:
    """A report row for output: kg figures, t CO2e, avoided % of baseline, default-data %."""
    gross = row.baseline_kg + row.actual_kg
    return {
        "key": row.key,
        "prints": row.prints,
        "baseline_t": row.baseline_kg / 1000.0,
        "actual_t": row.actual_kg / 1000.0,
        "avoided_t": row.avoided_kg / 1000.0,
        "avoided_pct": _pct(row.avoided_kg, row.baseline_kg),
        "default_share_pct": _pct(row.default_kg, gross),
        "baseline_kg": row.baseline_kg,
        "actual_kg": row.actual_kg,
        "avoided_kg": row.avoided_kg,
        "default_kg": row.default_kg,
        "electricity_kg": row.electricity_kg,
        "feedstock_kg": row.feedstock_kg,
        "last_mile_kg": row.last_mile_kg,
    }


CSV_COLUMNS = tuple(row_json(total([])).keys())


def _t(value: float) -> str:
    return f"{value:,.3f}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


@carbon_app.command("report")
def report(
    date_from: Annotated[
        str, typer.Option("--from", metavar="DATE", help="First day (ISO 8601, UTC).")
    ],
    date_to: Annotated[
        str, typer.Option("--to", metavar="DATE", help="Last day, included (ISO 8601, UTC).")
    ],
    oem: Annotated[
        str | None,
        typer.Option(metavar="ADDR", help="Prints of the designs this OEM owns (or a name)."),
    ] = None,
    hub: Annotated[
        str | None, typer.Option(metavar="ADDR", help="Prints of this hub (or a name).")
    ] = None,
    design: Annotated[
        str | None, typer.Option(metavar="ID", help="Prints of this design (0x + 64 hex).")
    ] = None,
    by: Annotated[
        Literal["month", "hub", "design"] | None,
        typer.Option("--by", help="One row per month (UTC), hub or design."),
    ] = None,
    view: Annotated[
        Literal["rows", "scope3", "esrs"],
        typer.Option(
            "--view",
            help="rows (the totals), scope3 (GHG Protocol Scope 3 categories, kg CO2e) or esrs "
            "(ESRS E1-6 gross emissions, t CO2e); avoided emissions stay a separate memo.",
        ),
    ] = "rows",
    fmt: Annotated[
        Literal["table", "csv", "json", "markdown"],
        typer.Option(
            "--format",
            help="table (people), csv (spreadsheets), json, or markdown (scope3/esrs views; "
            "their table is markdown).",
        ),
    ] = "table",
    last_mile_paid: Annotated[
        bool,
        typer.Option(
            "--last-mile-paid/--last-mile-not-paid",
            help="Scope 3: the OEM pays for the last mile (category 4) or not (category 9).",
        ),
    ] = True,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            metavar="FILE.svg|FILE.png",
            help="Also write the chart: avoided per month (--by month) or per hub (--by hub).",
        ),
    ] = None,
) -> None:
    """Carbon footprint of the prints in a period: prints, baseline, actual and avoided
    t CO2e (avoided also as % of baseline), and the share resting on default-tier data.

    Only prints whose footprint document was read into the index count (`partledger reconcile`
    reports footprints that are missing from the store or invalid). An empty period prints an
    empty report."""
    if oem is None and hub is None and design is None:
        fail("say whose prints: --oem ADDR, --hub ADDR and/or --design ID", EXIT_USAGE)
    oem_address, hub_address = _address(oem, "oem"), _address(hub, "hub")
    design_id = _design(design)
    since, until = _moment(date_from, "--from", end=False), _moment(date_to, "--to", end=True)
    if until <= since:
        fail(f"--to {date_to} is before --from {date_from}: an empty period", EXIT_USAGE)
    chart_format = _chart_format(chart, by)
    if fmt == "markdown" and view == "rows":
        fail("--format markdown is for --view scope3 or esrs", EXIT_USAGE)
    with open_ledger() as ledger, guarded(), synced_index(ledger) as index:
        rows = CarbonReports(index.engine).carbon_totals(
            oem=oem_address, hub=hub_address, design_id=design_id, since=since, until=until,
            group_by=by,
        )  # fmt: skip
        versions = "" if view != "esrs" else _factor_sets(index.engine, rows, since, until,
                                                        hub_address, design_id)  # fmt: skip
    if chart is not None and chart_format is not None:
        _write_chart(chart, rows, by, chart_format)
    if view != "rows":
        _show_view(view, fmt, rows, last_mile_paid, versions)
        return
    filters = {"oem": oem_address, "hub": hub_address, "design": design_id}
    data: dict[str, Any] = {
        "filters": {k: v for k, v in filters.items() if v is not None},
        "since": since,
        "since_iso": iso(since),
        "until": until,
        "until_iso": iso(until),
        "by": by,
        "unit": "t CO2e",
        "rows": [row_json(r) for r in rows],
        "total": row_json(total(rows)),
        "empty": not rows,
    }
    whose = ", ".join(f"{k} {v}" for k, v in data["filters"].items())
    period = f"{iso(since)} to {iso(until)} (exclusive)"
    if not rows:
        data["message"] = f"no prints with a footprint for {whose} from {period}"
    if fmt == "json" or Output.json_mode:
        Output.show(data)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for item in [*data["rows"], *([{**data["total"], "key": "total"}] if rows else [])]:
            writer.writerow(["" if item[c] is None else item[c] for c in CSV_COLUMNS])
        typer.echo(buffer.getvalue(), nl=False)
    else:
        _human(data, by, whose, period)


def _human(data: dict[str, Any], by: str | None, whose: str, period: str) -> None:
    if data["empty"]:
        say(f"empty report: {data['message']}")
        return
    columns = (
        GROUP_LABEL.get(by or "", "period"),
        "prints",
        "baseline t CO2e",
        "actual t CO2e",
        "avoided t CO2e",
        "avoided %",
        "default data %",
    )

    def cells(item: dict[str, Any], key: str) -> tuple[str, ...]:
        return (
            key, str(item["prints"]), _t(item["baseline_t"]), _t(item["actual_t"]),
            _t(item["avoided_t"]), _p(item["avoided_pct"]), _p(item["default_share_pct"]),
        )  # fmt: skip

    body = [cells(item, str(item["key"])) for item in data["rows"]] if by else []
    body.append(cells(data["total"], "total"))
    title = f"Carbon footprint of {plural(data['total']['prints'], 'print')} — {whose}, {period}"
    console.print(table(title, columns, body))


def _chart_format(chart: Path | None, by: str | None) -> Literal["svg", "png"] | None:
    if chart is None:
        return None
    if by not in ("month", "hub"):
        fail("--chart needs --by month (avoided per month) or --by hub (avoided per hub)",
             EXIT_USAGE)  # fmt: skip
    suffix = chart.suffix.lower()
    if suffix == ".svg":
        return "svg"
    if suffix == ".png":
        return "png"
    fail(f"--chart {chart}: the file name must end in .svg or .png", EXIT_USAGE)


def _write_chart(path: Path, rows: list[CarbonRow], by: str | None, fmt: Literal["svg", "png"]
                 ) -> None:  # fmt: skip
    from partledger.carbon.charts import avoided_by_hub_chart, avoided_by_month_chart

    draw = avoided_by_month_chart if by == "month" else avoided_by_hub_chart
    try:
        path.write_bytes(draw(rows, fmt))
    except OSError as exc:
        fail(f"cannot write the chart to {path}: {exc.strerror or exc}", EXIT_INFRA)
    err.print(f"chart written to {path}", soft_wrap=True, highlight=False, markup=False)


def _factor_sets(
    engine: Engine, rows: list[CarbonRow], since: int, until: int, hub: str | None,
    design: str | None,
) -> str:  # fmt: skip
    """The factor-set versions of the footprints in the period (hub/design filters applied)."""
    if not rows:
        return "none (no footprint in the period)"
    f = schema.print_footprints.c
    query = (
        select(f.factor_set_version)
        .where(f.status == INGESTED, f.block_time >= since, f.block_time < until)
        .distinct()
    )
    if hub is not None:
        query = query.where(f.hub == bytes.fromhex(hub[2:]))
    if design is not None:
        query = query.where(f.design_id == bytes.fromhex(design[2:]))
    with engine.connect() as conn:
        versions = sorted({str(v) for (v,) in conn.execute(query) if v})
    return ", ".join(versions) or "unknown"


def _show_view(
    view: str, fmt: str, rows: list[CarbonRow], last_mile_paid: bool, versions: str
) -> None:
    from partledger.carbon.disclosure import e1_disclosure, scope3_view

    shown = (
        scope3_view(rows, last_mile_paid_by_reporting_company=last_mile_paid)
        if view == "scope3"
        else e1_disclosure(rows, factor_set_version=versions,
                           last_mile_paid_by_reporting_company=last_mile_paid)
    )  # fmt: skip
    if fmt == "json" or Output.json_mode:
        Output.show(shown.to_dict())
    elif fmt == "csv":
        typer.echo(shown.to_csv(), nl=False)
    else:
        typer.echo(shown.to_markdown(), nl=False)
