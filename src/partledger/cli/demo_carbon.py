"""The demo's carbon network (issue 14): what printing near the customer does to logistics CO2e.

An OEM warehouse in Frankfurt (DEFRA) would otherwise ship each spare part to the customer by
air (``air.international_non_uk``) or by surface freight (road to Hamburg, container ship,
van to the customer; road only to Italy). Four hubs near customers (Italy, Singapore, Brazil,
USA) print the parts instead. The OEM declares one signed baseline per design and market and
names it in each licence's terms; every hub computes each print's footprint from it and
attests the print with it; the auditor re-verifies every print (``carbon.footprint`` and
``carbon.baseline`` included); the demo's own index sums the footprints
(``CarbonReports.carbon_totals``) per hub and baseline.

Every distance of a road or sea leg is the great-circle distance between the two UN/LOCODEs'
coordinates in the shipped factor set (``carbon.geo.great_circle_km``), declared with tier
``modelled``: real routes are longer, so baselines (and the van legs) are understated. Air legs
take the model's own air rule (great circle, the DEFRA factor carries the uplift). The print
energy, part, packaging and feedstock masses are illustrative inputs, not measurements.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from partledger.carbon import (
    Actual,
    Baseline,
    FactorSet,
    Footprint,
    Leg,
    Mode,
    Tier,
    default_factor_set,
    great_circle_km,
)
from partledger.carbon.charts import ChartFormat, avoided_by_hub_chart
from partledger.carbon.disclosure import e1_disclosure
from partledger.cli.format import Output, console, say, table
from partledger.crypto import Identity
from partledger.index import Indexer, IndexerConfig
from partledger.index.carbon_queries import CarbonReports, CarbonRow
from partledger.index.footprints import footprint_reader
from partledger.sdk import (
    Admin,
    Auditor,
    Certifier,
    DesignMetadata,
    Hub,
    Ledger,
    Oem,
    PrintInput,
    Role,
)
from partledger.sdk.batches import read_batch_document
from partledger.sdk.print_evidence import parse_print_evidence

__all__ = [
    "MARKETS",
    "PRINT_ENERGY_KWH",
    "CarbonNetwork",
    "Market",
    "air_baseline",
    "hub_actual",
    "print_carbon_network",
    "run_carbon_network",
    "surface_baseline",
]

WAREHOUSE: Final = "DEFRA"
"""The OEM's warehouse: Frankfurt am Main (also its airport)."""
EXPORT_PORT: Final = "DEHAM"
"""Where surface freight leaves Germany: Hamburg."""
AIR: Final = "air.international_non_uk"
SEA: Final = "sea.container_ship.average"
HGV: Final = "road.hgv_all_diesel.average_laden"
VAN: Final = "road.van_average_diesel"

PRINT_ENERGY_KWH: Final = 5.0
"""ILLUSTRATIVE print energy per part (kWh), not a measured value: a hub reports its metered
figure. About the low end of the 61-4849 MJ/kg Baumers et al. (2011) report across AM processes,
for a 0.3 kg part (61 MJ/kg x 0.3 kg = 18.3 MJ = 5.1 kWh)."""
PART_KG: Final = 0.3
SHIPPED_KG: Final = 0.5
"""Illustrative: the part plus its packaging, shipped from the warehouse and in the last mile."""
FEEDSTOCK_KG: Final = 0.4
"""Illustrative: PA12 powder used for one part (the part plus unrecovered powder)."""
PROCESS, MATERIAL = "SLS", "PA12"
STANDARD: Final = "ISO/ASTM 52920"
PRINTS_PER_LICENCE: Final = 2
DAY: Final = 86_400
SCENARIOS: Final = ("air", "surface")


@dataclass(frozen=True)
class Market:
    """A hub near a customer, by UN/LOCODEs that have coordinates in the shipped data."""

    country: str
    hub_name: str
    hub: str
    """The hub's on-chain UN/LOCODE."""
    port: str
    """The seaport nearest the hub, where feedstock arrives (the hub's own code: no road leg)."""
    customer: str
    sea_port: str | None
    """Where the surface baseline's ship lands (``None``: road all the way from the warehouse)."""


