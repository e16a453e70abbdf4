"""The shipped factor set: every entry sourced, the loader refuses one that is not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from partledger.carbon import (
    InvalidFactorData,
    Mode,
    ddmm_to_decimal,
    default_factor_set,
    load_factor_set,
)
from partledger.carbon.factors import DATA_FILES, default_data_dir

LISTS = {
    "transport_factors.json": ("factors",),
    "grid_intensities.json": ("grid",),
    "locations.json": ("locations",),
    "method.json": ("constants", "distance_rules"),
}


def _entries() -> list[tuple[str, str, int, dict[str, Any]]]:
    found = []
    for name in DATA_FILES:
        document = json.loads((default_data_dir() / name).read_text(encoding="utf-8"))
        for list_name in LISTS[name]:
            for index, entry in enumerate(document[list_name]):
                found.append((name, list_name, index, entry))
    return found


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    return target


def _edit(directory: Path, name: str, edit: Any) -> None:
    path = directory / name
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_every_data_file_names_the_same_factor_set_and_method() -> None:
    for name in DATA_FILES:
        document = json.loads((default_data_dir() / name).read_text(encoding="utf-8"))
        assert document["factor_set"] == "partledger-factors 2026.1"
        assert document["method"] == "ISO 14083:2023 / GLEC Framework v3 method"


@pytest.mark.parametrize(("name", "list_name", "index", "entry"), _entries())
def test_every_entry_has_source_year_section_and_scope(
    name: str, list_name: str, index: int, entry: dict[str, Any]
) -> None:
    for field in ("source", "year", "section", "scope"):
        assert entry.get(field), f"{name} {list_name}[{index}] lacks {field}"
    for field in ("document", "publisher", "year", "section"):
        assert entry["source"].get(field), f"{name} {list_name}[{index}] source lacks {field}"


def test_every_transport_factor_is_wtw_from_one_ttw_and_one_wtt_published_row() -> None:
    document = json.loads((default_data_dir() / "transport_factors.json").read_text())
    for entry in document["factors"]:
        scopes = sorted(c["scope"] for c in entry["components"])
        assert scopes == ["TTW", "WTT"]
        for component in entry["components"]:
            source = component["source"]
            assert source["row_id"] in source["row_verbatim"]
            assert component["value_as_published"] in source["row_verbatim"]
            assert source["read_from"]["commit"]
        total = sum(float(c["value_as_published"]) for c in entry["components"])
        assert entry["value"] == pytest.approx(total * 1000, rel=1e-12)


def test_shipped_factor_set_loads_with_the_expected_keys() -> None:
    fs = default_factor_set()
    assert fs.version == "partledger-factors 2026.1"
    assert {"DEHAM", "DEFRA", "ITERO", "SGJUR", "SGCHG", "BRSAO", "USORD"} <= set(fs.locations)
    assert {"DE", "IT", "SG", "BR", "US"} <= set(fs.grid)
    modes = {f.mode for f in fs.transport.values()}
    assert modes == {Mode.ROAD, Mode.SEA, Mode.AIR, Mode.RAIL}
    # DESNZ/DEFRA 2025, "Freighting goods" + "WTT- delivery vehs & freight", kg CO2e per tonne.km
    assert fs.transport["road.hgv_all_diesel.average_laden"].g_per_tkm == pytest.approx(
        (0.10163 + 0.02359) * 1000
    )
    assert fs.transport["sea.container_ship.average"].g_per_tkm == pytest.approx(
        (0.01612 + 0.00365) * 1000
    )
    assert fs.transport["air.international_non_uk"].g_per_tkm == pytest.approx(
        (0.5313 + 0.13516) * 1000
    )
    # OWID energy-data carbon_intensity_elec, 2024
    assert fs.grid["SG"].g_per_kwh == 498.740
    assert fs.earth_radius_km == 6371.0087714


def test_no_per_process_print_energy_default_is_shipped() -> None:
    method = json.loads((default_data_dir() / "method.json").read_text())
    assert method["print_energy_defaults"] == []


def test_ddmm_coordinates_convert_as_degrees_plus_minutes_over_sixty() -> None:
    assert ddmm_to_decimal("5331N 00956E") == (53 + 31 / 60, 9 + 56 / 60)
    assert ddmm_to_decimal("2334S 04634W") == (-(23 + 34 / 60), -(46 + 34 / 60))
    with pytest.raises(InvalidFactorData):
        ddmm_to_decimal("53.5N 9.9E")


@pytest.mark.parametrize(("name", "list_name"), [(n, ln) for n in LISTS for ln in LISTS[n]])
def test_loader_refuses_an_entry_whose_source_field_was_removed(
    data_copy: Path, name: str, list_name: str
) -> None:
    _edit(data_copy, name, lambda d: d[list_name][0].pop("source"))
    with pytest.raises(InvalidFactorData, match="source"):
        load_factor_set(data_copy)


@pytest.mark.parametrize("field", ["year", "section", "scope"])
def test_loader_refuses_an_entry_without_year_section_or_scope(data_copy: Path, field: str) -> None:
    _edit(data_copy, "grid_intensities.json", lambda d: d["grid"][1].pop(field))
    with pytest.raises(InvalidFactorData, match=field):
        load_factor_set(data_copy)


def test_loader_refuses_a_source_without_its_section(data_copy: Path) -> None:
    _edit(data_copy, "locations.json", lambda d: d["locations"][0]["source"].pop("section"))
    with pytest.raises(InvalidFactorData, match="section"):
        load_factor_set(data_copy)


def test_loader_refuses_a_transport_component_without_its_source(data_copy: Path) -> None:
    _edit(
        data_copy,
        "transport_factors.json",
        lambda d: d["factors"][0]["components"][1].pop("source"),
    )
    with pytest.raises(InvalidFactorData, match="source"):
        load_factor_set(data_copy)


def test_loader_refuses_a_wtw_value_that_is_not_ttw_plus_wtt(data_copy: Path) -> None:
    def bump(d: dict[str, Any]) -> None:
        d["factors"][0]["value"] += 1.0

    _edit(data_copy, "transport_factors.json", bump)
    with pytest.raises(InvalidFactorData, match="TTW \\+ WTT"):
        load_factor_set(data_copy)


def test_loader_refuses_coordinates_that_are_not_the_published_ones_converted(
    data_copy: Path,
) -> None:
    def move(d: dict[str, Any]) -> None:
        d["locations"][0]["latitude"] += 0.01

    _edit(data_copy, "locations.json", move)
    with pytest.raises(InvalidFactorData, match="conversion"):
        load_factor_set(data_copy)


def test_loader_refuses_files_of_different_factor_set_versions(data_copy: Path) -> None:
    _edit(data_copy, "locations.json", lambda d: d.update(factor_set="partledger-factors 1999.1"))
    with pytest.raises(InvalidFactorData, match="version"):
        load_factor_set(data_copy)


def test_factor_set_digest_changes_with_the_data(data_copy: Path) -> None:
    assert load_factor_set(data_copy).digest == default_factor_set().digest
    _edit(data_copy, "grid_intensities.json", lambda d: d["notes"].append("x"))
    assert load_factor_set(data_copy).digest != default_factor_set().digest
