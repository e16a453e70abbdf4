"""``partledger carbon report --view scope3|esrs`` (markdown, CSV, JSON) and ``--chart
FILE.svg|FILE.png`` over an index holding footprints (the fixture of test_carbon_cli)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cli.test_carbon_cli import DESIGN, PERIOD, index, run  # noqa: F401
from sqlalchemy import Engine

from partledger.cli.common import EXIT_USAGE

REPORT = ("carbon", "report", "--design", "0x" + DESIGN, *PERIOD)


def test_the_scope3_view_maps_components_to_categories(index: Engine) -> None:  # noqa: F811
    # three prints: electricity 50+100+150, feedstock 25+50+75, last mile 25+50+75 kg
    data = json.loads(run(*REPORT, "--by", "month", "--view", "scope3", "--format", "json").output)
    lines = {line["category"]: line["kg_co2e"] for line in data["lines"]}
    assert lines == {1: 300.0, 4: 300.0}
    assert data["avoided"]["avoided_kg_co2e"] == 5400.0 and data["prints"] == 3
    not_paid = run(*REPORT, "--view", "scope3", "--last-mile-not-paid", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(not_paid.output)))
    assert [(r["category"], float(r["kg_co2e"])) for r in rows] == [
        ("1", 300.0), ("4", 150.0), ("9", 150.0), ("", 5400.0),
    ]  # fmt: skip
    table = run(*REPORT, "--view", "scope3")
    assert table.exit_code == 0 and "| 1 | Purchased goods and services |" in table.output


def test_the_esrs_view_is_in_tonnes_with_scope_1_and_2_left_empty(index: Engine) -> None:  # noqa: F811
    md = run(*REPORT, "--view", "esrs", "--format", "markdown")
    assert md.exit_code == 0, md.output
    assert "| Gross Scope 1 GHG emissions | 1 |  | n/a |" in md.output
    assert "**0.600000**" in md.output  # Scope 3 covered: 600 kg
    data = json.loads(run(*REPORT, "--view", "esrs", "--format", "json").output)
    assert data["factor_set_version"] == "partledger-factors 2026.1"
    assert data["avoided_t_co2e"] == pytest.approx(5.4)


def test_the_chart_option_writes_the_month_or_hub_chart(index: Engine, tmp_path: Path) -> None:  # noqa: F811
    svg = tmp_path / "months.svg"
    result = run(*REPORT, "--by", "month", "--format", "csv", "--chart", str(svg))
    assert result.exit_code == 0, result.output
    assert "2026-01" in svg.read_text() and "avoided" in svg.read_text()
    png = tmp_path / "hubs.png"
    assert run(*REPORT, "--by", "hub", "--chart", str(png)).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    for args, message in (
        (("--chart", str(svg)), "--chart needs --by month"),
        (("--by", "hub", "--chart", str(tmp_path / "x.pdf")), "must end in .svg or .png"),
        (("--format", "markdown"), "--format markdown is for --view scope3 or esrs"),
    ):
        refused = run(*REPORT, *args)
        assert refused.exit_code == EXIT_USAGE, args
        assert message in refused.output, refused.output