MARKETS: Final = (
    Market("Italy", "Milano micro-factory (Pero)", "ITERO", "ITGOA", "ITCIB", None),
    Market("Singapore", "Jurong micro-factory", "SGJUR", "SGPPT", "SGCHG", "SGPPT"),
    Market("Brazil", "São Paulo micro-factory", "BRSAO", "BRSSZ", "BRGRU", "BRSSZ"),
    Market("USA", "Baltimore micro-factory", "USBAL", "USBAL", "USNYC", "USNYC"),
)


def declared_km(factors: FactorSet, origin: str, destination: str) -> float:
    """The great-circle distance between two UN/LOCODEs of the factor set, rounded to 0.1 km:
    the distance a road or sea leg declares (tier ``modelled``)."""
    a, b = factors.location(origin), factors.location(destination)
    km = great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude, factors.earth_radius_km)
    return round(km, 1)


def _leg(factors: FactorSet, mode: Mode, key: str, origin: str, destination: str) -> Leg:
    if mode is Mode.AIR:  # the model's air rule: great circle, uplift inside the factor
        return Leg(mode, key, origin, destination)
    km = declared_km(factors, origin, destination)
    return Leg(mode, key, origin, destination, km, Tier.MODELLED)


def air_baseline(factors: FactorSet, design_id: str, market: Market) -> Baseline:
    """By air from the warehouse to the customer's place (no road legs to or from airports)."""
    legs = (_leg(factors, Mode.AIR, AIR, WAREHOUSE, market.customer),)
    return Baseline(design_id, WAREHOUSE, legs, SHIPPED_KG)


def surface_baseline(factors: FactorSet, design_id: str, market: Market) -> Baseline:
    """Lorry to Hamburg, container ship to the customer's port, van to the customer; or a
    lorry all the way where there is no sea leg (Italy)."""
    legs: tuple[Leg, ...]
    if market.sea_port is None:
        legs = (_leg(factors, Mode.ROAD, HGV, WAREHOUSE, market.customer),)
    else:
        legs = (
            _leg(factors, Mode.ROAD, HGV, WAREHOUSE, EXPORT_PORT),
            _leg(factors, Mode.SEA, SEA, EXPORT_PORT, market.sea_port),
        )
        if market.sea_port != market.customer:
            legs += (_leg(factors, Mode.ROAD, VAN, market.sea_port, market.customer),)
    return Baseline(design_id, WAREHOUSE, legs, SHIPPED_KG)


def hub_actual(factors: FactorSet, market: Market) -> Actual:
    """One print at the hub: illustrative print energy (tier ``modelled``: not metered here),
    powder by van from the nearest port, the part by van to the customer."""
    feedstock: tuple[Leg, ...] = ()
    if market.port != market.hub:
        feedstock = (_leg(factors, Mode.ROAD, VAN, market.port, market.hub),)
    return Actual(
        hub_locode=market.hub, process=PROCESS, material=MATERIAL,
        print_energy_kwh=PRINT_ENERGY_KWH, print_energy_tier=Tier.MODELLED,
        feedstock_mass_kg=FEEDSTOCK_KG, feedstock_legs=feedstock,
        last_mile_legs=(_leg(factors, Mode.ROAD, VAN, market.hub, market.customer),),
        last_mile_mass_kg=SHIPPED_KG,
    )  # fmt: skip


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


def figures(row: CarbonRow) -> dict[str, Any]:
    """A row's figures: kg CO2e, avoided % of the baseline (the model's avoided, print
    electricity included), transport-only avoided %, and the share on default-tier data."""
    transport = row.feedstock_kg + row.last_mile_kg
    return {
        "prints": row.prints,
        "baseline_kg": row.baseline_kg,
        "actual_kg": row.actual_kg,
        "avoided_kg": row.avoided_kg,
        "avoided_pct": _pct(row.avoided_kg, row.baseline_kg),
        "electricity_kg": row.electricity_kg,
        "feedstock_kg": row.feedstock_kg,
        "last_mile_kg": row.last_mile_kg,
        "transport_actual_kg": transport,
        "transport_avoided_kg": row.baseline_kg - transport,
        "transport_avoided_pct": _pct(row.baseline_kg - transport, row.baseline_kg),
        "default_share_pct": _pct(row.default_kg, row.baseline_kg + row.actual_kg),
        "break_even_kwh": break_even_kwh(row),
    }


