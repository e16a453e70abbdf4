"""``partledger demo``'s carbon network: every print verified (footprint and signed baseline),
declared distances are the great circles between the UN/LOCODEs, the chart files parse, and the
numbers README.md and docs/carbon.md quote are the ones the demo prints."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partledger.carbon import default_factor_set, great_circle_km
from partledger.chain.local import LocalChain, free_port
from partledger.cli import app

ROOT = Path(__file__).resolve().parents[2]
README_SECTION = "## Logistics carbon: what the demo network says"
DOCS_SECTION = "## Demo network"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class DemoRun:
    carbon: dict[str, Any]
    """The ``carbon`` part of ``partledger --json demo``."""
    human: str
    """The output of ``partledger demo`` (a second run on the same data directory)."""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    tmp = tmp_path_factory.mktemp("carbon-demo")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARTLEDGER_DATA_DIR", str(tmp / "data"))
        mp.setenv("PARTLEDGER_CHAIN_PORT", str(free_port()))
        mp.setenv("PARTLEDGER_PASSPHRASE", "correct horse battery staple")
        mp.setenv("COLUMNS", "250")
        mp.delenv("PARTLEDGER_RPC_URL", raising=False)
        try:
            as_json = runner.invoke(app, ["--json", "demo"])
            assert as_json.exit_code == 0, as_json.output
            human = runner.invoke(app, ["demo"])
            assert human.exit_code == 0, human.output
            yield DemoRun(json.loads(as_json.stdout)["carbon"], human.output)
        finally:
            LocalChain(tmp / "data" / "chain").stop()


def test_every_carbon_print_is_verified_with_its_footprint_and_signed_baseline(
    run: DemoRun,
) -> None:
    prints = run.carbon["prints"]
    assert len(prints) == 16 and run.carbon["verified"] is True
    assert {p["hub"] for p in prints} == {"ITERO", "SGJUR", "BRSAO", "USBAL"}
    for entry in prints:
        assert entry["verified"], entry
        assert entry["claims"]["carbon.footprint"] is True, entry
        assert entry["claims"]["carbon.baseline"] is True, entry
        assert all(entry["claims"].values()), entry
    assert "every print VERIFIED" in run.human
    assert run.carbon["total"]["prints"] == 16


def test_declared_distances_are_great_circles_between_the_locodes(run: DemoRun) -> None:
    factors = default_factor_set()

    def gc(a: str, b: str) -> float:
        x, y = factors.location(a), factors.location(b)
        return great_circle_km(x.latitude, x.longitude, y.latitude, y.longitude,
                               factors.earth_radius_km)  # fmt: skip

    legs = run.carbon["legs"]
    assert {leg["mode"] for leg in legs} == {"air", "road", "sea"}
    for leg in legs:
        assert leg["tier"] == "modelled", leg
        if leg["mode"] == "air":
            assert leg["basis"] == "great_circle", leg
            assert leg["km"] == pytest.approx(gc(leg["from"], leg["to"]), rel=1e-12)
        else:
            assert leg["basis"] == "declared", leg
            assert leg["km"] == round(gc(leg["from"], leg["to"]), 1), leg


def test_the_print_energy_is_shown_as_an_illustrative_input(run: DemoRun) -> None:
    assert run.carbon["assumptions"]["print_energy_kwh"] == 5.0
    assert "illustrative" in run.carbon["assumptions"]["print_energy_note"]
    assert "5 kWh per part — an ILLUSTRATIVE input, not a measured value" in run.human


def test_the_chart_files_exist_and_parse_and_the_esrs_table_is_written(run: DemoRun) -> None:
    svg, png = Path(run.carbon["charts"]["svg"]), Path(run.carbon["charts"]["png"])
    assert f"chart (svg): {svg}" in run.human and f"chart (png): {png}" in run.human
    root = ET.fromstring(svg.read_bytes())  # noqa: S314 (our own file)
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for hub in ("ITERO Italy", "SGJUR Singapore", "BRSAO Brazil", "USBAL USA"):
        assert hub in texts
    assert png.read_bytes().startswith(PNG_MAGIC)
    esrs = Path(run.carbon["esrs_e1"]).read_text()
    assert "ESRS E1" in esrs and "Scope 3 category 4" in esrs
    assert "| Gross Scope 1 GHG emissions | 1 |  | n/a |" in run.human


# -- the documented numbers -----------------------------------------------------------------
def _section(path: Path, heading: str) -> str:
    text = path.read_text()
    assert heading in text, f"{path.name} has no section {heading!r}"
    body = text.split(heading, 1)[1]
    return re.split(r"\n## ", body, maxsplit=1)[0]


def _table_rows(section: str) -> dict[str, list[str]]:
    """Markdown table rows of ``section`` by their first cell (header and rule rows too)."""
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def _num(cell: str) -> float | None:
    if cell in ("none", "-"):
        return None
    return float(re.sub(r"[^0-9.\-]", "", cell))


def _check(cells: list[str], figures: dict[str, Any]) -> None:
    """``| label | baseline kg | actual kg | avoided kg | transport-only % | avoided % |
    break-even kWh | default % |`` against the demo's figures, to the rounding shown."""
    baseline, actual, avoided, transport, pct, kwh, default = (_num(c) for c in cells[:7])
    assert baseline == round(figures["baseline_kg"], 3)
    assert actual == round(figures["actual_kg"], 3)
    assert avoided == round(figures["avoided_kg"], 3)
    assert transport == round(figures["transport_avoided_pct"], 1)
    assert pct == round(figures["avoided_pct"], 1)
    expected_kwh = figures["break_even_kwh"]
    assert kwh == (None if expected_kwh is None else round(expected_kwh, 1))
    assert default == round(figures["default_share_pct"], 1)


def test_the_readme_numbers_are_the_ones_the_demo_prints(run: DemoRun) -> None:
    section = _section(ROOT / "README.md", README_SECTION)
    rows = _table_rows(section)
    scenarios = run.carbon["scenarios"]
    _check(rows["Air"], scenarios["air"])
    _check(rows["Surface"], scenarios["surface"])
    _check(rows["Both"], run.carbon["total"])
    # the prose quotes the same transport-only and with-electricity percentages
    for key in ("air", "surface"):
        f = scenarios[key]
        for value in (f["transport_avoided_pct"], f["avoided_pct"]):
            assert f"{value:.1f} %" in section, (key, value)
            assert f"{value:.1f} %" in run.human
    # and the demo's summary lines say them too
    air = scenarios["air"]
    assert (f"air baseline: transport only, avoided {air['transport_avoided_pct']:.1f} % "
            f"of the baseline's logistics emissions") in run.human  # fmt: skip


def test_the_docs_per_hub_numbers_are_the_ones_the_demo_prints(run: DemoRun) -> None:
    rows = _table_rows(_section(ROOT / "docs" / "carbon.md", DOCS_SECTION))
    for row in run.carbon["rows"]:
        label = f"{row['hub']} {row['scenario']}"
        assert label in rows, f"docs/carbon.md lacks the row {label!r}"
        _check(rows[label], row)
