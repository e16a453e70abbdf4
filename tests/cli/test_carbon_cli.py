"""``partledger carbon report`` over an index holding footprints: table, CSV and JSON output,
an empty period, and refused input (usage exit with a clear message)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

import partledger.cli.carbon as cli_carbon
from partledger.cli import app
from partledger.cli.common import EXIT_USAGE
from partledger.index import IndexReader, open_database
from partledger.index import schema as s

JAN, FEB = 1_767_225_600, 1_769_904_000  # 2026-01-01, 2026-02-01 UTC
HUB_A, HUB_B = "aa" * 20, "bb" * 20
DESIGN = "11" * 32


def _row(n: int, when: int, hub: str) -> dict[str, Any]:
    return {
        "block_number": n, "log_index": 0, "leaf_index": -1, "block_time": when,
        "serial": n.to_bytes(32, "big"), "design_id": bytes.fromhex(DESIGN),
        "licence_id": bytes(32), "hub": bytes.fromhex(hub), "evidence_hash": bytes(32),
        "footprint_hash": bytes(32), "baseline_kg": 1000.0 * n, "actual_kg": 100.0 * n,
        "avoided_kg": 900.0 * n, "default_kg": 550.0 * n, "electricity_kg": 50.0 * n,
        "feedstock_kg": 25.0 * n, "last_mile_kg": 25.0 * n,
        "factor_set_version": "partledger-factors 2026.1", "status": "ingested",
        "detail": None, "attempts": 1, "checked_at": 0,
    }  # fmt: skip


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An index with three footprints (January: hub A 1 t, hub B 2 t; February: hub A 3 t of
    baseline), served to the command in place of the chain-synced one."""
    engine = open_database(f"sqlite:///{tmp_path / 'index.db'}")
    with engine.begin() as conn:
        conn.execute(
            s.print_footprints.insert(),
            [_row(1, JAN + 60, HUB_A), _row(2, JAN + 86_400, HUB_B), _row(3, FEB + 60, HUB_A)],
        )

    @contextmanager
    def open_ledger() -> Iterator[Any]:
        yield None

    @contextmanager
    def synced_index(_ledger: Any) -> Iterator[IndexReader]:
        yield IndexReader(engine)

    monkeypatch.setattr(cli_carbon, "open_ledger", open_ledger)
    monkeypatch.setattr(cli_carbon, "synced_index", synced_index)
    monkeypatch.setenv("COLUMNS", "200")
    yield engine
    engine.dispose()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


PERIOD = ("--from", "2026-01-01", "--to", "2026-02-28")


def test_the_report_table_shows_tonnes_avoided_share_and_default_share(index: Engine) -> None:
    result = run("carbon", "report", "--design", "0x" + DESIGN, *PERIOD, "--by", "month")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2026-01" in out and "2026-02" in out and "total" in out
    assert "3 prints" in out
    # totals: baseline 6 t, actual 0.6 t, avoided 5.4 t = 90 % of baseline, 50 % default data
    assert "6.000" in out and "0.600" in out and "5.400" in out
    assert "90.0 %" in out and "50.0 %" in out


def test_the_report_as_json_has_rows_and_totals(index: Engine) -> None:
    result = run("carbon", "report", "--hub", "0x" + HUB_A.upper(), *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["filters"] == {"hub": "0x" + HUB_A} and data["empty"] is False
    assert data["since_iso"] == "2026-01-01T00:00:00Z"
    assert data["until_iso"] == "2026-03-01T00:00:00Z"  # --to includes the whole day
    [row] = data["rows"]
    assert row["key"] is None and row["prints"] == 2
    assert row["baseline_kg"] == 4000.0 and row["avoided_t"] == pytest.approx(3.6)
    assert row["avoided_pct"] == 90.0 and row["default_share_pct"] == 50.0
    assert data["total"]["prints"] == 2
    # the global --json option gives the same document
    again = run("--json", "carbon", "report", "--hub", "0x" + HUB_A, *PERIOD)
    assert json.loads(again.output) == data


def test_the_report_as_csv_has_a_row_per_group_and_a_total(index: Engine) -> None:
    result = run(
        "carbon", "report", "--design", "0x" + DESIGN, *PERIOD, "--by", "hub", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["key"] for r in rows] == ["0x" + HUB_A, "0x" + HUB_B, "total"]
    assert [int(r["prints"]) for r in rows] == [2, 1, 3]
    assert float(rows[-1]["avoided_kg"]) == 5400.0


def test_a_period_without_prints_prints_an_empty_report(index: Engine) -> None:
    args = ("carbon", "report", "--design", "0x" + DESIGN, "--from", "2025-01-01", "--to",
            "2025-12-31")  # fmt: skip
    table = run(*args)
    assert table.exit_code == 0 and "empty report" in table.output
    assert "no prints with a footprint" in table.output
    data = json.loads(run(*args, "--format", "json").output)
    assert data["empty"] is True and data["rows"] == [] and data["total"]["prints"] == 0
    assert "no prints" in data["message"]
    csv_out = run(*args, "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.output.splitlines()[0].startswith("key,prints")
    assert len(csv_out.output.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--hub", "0x1234", *PERIOD), "not an address"),
        (("--oem", "nobody-here", *PERIOD), "nor a known identity"),
        (("--design", "0xabc", *PERIOD), "not a design id"),
        (("--hub", "0x" + HUB_A, "--from", "2026-13-01", "--to", "2026-12-31"), "not an ISO"),
        (("--hub", "0x" + HUB_A, "--from", "2026-02-01", "--to", "2026-01-01"), "before"),
        (PERIOD, "say whose prints"),
    ],
)
def test_bad_input_is_a_usage_error_with_a_clear_message(
    index: Engine, args: tuple[str, ...], message: str
) -> None:
    result = run("carbon", "report", *args)
    assert result.exit_code == EXIT_USAGE
    assert message in result.output


def test_an_unknown_grouping_or_format_is_refused(index: Engine) -> None:
    assert run("carbon", "report", "--hub", "0x" + HUB_A, *PERIOD, "--by", "week").exit_code == 2
    result = run("carbon", "report", "--hub", "0x" + HUB_A, *PERIOD, "--format", "xml")
    assert result.exit_code == 2