def break_even_kwh(row: CarbonRow) -> float | None:
    """The print energy per part (kWh, the same at every print of ``row``) at which avoided
    would be zero: electricity scales with the kWh, so it is the illustrative figure times
    transport-only avoided / electricity. ``None`` when transport alone avoids nothing."""
    saved = row.baseline_kg - row.feedstock_kg - row.last_mile_kg
    if saved <= 0 or row.electricity_kg <= 0:
        return None
    return PRINT_ENERGY_KWH * saved / row.electricity_kg


@dataclass
class CarbonNetwork:
    """What the carbon section of the demo did and found (``to_json`` for ``--json``)."""

    work: Path
    factor_set: FactorSet
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    hubs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    total: dict[str, Any] = dataclasses.field(default_factory=dict)
    prints: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    legs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    charts: dict[str, str] = dataclasses.field(default_factory=dict)
    esrs_e1_path: str = ""
    esrs_e1_markdown: str = ""
    hub_rows: list[CarbonRow] = dataclasses.field(default_factory=list)
    """The per-hub index rows, keyed by the hub's UN/LOCODE and country (for the chart)."""
    total_rows: list[CarbonRow] = dataclasses.field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(p["verified"] for p in self.prints)

    def to_json(self) -> dict[str, Any]:
        return {
            "assumptions": {
                "print_energy_kwh": PRINT_ENERGY_KWH,
                "print_energy_note": "illustrative input, not a measured value (tier modelled)",
                "part_kg": PART_KG,
                "shipped_kg": SHIPPED_KG,
                "feedstock_kg": FEEDSTOCK_KG,
                "process": PROCESS,
                "material": MATERIAL,
                "warehouse": WAREHOUSE,
                "distances": "great circle between UN/LOCODE coordinates, tier modelled",
                "factor_set": self.factor_set.version,
                "factor_set_digest": self.factor_set.digest,
                "excluded": [
                    "material production",
                    "packaging production",
                    "production at the OEM (baseline side)",
                ],
            },
            "legs": self.legs,
            "rows": self.rows,
            "hubs": self.hubs,
            "scenarios": self.scenarios,
            "total": self.total,
            "prints": self.prints,
            "verified": self.verified,
            "charts": self.charts,
            "esrs_e1": self.esrs_e1_path,
        }


def _index_totals(ledger: Ledger, path: Path) -> CarbonReports:
    """The demo's own SQLite index (not the configured one), synced to the head with the
    prints' footprints: the local chain has no reorgs, so no confirmations are waited for."""
    path.unlink(missing_ok=True)
    config = IndexerConfig.from_deployment(
        ledger.deployment,
        ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        f"sqlite:///{path}",
        confirmations=0,
    )
    store = ledger.store
    indexer = Indexer(
        config,
        documents=lambda blob: read_batch_document(store, blob),
        footprints=footprint_reader(store, parse_print_evidence),
    )
    indexer.sync_once()
    return CarbonReports(indexer.engine)


