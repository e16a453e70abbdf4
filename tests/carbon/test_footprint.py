"""Worked examples: every expected figure is written as arithmetic on the published values."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from partledger.carbon import (
    METHOD,
    Actual,
    Baseline,
    CarbonError,
    Coordinates,
    FootprintCalculator,
    InvalidMass,
    Leg,
    MissingDistance,
    MissingFactor,
    Mode,
    PrintEnergyUnknown,
    Tier,
    UnknownGridCountry,
    UnknownLocode,
    compute_footprint,
    default_factor_set,
    great_circle_km,
    load_factor_set,
)
from partledger.carbon.factors import default_data_dir

# DESNZ/DEFRA GHG conversion factors 2025, kg CO2e per tonne.km: "Freighting goods" (TTW)
# + "WTT- delivery vehs & freight" (WTT), x 1000 for g per tonne-km.
HGV = (0.10163 + 0.02359) * 1000  # HGV (all diesel), All HGVs, Average laden
CONTAINER = (0.01612 + 0.00365) * 1000  # Cargo ship, Container ship, Average
VAN = (0.6313 + 0.15095) * 1000  # Vans, Average (up to 3.5 tonnes), Diesel
AIR_INTL = (0.5313 + 0.13516) * 1000  # Freight flights, International, to/from non-UK, w/o RF
# OWID energy-data carbon_intensity_elec 2024, g CO2e/kWh
GRID_SG = 498.740
GRID_IT = 281.400
# GRS 80 mean radius R1 (Moritz 2000), km
R1 = 6371.0087714

FS = default_factor_set()


def road(
    origin: str, destination: str, km: float, key: str = "road.hgv_all_diesel.average_laden"
) -> Leg:
    return Leg(Mode.ROAD, key, origin, destination, km, Tier.PRIMARY)


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R1 * math.asin(math.sqrt(a))


# Frankfurt am Main "5007N 00841E" -> Changi "0119N 10400E" (UN/LOCODE 2023-2)
FRA_SIN_GCD = haversine(50 + 7 / 60, 8 + 41 / 60, 1 + 19 / 60, 104 + 0 / 60)


def sea_baseline(mass_kg: float = 4.0) -> Baseline:
    return Baseline(
        design_id="pump-impeller-r3",
        origin="DEFRA",
        legs=(
            road("DEFRA", "DEHAM", 492.0),
            Leg(Mode.SEA, "sea.container_ship.average", "DEHAM", "BRSSZ", 10_000.0, Tier.MODELLED),
            road("BRSSZ", "BRSAO", 75.0, "road.van_average_diesel"),
        ),
        shipped_mass_kg=mass_kg,
    )


def air_baseline(mass_kg: float = 2.5) -> Baseline:
    return Baseline(
        design_id="bracket-7",
        origin="DEFRA",
        legs=(Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "SGCHG"),),
        shipped_mass_kg=mass_kg,
    )


def singapore_actual(kwh: float | None = 12.5, tier: Tier | None = Tier.PRIMARY) -> Actual:
    return Actual(
        hub_locode="SGJUR",
        process="L-PBF",
        material="316L",
        print_energy_kwh=kwh,
        print_energy_tier=tier,
        feedstock_mass_kg=1.2,
        feedstock_legs=(road("SGPPT", "SGJUR", 14.0, "road.van_average_diesel"),),
        last_mile_legs=(road("SGJUR", "SGCHG", 32.0, "road.van_average_diesel"),),
        last_mile_mass_kg=1.1,
    )


def test_road_sea_road_chain_is_mass_times_distance_times_intensity_per_leg() -> None:
    f = compute_footprint(sea_baseline(), singapore_actual(), FS)
    legs = [leg for leg in f.legs if leg.component == "baseline_transport"]
    assert [leg.kg_co2e for leg in legs] == pytest.approx(
        [
            0.004 * 492.0 * HGV / 1000,
            0.004 * 10_000.0 * CONTAINER / 1000,
            0.004 * 75.0 * VAN / 1000,
        ]
    )
    assert [leg.tonne_km for leg in legs] == pytest.approx(
        [0.004 * 492, 0.004 * 10_000, 0.004 * 75]
    )
    assert f.baseline_kg_co2e == pytest.approx(
        0.004 * (492 * HGV + 10_000 * CONTAINER + 75 * VAN) / 1000
    )
    assert [leg.distance_basis for leg in legs] == ["declared"] * 3
    assert [leg.distance_tier for leg in legs] == [Tier.PRIMARY, Tier.MODELLED, Tier.PRIMARY]


def test_air_leg_takes_the_great_circle_distance_with_the_uplift_inside_the_defra_factor() -> None:
    assert 10_000 < FRA_SIN_GCD < 10_500  # Frankfurt-Singapore is about 10,300 km
    f = compute_footprint(air_baseline(), singapore_actual(), FS)
    [leg] = [leg for leg in f.legs if leg.component == "baseline_transport"]
    assert leg.distance_basis == "great_circle"
    assert leg.distance_tier is Tier.MODELLED
    # DEFRA's 8 % GCD uplift is already in the factor: no further adjustment on the distance
    assert leg.distance_km == pytest.approx(FRA_SIN_GCD, rel=1e-12)
    assert leg.kg_co2e == pytest.approx(0.0025 * FRA_SIN_GCD * AIR_INTL / 1000)
    assert f.baseline_kg_co2e == pytest.approx(0.0025 * FRA_SIN_GCD * AIR_INTL / 1000)


def test_an_air_distance_rule_with_an_additive_term_is_applied_to_the_great_circle(
    tmp_path: Path,
) -> None:
    # A factor set whose air rule were GLEC's "GCD + 95 km" (research doc 1.4); test data only.
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    method = json.loads((data / "method.json").read_text())
    [air] = [r for r in method["distance_rules"] if r["mode"] == "air"]
    air["additive_km"] = 95.0
    (data / "method.json").write_text(json.dumps(method))
    f = compute_footprint(air_baseline(), singapore_actual(), load_factor_set(data))
    assert f.legs[0].distance_km == pytest.approx(FRA_SIN_GCD + 95.0)
    assert f.baseline_kg_co2e == pytest.approx(0.0025 * (FRA_SIN_GCD + 95.0) * AIR_INTL / 1000)


def test_great_circle_is_haversine_on_the_grs80_mean_radius() -> None:
    assert great_circle_km(0.0, 0.0, 0.0, 90.0, R1) == pytest.approx(R1 * math.pi / 2)
    assert great_circle_km(10.0, 20.0, 10.0, 20.0, R1) == 0.0
    assert great_circle_km(0.0, 0.0, 0.0, 180.0, R1) == pytest.approx(R1 * math.pi)


def test_electricity_is_measured_kwh_times_the_hub_country_grid_intensity() -> None:
    f = compute_footprint(sea_baseline(), singapore_actual(kwh=12.5), FS)
    [electricity] = [c for c in f.components if c.name == "print_electricity"]
    assert electricity.kg_co2e == pytest.approx(12.5 * GRID_SG / 1000)
    assert electricity.tier is Tier.PRIMARY
    assert dict(electricity.detail)["grid_country"] == "SG"


def test_actual_is_electricity_plus_feedstock_plus_last_mile_and_avoided_is_the_difference() -> (
    None
):
    f = compute_footprint(sea_baseline(), singapore_actual(kwh=12.5), FS)
    electricity = 12.5 * GRID_SG / 1000
    feedstock = 0.0012 * 14.0 * VAN / 1000
    last_mile = 0.0011 * 32.0 * VAN / 1000
    baseline = 0.004 * (492 * HGV + 10_000 * CONTAINER + 75 * VAN) / 1000
    assert f.actual_kg_co2e == pytest.approx(electricity + feedstock + last_mile)
    assert f.avoided_kg_co2e == pytest.approx(baseline - (electricity + feedstock + last_mile))
    assert f.avoided_kg_co2e == f.baseline_kg_co2e - f.actual_kg_co2e
    assert f.method == METHOD == "ISO 14083:2023 / GLEC Framework v3 method"
    assert f.factor_set_version == "partledger-factors 2026.1"


def test_avoided_can_be_negative_when_printing_costs_more_than_the_shipment() -> None:
    short = Baseline("tiny", "ITGOA", (road("ITGOA", "ITERO", 150.0),), 0.2)
    milan = Actual(
        hub_locode="ITERO",
        process="SLS",
        material="PA12",
        print_energy_kwh=40.0,
        print_energy_tier=Tier.PRIMARY,
        feedstock_mass_kg=0.3,
        feedstock_legs=(),
        last_mile_legs=(road("ITERO", "ITCIB", 12.0, "road.van_average_diesel"),),
        last_mile_mass_kg=0.2,
    )
    f = compute_footprint(short, milan, FS)
    assert f.baseline_kg_co2e == pytest.approx(0.0002 * 150 * HGV / 1000)
    assert f.actual_kg_co2e == pytest.approx(40 * GRID_IT / 1000 + 0.0002 * 12 * VAN / 1000)
    assert f.avoided_kg_co2e < 0


def test_tiers_and_the_share_resting_on_default_data() -> None:
    f = compute_footprint(sea_baseline(), singapore_actual(kwh=12.5), FS)
    assert {leg.tier for leg in f.legs} == {Tier.DEFAULT}
    tiers = {c.name: c.tier for c in f.components}
    assert tiers == {
        "baseline_transport": Tier.DEFAULT,
        "print_electricity": Tier.PRIMARY,
        "feedstock_transport": Tier.DEFAULT,
        "last_mile_transport": Tier.DEFAULT,
    }
    electricity = 12.5 * GRID_SG / 1000
    transport_actual = 0.0012 * 14.0 * VAN / 1000 + 0.0011 * 32.0 * VAN / 1000
    baseline = 0.004 * (492 * HGV + 10_000 * CONTAINER + 75 * VAN) / 1000
    assert f.baseline_default_share == pytest.approx(1.0)
    assert f.actual_default_share == pytest.approx(
        transport_actual / (transport_actual + electricity)
    )
    assert f.default_share == pytest.approx(
        (baseline + transport_actual) / (baseline + transport_actual + electricity)
    )


def test_modelled_print_energy_keeps_its_tier() -> None:
    f = compute_footprint(sea_baseline(), singapore_actual(tier=Tier.MODELLED), FS)
    assert {c.name: c.tier for c in f.components}["print_electricity"] is Tier.MODELLED


def test_calculator_prices_a_design_baseline_once_and_reuses_leg_distances() -> None:
    calc = FootprintCalculator(FS)
    first = calc.for_print(air_baseline(), singapore_actual(kwh=10.0))
    second = calc.for_print(air_baseline(), singapore_actual(kwh=20.0))
    assert first.legs[0] is second.legs[0]
    assert second.actual_kg_co2e - first.actual_kg_co2e == pytest.approx(10 * GRID_SG / 1000)


def test_coordinates_can_stand_in_for_a_locode() -> None:
    leg = Leg(Mode.AIR, "air.international_non_uk", Coordinates(50 + 7 / 60, 8 + 41 / 60), "SGCHG")
    f = compute_footprint(Baseline("c", "DEFRA", (leg,), 1.0), singapore_actual(), FS)
    assert f.legs[0].distance_km == pytest.approx(FRA_SIN_GCD, rel=1e-12)


# -- bad input -----------------------------------------------------------------


def test_unknown_locode_is_refused_naming_it() -> None:
    leg = Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "XXQQQ")
    with pytest.raises(UnknownLocode, match="XXQQQ"):
        compute_footprint(Baseline("d", "DEFRA", (leg,), 1.0), singapore_actual(), FS)


def test_unknown_hub_locode_is_refused() -> None:
    actual = singapore_actual()
    bad = Actual(
        **{**{f: getattr(actual, f) for f in Actual.__dataclass_fields__}, "hub_locode": "SGZZZ"}
    )
    with pytest.raises(UnknownLocode, match="SGZZZ"):
        compute_footprint(sea_baseline(), bad, FS)


@pytest.mark.parametrize("mass", [-1.0, 0.0, math.nan, math.inf])
def test_non_positive_or_non_finite_mass_is_refused_naming_the_mass(mass: float) -> None:
    with pytest.raises(InvalidMass, match="shipped_mass_kg"):
        sea_baseline(mass_kg=mass)


def test_negative_feedstock_mass_is_refused() -> None:
    with pytest.raises(InvalidMass, match="feedstock_mass_kg"):
        Actual("SGJUR", "L-PBF", "316L", 1.0, Tier.PRIMARY, -0.5, (), (), 1.0)


def test_a_vehicle_class_without_a_factor_is_refused_naming_mode_and_class() -> None:
    leg = Leg(Mode.RAIL, "rail.electric_eu", "DEHAM", "DEFRA", 500.0, Tier.PRIMARY)
    with pytest.raises(MissingFactor, match=r"'rail'.*'rail\.electric_eu'") as caught:
        compute_footprint(Baseline("d", "DEHAM", (leg,), 1.0), singapore_actual(), FS)
    assert caught.value.mode == "rail"
    assert caught.value.vehicle_class == "rail.electric_eu"


def test_a_factor_of_another_mode_is_refused() -> None:
    leg = Leg(Mode.SEA, "road.hgv_all_diesel.average_laden", "DEHAM", "BRSSZ", 10.0, Tier.PRIMARY)
    with pytest.raises(MissingFactor, match="for mode 'road'"):
        compute_footprint(Baseline("d", "DEHAM", (leg,), 1.0), singapore_actual(), FS)


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        (Mode.ROAD, "road.hgv_all_diesel.average_laden"),
        (Mode.SEA, "sea.container_ship.average"),
        (Mode.RAIL, "rail.freight_train"),
    ],
)
def test_a_surface_leg_without_a_declared_distance_is_refused(mode: Mode, key: str) -> None:
    leg = Leg(mode, key, "DEHAM", "DEFRA")
    with pytest.raises(MissingDistance, match=rf"{mode.value} leg DEHAM -> DEFRA"):
        compute_footprint(Baseline("d", "DEHAM", (leg,), 1.0), singapore_actual(), FS)


def test_a_declared_distance_needs_its_tier() -> None:
    with pytest.raises(CarbonError, match="distance_tier"):
        Leg(Mode.ROAD, "road.van_average_diesel", "SGJUR", "SGCHG", 30.0)
    with pytest.raises(CarbonError, match="distance_tier"):
        Leg(Mode.ROAD, "road.van_average_diesel", "SGJUR", "SGCHG", 30.0, Tier.DEFAULT)


def test_missing_print_energy_is_refused_naming_process_and_material() -> None:
    with pytest.raises(PrintEnergyUnknown, match=r"'L-PBF'.*'316L'") as caught:
        singapore_actual(kwh=None)
    assert (caught.value.process, caught.value.material) == ("L-PBF", "316L")


def test_print_energy_without_a_measured_or_modelled_tier_is_refused() -> None:
    with pytest.raises(PrintEnergyUnknown):
        singapore_actual(kwh=3.0, tier=None)


def test_a_hub_country_without_a_grid_factor_is_refused() -> None:
    actual = singapore_actual()
    fields = {f: getattr(actual, f) for f in Actual.__dataclass_fields__}
    with pytest.raises(UnknownGridCountry, match="'FR'"):
        compute_footprint(sea_baseline(), Actual(**{**fields, "hub_country": "FR"}), FS)


def test_errors_are_partledger_and_value_errors() -> None:
    from partledger.errors import PartLedgerError

    for error in (UnknownLocode, MissingFactor, InvalidMass, MissingDistance, PrintEnergyUnknown):
        assert issubclass(error, CarbonError)
        assert issubclass(error, PartLedgerError)
        assert issubclass(error, ValueError)


def test_calculator_caches_stay_bounded() -> None:
    calc = FootprintCalculator(FS)
    calc.max_cached = 3
    for km in range(1, 10):
        baseline = Baseline(f"d{km}", "ITGOA", (road("ITGOA", "ITERO", float(km)),), 1.0)
        f = calc.for_print(baseline, singapore_actual())
        assert f.baseline_kg_co2e == pytest.approx(0.001 * km * HGV / 1000)
    assert len(calc._legs) <= 3
    assert len(calc._baselines) <= 3
