"""Charts: valid SVG and PNG, accessible text, deterministic SVG bytes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from helpers.carbon_rows import Row
from partledger.carbon.charts import avoided_by_hub_chart, avoided_by_month_chart

SVG = "{http://www.w3.org/2000/svg}"
HUB_A = "0x" + "a1" * 20
HUB_B = "0x" + "b2" * 20


MONTHS = [
    Row("2026-02", 1, 50.0, 20.0, 30.0, 60.0, 8.0, 8.0, 4.0),
    Row("2026-01", 2, 100.0, 30.0, 70.0, 120.0, 10.0, 15.0, 5.0),
]
HUBS = [
    Row(HUB_B, 1, 10.0, 25.0, -15.0, 25.0, 20.0, 3.0, 2.0),
    Row(HUB_A, 2, 100.0, 30.0, 70.0, 120.0, 10.0, 15.0, 5.0),
]


def _texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (bytes we just rendered)
    assert root.tag == SVG + "svg"
    return ["".join(el.itertext()) for el in root.iter(SVG + "text")]


def test_month_chart_is_svg_with_title_units_and_values_as_text() -> None:
    texts = _texts(avoided_by_month_chart(MONTHS))
    joined = " ".join(texts)
    assert "Avoided CO2e per month" in joined
    assert "Emissions (kg CO2e)" in texts
    assert "Month (YYYY-MM)" in texts
    for value in ("100.0", "30.0", "50.0", "20.0", "avoided 70.0", "avoided 30.0"):
        assert value in texts
    assert "Baseline (shipment)" in texts and "Actual (printed)" in texts
    assert texts.index("2026-01") < texts.index("2026-02")  # months in order


def test_month_chart_tells_baseline_from_actual_by_hatch_not_only_colour() -> None:
    svg = avoided_by_month_chart(MONTHS).decode()
    assert "<pattern" in svg  # the baseline bars are hatched


def test_hub_chart_shortens_addresses_and_labels_avoided_and_prints() -> None:
    texts = _texts(avoided_by_hub_chart(HUBS))
    assert "Avoided emissions (kg CO2e)" in texts
    assert "Avoided CO2e per hub (baseline - actual)" in texts
    assert "70.0 (2 prints)" in texts
    assert "-15.0 (1 print)" in texts
    assert f"{HUB_A[:8]}…{HUB_A[-4:]}" in texts
    assert texts.index(f"{HUB_A[:8]}…{HUB_A[-4:]}") < texts.index(f"{HUB_B[:8]}…{HUB_B[-4:]}")


@pytest.mark.parametrize("chart", [avoided_by_month_chart, avoided_by_hub_chart])
def test_svg_is_deterministic(chart: object) -> None:
    rows = MONTHS if chart is avoided_by_month_chart else HUBS
    first = chart(rows)  # type: ignore[operator]
    second = chart(list(reversed(rows)))  # type: ignore[operator]
    assert first == second
    assert b"<dc:date>" not in first


@pytest.mark.parametrize("chart", [avoided_by_month_chart, avoided_by_hub_chart])
def test_png_has_magic_and_a_sensible_size(chart: object) -> None:
    rows = MONTHS if chart is avoided_by_month_chart else HUBS
    png = chart(rows, "png")  # type: ignore[operator]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        assert image.format == "PNG"
    assert width >= 600 and height >= 250


def test_empty_rows_draw_a_message_instead_of_failing() -> None:
    assert "No prints in the period" in _texts(avoided_by_month_chart([]))
    assert "No prints in the period" in _texts(avoided_by_hub_chart([]))


def test_total_rows_and_unknown_formats_are_refused() -> None:
    total = Row(None, 3, 150.0, 50.0, 100.0, 180.0, 18.0, 23.0, 9.0)
    with pytest.raises(ValueError, match="grouped by month"):
        avoided_by_month_chart([total])
    with pytest.raises(ValueError, match="repeat"):
        avoided_by_hub_chart([HUBS[0], HUBS[0]])
    with pytest.raises(ValueError, match="svg"):
        avoided_by_month_chart(MONTHS, "pdf")  # type: ignore[arg-type]