def run_carbon_network(
    ledger: Ledger,
    *,
    admin: Admin,
    oem: Oem,
    certifier: Certifier,
    funded: Callable[[str], Identity],
    design_file: Callable[[Path], Path],
    work: Path,
    step: Callable[[str], None],
) -> CarbonNetwork:
    """Build the network on ``ledger``, print and attest, verify and sum; write the chart and
    the ESRS E1 table into ``work``."""
    factors = default_factor_set()
    network = CarbonNetwork(work, factors)
    now = ledger.now()
    step("carbon: four hubs near customers (Italy, Singapore, Brazil, USA) register")
    hubs: list[tuple[Market, Hub, str]] = []
    for market in MARKETS:
        hub = Hub(ledger, funded(f"demo-hub-{market.hub.lower()}"))
        admin.grant(Role.HUB, hub.address)
        hub.register(market.hub_name, market.hub)
        machine = hub.register_machine("EOS", "P 396", f"SN-{market.hub}-{now}")
        certifier.qualify_machine(machine, STANDARD, b"demo certificate", now, now + 365 * DAY)
        hubs.append((market, hub, machine))
    designs: dict[str, str] = {}
    for scenario, title in (("air", "Pump impeller"), ("surface", "Housing cover")):
        path = design_file(work / f"{scenario}-part.stl")
        meta = DesignMetadata(f"PN-{scenario.upper()}", "A", MATERIAL, PROCESS, title=title)
        designs[scenario] = oem.register_design(path, meta).design_id
    step("carbon: the OEM declares and signs each design's baseline per market, names it in "
         "the licence terms")  # fmt: skip
    builders = {"air": air_baseline, "surface": surface_baseline}
    serial = 0
    for market, hub, machine in hubs:
        parts: list[PrintInput] = []
        for scenario in SCENARIOS:
            design = designs[scenario]
            baseline = builders[scenario](factors, design, market)
            declared = oem.declare_baseline(design, baseline)
            licence = oem.issue_licence(
                design, hub.address, max_prints=10, valid_until=now + 30 * DAY,
                required_standard=STANDARD, terms={"carbon_baseline": declared.blob_id},
            ).licence_id  # fmt: skip
            carbon = hub.print_footprint(licence, hub_actual(factors, market))
            network.legs += _legs(carbon.footprint, market, scenario)
            for _ in range(PRINTS_PER_LICENCE):
                serial += 1
                number = f"CO2-{market.hub}-{scenario[:3].upper()}-{serial:02d}"
                parts.append(PrintInput(licence, number, machine, "LOT-PA12-01", None, carbon))
                network.prints.append({"serial": number, "design_id": design,
                                       "hub": market.hub, "scenario": scenario})  # fmt: skip
        hub.attest_prints(parts)
    step(f"carbon: the four hubs printed and attested {serial} parts with their footprints; "
         "the auditor re-verifies each")  # fmt: skip
    auditor = Auditor(ledger)
    for entry in network.prints:
        verification = auditor.check(entry["design_id"], entry["serial"])
        entry["claims"] = {c.name: c.passed for c in verification.claims}
        entry["verified"] = verification.ok and {"carbon.footprint", "carbon.baseline"} <= set(
            entry["claims"]
        )
    step("carbon: the demo's index sums the footprints per hub and baseline")
    reports = _index_totals(ledger, work / "carbon-index.db")
    try:
        _summarise(network, reports, oem.address, designs, hubs)
    finally:
        reports.engine.dispose()
    _write_outputs(network)
    return network


def _legs(footprint: Footprint, market: Market, scenario: str) -> list[dict[str, Any]]:
    return [
        {"hub": market.hub, "scenario": scenario, "component": leg.component, "mode": str(leg.mode),
         "from": leg.origin, "to": leg.destination, "km": leg.distance_km,
         "basis": leg.distance_basis, "tier": str(leg.distance_tier), "mass_kg": leg.mass_kg,
         "kg_co2e": leg.kg_co2e}
        for leg in footprint.legs
    ]  # fmt: skip


def _summarise(
    network: CarbonNetwork,
    reports: CarbonReports,
    oem: str,
    designs: dict[str, str],
    hubs: list[tuple[Market, Hub, str]],
) -> None:
    for market, hub, _ in hubs:
        for scenario in SCENARIOS:
            [row] = reports.carbon_totals(hub=hub.address, design_id=designs[scenario])
            network.rows.append({"hub": market.hub, "country": market.country,
                                 "scenario": scenario, **figures(row)})  # fmt: skip
    by_hub = {str(r.key).lower(): r for r in reports.carbon_totals(oem=oem, group_by="hub")}
    for market, hub, _ in hubs:
        row = by_hub[hub.address.lower()]
        network.hubs.append({"hub": market.hub, "country": market.country,
                             "address": hub.address, **figures(row)})  # fmt: skip
        network.hub_rows.append(dataclasses.replace(row, key=f"{market.hub} {market.country}"))
    for scenario in SCENARIOS:
        [row] = reports.carbon_totals(design_id=designs[scenario])
        network.scenarios[scenario] = figures(row)
    [total_row] = reports.carbon_totals(oem=oem)
    network.total = figures(total_row)
    network.total_rows = [total_row]
    expected = len(network.prints)
    if total_row.prints != expected:
        raise RuntimeError(f"the index holds {total_row.prints} footprints, not {expected}")


