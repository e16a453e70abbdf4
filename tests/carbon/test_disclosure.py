"""Scope 3 / ESRS E1 views: hand-checkable sums, avoided never netted, output shapes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpers.carbon_rows import Row
from partledger.carbon.disclosure import (
    CATEGORY_NAMES,
    E1Disclosure,
    Scope3View,
    e1_disclosure,
    scope3_view,
)

# Hand-checkable: actual = electricity + feedstock + last mile; avoided = baseline - actual.
JAN = Row("2026-01", 2, 100.0, 30.0, 70.0, 120.0, 10.0, 15.0, 5.0)
FEB = Row("2026-02", 1, 50.0, 20.0, 30.0, 60.0, 8.0, 8.0, 4.0)
LOSS = Row("2026-03", 1, 10.0, 25.0, -15.0, 25.0, 20.0, 3.0, 2.0)


def _line(view: Scope3View, category: int) -> float:
    return next(line.kg_co2e for line in view.lines if line.category == category)


def test_scope3_maps_electricity_to_category_1_and_transport_to_category_4_by_default() -> None:
    view = scope3_view([JAN, FEB])
    assert [line.category for line in view.lines] == [1, 4]
    assert _line(view, 1) == 18.0  # 10 + 8
    assert _line(view, 4) == 32.0  # feedstock 15 + 8, last mile 5 + 4
    assert view.total_kg_co2e == 50.0  # = actual 30 + 20
    assert view.prints == 3
    assert view.keys == ("2026-01", "2026-02")
    assert view.lines[0].category_name == CATEGORY_NAMES[1] == "Purchased goods and services"
    assert view.last_mile_paid_by_reporting_company is True


def test_scope3_puts_last_mile_in_category_9_when_the_customer_pays() -> None:
    view = scope3_view([JAN, FEB], last_mile_paid_by_reporting_company=False)
    assert [line.category for line in view.lines] == [1, 4, 9]
    assert _line(view, 4) == 23.0
    assert _line(view, 9) == 9.0
    assert view.lines[2].category_name == "Downstream transportation and distribution"
    assert view.total_kg_co2e == 50.0


def test_avoided_emissions_are_reported_beside_the_inventory_never_netted() -> None:
    view = scope3_view([JAN, FEB, LOSS])
    assert view.total_kg_co2e == 75.0  # actual 30 + 20 + 25, no avoided deducted
    assert view.avoided.avoided_kg_co2e == 85.0  # 70 + 30 - 15 (a loss stays a loss)
    assert view.avoided.baseline_kg_co2e == 160.0
    assert view.avoided.actual_kg_co2e == 75.0
    for line in view.lines:
        assert line.kg_co2e >= 0


def test_default_share_is_default_kg_over_baseline_plus_actual() -> None:
    view = scope3_view([JAN, FEB])
    assert view.default_share == pytest.approx(180.0 / 200.0)
    empty = scope3_view([Row(None, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)])
    assert empty.default_share is None


def test_total_row_mixed_with_grouped_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="total row"):
        scope3_view([Row(None, 3, 150.0, 50.0, 100.0, 0.0, 18.0, 23.0, 9.0), JAN])
    with pytest.raises(ValueError, match="repeat a key"):
        scope3_view([JAN, JAN])


def test_e1_table_is_in_tonnes_with_scope_1_and_2_left_empty() -> None:
    table = e1_disclosure([JAN, FEB], factor_set_version="partledger-factors 2026.1")
    assert isinstance(table, E1Disclosure)
    by_label = {line.label: line for line in table.lines}
    assert by_label["Gross Scope 1 GHG emissions"].t_co2e is None
    assert by_label["Gross location-based Scope 2 GHG emissions"].t_co2e is None
    cat1 = by_label["Scope 3 category 1: Purchased goods and services"]
    cat4 = by_label["Scope 3 category 4: Upstream transportation and distribution"]
    assert cat1.t_co2e == pytest.approx(0.018)
    assert cat4.t_co2e == pytest.approx(0.032)
    assert table.scope3_covered_t_co2e == pytest.approx(0.050)
    assert table.avoided_t_co2e == pytest.approx(0.100)
    assert table.baseline_t_co2e == pytest.approx(0.150)
    assert table.prints == 3


def test_e1_gross_total_does_not_move_when_avoided_changes() -> None:
    more_avoided = Row("2026-01", 2, 1000.0, 30.0, 970.0, 120.0, 10.0, 15.0, 5.0)
    a = e1_disclosure([JAN, FEB], factor_set_version="v")
    b = e1_disclosure([more_avoided, FEB], factor_set_version="v")
    assert a.scope3_covered_t_co2e == b.scope3_covered_t_co2e
    assert b.avoided_t_co2e == pytest.approx(1.0)


def test_e1_notes_state_method_factor_set_and_default_share() -> None:
    table = e1_disclosure([JAN, FEB], factor_set_version="partledger-factors 2026.1")
    notes = "\n".join(table.notes)
    assert "ISO 14083:2023 / GLEC Framework v3 method" in notes
    assert "partledger-factors 2026.1" in notes
    assert "90.0 %" in notes  # 180 / 200
    assert "not deducted" in notes
    assert table.standard.startswith("ESRS E1")
    assert "E1-6" in table.standard


def test_scope3_csv_has_one_row_per_category_and_a_memo_row() -> None:
    rows = list(csv.DictReader(io.StringIO(scope3_view([JAN, FEB]).to_csv())))
    assert [r["category"] for r in rows] == ["1", "4", ""]
    assert [float(r["kg_co2e"]) for r in rows] == [18.0, 32.0, 100.0]
    assert [r["inventory"] for r in rows] == ["true", "true", "false"]
    assert rows[1]["components"] == "feedstock_transport+last_mile_transport"


def test_e1_csv_marks_avoided_as_not_gross() -> None:
    table = e1_disclosure([JAN, FEB], factor_set_version="v")
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert rows[0]["t_co2e"] == ""  # Scope 1: not covered, empty, not zero
    memo = rows[-1]
    assert memo["gross"] == "false"
    assert float(memo["t_co2e"]) == pytest.approx(0.1)
    assert float(rows[-2]["t_co2e"]) == pytest.approx(0.05)


def test_json_outputs_round_trip_the_dataclasses() -> None:
    view = scope3_view([JAN, FEB])
    data = json.loads(view.to_json())
    assert data["total_kg_co2e"] == 50.0
    assert data["avoided"]["avoided_kg_co2e"] == 100.0
    assert [line["category"] for line in data["lines"]] == [1, 4]
    table = json.loads(e1_disclosure([JAN, FEB], factor_set_version="v").to_json())
    assert table["factor_set_version"] == "v"
    assert table["lines"][0]["t_co2e"] is None


def test_markdown_tables_show_inventory_and_separate_avoided_table() -> None:
    text = scope3_view([JAN, FEB]).to_markdown()
    assert "| 1 | Purchased goods and services | print_electricity | 18.000 |" in text
    assert "**Total (inventory)** | | **50.000**" in text
    assert "| 150.000 | 50.000 | 100.000 |" in text
    e1 = e1_disclosure([JAN, FEB], factor_set_version="v").to_markdown()
    assert "| Gross Scope 1 GHG emissions | 1 |  | n/a |" in e1
    assert "| 0.018000 |" in e1
    assert "not deducted" in e1