def _write_outputs(network: CarbonNetwork) -> None:
    formats: tuple[ChartFormat, ...] = ("svg", "png")
    for fmt in formats:
        path = network.work / f"carbon-avoided-by-hub.{fmt}"
        path.write_bytes(avoided_by_hub_chart(network.hub_rows, fmt))
        network.charts[fmt] = str(path)
    disclosure = e1_disclosure(network.total_rows, factor_set_version=network.factor_set.version)
    network.esrs_e1_markdown = disclosure.to_markdown()
    path = network.work / "esrs-e1.md"
    path.write_text(network.esrs_e1_markdown)
    network.esrs_e1_path = str(path)


def _kg(value: float) -> str:
    return f"{value:,.3f}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _kwh(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f}"


def scenario_label(scenario: str) -> str:
    return "air" if scenario == "air" else "surface (sea; road to IT)"


def print_carbon_network(network: CarbonNetwork) -> None:
    """The carbon section of the human demo output."""
    if Output.json_mode:
        return
    say("")
    say("[bold]Logistics carbon: OEM warehouse Frankfurt (DEFRA) vs printing at four hubs[/]")
    say(f"  print energy: {PRINT_ENERGY_KWH:g} kWh per part — an ILLUSTRATIVE input, not a "
        "measured value (a hub reports its metered kWh)")  # fmt: skip
    say(f"  masses (illustrative): part {PART_KG:g} kg, shipped with packaging {SHIPPED_KG:g} kg, "
        f"feedstock {FEEDSTOCK_KG:g} kg {MATERIAL} per part")  # fmt: skip
    say(f"  factors: {network.factor_set.version} (DESNZ/DEFRA 2025 freight, Ember/OWID 2024 "
        "grids); road and sea distances = great circle between UN/LOCODEs (tier modelled: real "
        "routes are longer, the baseline is understated); no material or packaging "
        "production")  # fmt: skip
    columns = ("hub", "baseline", "prints", "baseline kg", "actual kg", "avoided kg",
               "avoided %", "print electricity kg", "transport-only avoided %",
               "break-even kWh/part", "default data %")  # fmt: skip

    def cells(name: str, scenario: str, f: dict[str, Any]) -> tuple[str, ...]:
        return (name, scenario, str(f["prints"]), _kg(f["baseline_kg"]), _kg(f["actual_kg"]),
                _kg(f["avoided_kg"]), _p(f["avoided_pct"]), _kg(f["electricity_kg"]),
                _p(f["transport_avoided_pct"]), _kwh(f["break_even_kwh"]),
                _p(f["default_share_pct"]))  # fmt: skip

    body = [cells(f"{r['hub']} {r['country']}", scenario_label(r["scenario"]), r)
            for r in network.rows]  # fmt: skip
    body += [cells(f"{h['hub']} {h['country']}", "both", h) for h in network.hubs]
    body += [cells("all hubs", scenario_label(s), f) for s, f in network.scenarios.items()]
    body.append(cells("all hubs", "both", network.total))
    console.print(table("Baseline vs actual vs avoided, kg CO2e", columns, body))
    for scenario, f in network.scenarios.items():
        say(f"{scenario} baseline: transport only, avoided {_p(f['transport_avoided_pct'])} "
            f"of the baseline's logistics emissions; with the illustrative print electricity "
            f"counted, avoided {_p(f['avoided_pct'])} ({_kg(f['avoided_kg'])} of "
            f"{_kg(f['baseline_kg'])} kg CO2e); break-even print energy "
            f"{_kwh(f['break_even_kwh'])} kWh/part")  # fmt: skip
    say(f"default-tier data: {_p(network.total['default_share_pct'])} of baseline + actual")
    for fmt, path in network.charts.items():
        say(f"chart ({fmt}): {path}")
    say(f"ESRS E1 table: {network.esrs_e1_path}")
    console.print(network.esrs_e1_markdown, markup=False, highlight=False, soft_wrap=True)
    failed = [p["serial"] for p in network.prints if not p["verified"]]
    verdict = "every print VERIFIED" if not failed else "NOT VERIFIED: " + ", ".join(failed)
    say(f"provenance of the {len(network.prints)} carbon prints (carbon.footprint, "
        f"carbon.baseline included): {verdict}")  # fmt: skip
