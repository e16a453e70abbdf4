"""Per-print logistics footprint: baseline (the OEM's counterfactual shipment),
actual (printing at the hub) and avoided = baseline - actual.

Transport: kg CO2e = mass_t x distance_km x intensity_g_per_tkm / 1000.
Electricity: kg CO2e = kWh x grid_g_per_kWh / 1000.
Every figure carries a GLEC data-quality tier: a leg priced with a default
emission intensity is ``default``; print electricity metered by the hub is
``primary`` (its grid factor is an energy-carrier factor, as GLEC uses with
primary fuel data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from partledger.carbon.errors import (
    CarbonError,
    InvalidMass,
    MissingDistance,
    PrintEnergyUnknown,
)
from partledger.carbon.factors import FactorSet, Mode, Tier, TransportFactor
from partledger.carbon.geo import great_circle_km

METHOD: Final = "ISO 14083:2023 / GLEC Framework v3 method"
COMPONENT_BASELINE: Final = "baseline_transport"
COMPONENT_ELECTRICITY: Final = "print_electricity"
COMPONENT_FEEDSTOCK: Final = "feedstock_transport"
COMPONENT_LAST_MILE: Final = "last_mile_transport"


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A point in decimal degrees (WGS 84 latitude/longitude)."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.latitude)
            and math.isfinite(self.longitude)
            and -90.0 <= self.latitude <= 90.0
            and -180.0 <= self.longitude <= 180.0
        ):
            raise CarbonError(f"coordinates out of range: {self.latitude}, {self.longitude}")

    def __str__(self) -> str:
        return f"({self.latitude}, {self.longitude})"


Place = str | Coordinates
"""A UN/LOCODE (5 characters, e.g. ``"DEHAM"``) or coordinates."""


def place_label(place: Place) -> str:
    """A place as text (the LOCODE, or the coordinates)."""
    return place if isinstance(place, str) else str(place)


def _check_mass(value: float, what: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidMass(what, value)


@dataclass(frozen=True, slots=True)
class Leg:
    """One transport leg.

    ``factor_key`` names the vehicle class in the factor set (e.g.
    ``"road.hgv_all_diesel.average_laden"``). ``distance_km`` is a declared
    distance (shortest feasible or actual) and then needs ``distance_tier``
    (``primary`` or ``modelled``); without it the mode's distance rule
    applies (great circle for air; road, sea and rail must declare).
    """

    mode: Mode
    factor_key: str
    origin: Place
    destination: Place
    distance_km: float | None = None
    distance_tier: Tier | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))
        if self.distance_tier is not None:
            object.__setattr__(self, "distance_tier", Tier(self.distance_tier))
        if self.distance_km is not None:
            value = self.distance_km
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise CarbonError(
                    f"{self.mode} leg {self.label}: distance_km must be positive, got {value!r}"
                )
            if self.distance_tier not in (Tier.PRIMARY, Tier.MODELLED):
                raise CarbonError(
                    f"{self.mode} leg {self.label}: a declared distance needs distance_tier "
                    "'primary' (measured/actual) or 'modelled' (e.g. a routing engine's SFD)"
                )
            object.__setattr__(self, "distance_km", float(value))
        elif self.distance_tier is not None:
            raise CarbonError(f"{self.mode} leg {self.label}: distance_tier without distance_km")

    @property
    def label(self) -> str:
        return f"{place_label(self.origin)} -> {place_label(self.destination)}"


@dataclass(frozen=True, slots=True)
class Baseline:
    """The counterfactual shipment the OEM declares per design."""

    design_id: str
    origin: Place
    legs: tuple[Leg, ...]
    shipped_mass_kg: float
    """Part plus packaging, as shipped."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))
        _check_mass(self.shipped_mass_kg, f"baseline shipped_mass_kg of design {self.design_id!r}")
        object.__setattr__(self, "shipped_mass_kg", float(self.shipped_mass_kg))
        if not self.legs:
            raise CarbonError(f"baseline of design {self.design_id!r} has no legs")


@dataclass(frozen=True, slots=True)
class Actual:
    """What printing at the hub took: energy, feedstock transport, last mile."""

    hub_locode: str
    process: str
    material: str
    print_energy_kwh: float | None
    print_energy_tier: Tier | None
    feedstock_mass_kg: float
    feedstock_legs: tuple[Leg, ...]
    last_mile_legs: tuple[Leg, ...]
    last_mile_mass_kg: float
    hub_country: str | None = None
    """ISO 3166 alpha-2 of the hub's grid; default: the LOCODE's country."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "feedstock_legs", tuple(self.feedstock_legs))
        object.__setattr__(self, "last_mile_legs", tuple(self.last_mile_legs))
        if self.print_energy_tier is not None:
            object.__setattr__(self, "print_energy_tier", Tier(self.print_energy_tier))
        _check_mass(self.feedstock_mass_kg, f"feedstock_mass_kg at hub {self.hub_locode!r}")
        _check_mass(self.last_mile_mass_kg, f"last_mile_mass_kg at hub {self.hub_locode!r}")
        object.__setattr__(self, "feedstock_mass_kg", float(self.feedstock_mass_kg))
        object.__setattr__(self, "last_mile_mass_kg", float(self.last_mile_mass_kg))
        energy = self.print_energy_kwh
        if energy is None:
            raise PrintEnergyUnknown(self.process, self.material)
        if (
            isinstance(energy, bool)
            or not isinstance(energy, int | float)
            or not math.isfinite(energy)
            or energy < 0
        ):
            raise CarbonError(f"print_energy_kwh must be a finite number >= 0, got {energy!r}")
        if self.print_energy_tier not in (Tier.PRIMARY, Tier.MODELLED):
            raise PrintEnergyUnknown(self.process, self.material)
        object.__setattr__(self, "print_energy_kwh", float(energy))

    @property
    def grid_country(self) -> str:
        return self.hub_country if self.hub_country is not None else self.hub_locode[:2]


@dataclass(frozen=True, slots=True)
class LegResult:
    """One leg priced: its distance, tonne-km, intensity and emissions."""

    component: str
    mode: Mode
    factor_key: str
    origin: str
    destination: str
    distance_km: float
    distance_basis: str
    """``declared`` or ``great_circle``."""
    distance_tier: Tier
    mass_kg: float
    tonne_km: float
    intensity_g_per_tkm: float
    kg_co2e: float
    tier: Tier


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """A component of the baseline or the actual footprint."""

    name: str
    side: str
    """``baseline`` or ``actual``."""
    kg_co2e: float
    tier: Tier
    detail: tuple[tuple[str, str | float], ...] = ()


@dataclass(frozen=True, slots=True)
class Footprint:
    """The footprint of one print: inputs, per-leg and per-component results."""

    method: str
    factor_set_version: str
    factor_set_digest: str
    baseline: Baseline
    actual: Actual
    baseline_kg_co2e: float
    actual_kg_co2e: float
    avoided_kg_co2e: float
    legs: tuple[LegResult, ...]
    components: tuple[ComponentResult, ...]
    default_share: float
    """Share of baseline + actual kg CO2e resting on default data (0..1)."""
    baseline_default_share: float
    actual_default_share: float


@dataclass(frozen=True, slots=True)
class _ResolvedLeg:
    distance_km: float
    basis: str
    distance_tier: Tier
    factor: TransportFactor
    origin: str
    destination: str


@dataclass(frozen=True, slots=True)
class _PricedBaseline:
    legs: tuple[LegResult, ...]
    kg_co2e: float
    default_kg: float


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


class FootprintCalculator:
    """Computes footprints against one factor set, caching what prints share.

    Leg distances and factors are resolved once per distinct leg, and a
    design's baseline is priced once; per print only the hub's energy and
    masses are multiplied out.
    """

    max_cached: int = 100_000
    """Entries kept per cache; a full cache is emptied (memory stays bounded)."""

    def __init__(self, factor_set: FactorSet) -> None:
        self.factor_set = factor_set
        self._legs: dict[Leg, _ResolvedLeg] = {}
        self._baselines: dict[Baseline, _PricedBaseline] = {}

    def resolve_leg(self, leg: Leg) -> _ResolvedLeg:
        """Distance (declared or by the mode's rule) and factor of ``leg``."""
        resolved = self._legs.get(leg)
        if resolved is not None:
            return resolved
        fs = self.factor_set
        factor = fs.transport_factor(leg.mode, leg.factor_key)
        origin = place_label(leg.origin)
        destination = place_label(leg.destination)
        if leg.distance_km is not None and leg.distance_tier is not None:
            resolved = _ResolvedLeg(
                float(leg.distance_km), "declared", leg.distance_tier, factor, origin, destination
            )
        else:
            rule = fs.distance_rule(leg.mode)
            if rule.basis != "great_circle":
                raise MissingDistance(
                    leg.mode.value,
                    origin,
                    destination,
                    "declare the shortest feasible or actual distance with its tier",
                )
            a = self._point(leg.origin)
            b = self._point(leg.destination)
            gcd = great_circle_km(
                a.latitude, a.longitude, b.latitude, b.longitude, fs.earth_radius_km
            )
            distance = gcd * rule.multiplier + rule.additive_km
            resolved = _ResolvedLeg(
                distance, "great_circle", rule.tier, factor, origin, destination
            )
        if len(self._legs) >= self.max_cached:
            self._legs.clear()
        self._legs[leg] = resolved
        return resolved

    def _point(self, place: Place) -> Coordinates:
        if isinstance(place, Coordinates):
            return place
        location = self.factor_set.location(place)
        return Coordinates(location.latitude, location.longitude)

    def _price(self, leg: Leg, mass_kg: float, component: str) -> LegResult:
        r = self.resolve_leg(leg)
        tonne_km = mass_kg / 1000.0 * r.distance_km
        return LegResult(
            component=component,
            mode=leg.mode,
            factor_key=leg.factor_key,
            origin=r.origin,
            destination=r.destination,
            distance_km=r.distance_km,
            distance_basis=r.basis,
            distance_tier=r.distance_tier,
            mass_kg=float(mass_kg),
            tonne_km=tonne_km,
            intensity_g_per_tkm=r.factor.g_per_tkm,
            kg_co2e=tonne_km * r.factor.g_per_tkm / 1000.0,
            tier=Tier.DEFAULT,
        )

    def price_baseline(self, baseline: Baseline) -> _PricedBaseline:
        """The baseline's legs priced (cached per baseline)."""
        priced = self._baselines.get(baseline)
        if priced is None:
            legs = tuple(
                self._price(leg, baseline.shipped_mass_kg, COMPONENT_BASELINE)
                for leg in baseline.legs
            )
            total = sum((leg.kg_co2e for leg in legs), 0.0)
            default = sum((leg.kg_co2e for leg in legs if leg.tier is Tier.DEFAULT), 0.0)
            priced = _PricedBaseline(legs, total, default)
            if len(self._baselines) >= self.max_cached:
                self._baselines.clear()
            self._baselines[baseline] = priced
        return priced

    def for_print(self, baseline: Baseline, actual: Actual) -> Footprint:
        """The footprint of one print of ``baseline``'s design at ``actual``'s hub."""
        fs = self.factor_set
        fs.location(actual.hub_locode)
        grid = fs.grid_factor(actual.grid_country)
        base = self.price_baseline(baseline)
        feed = tuple(
            self._price(leg, actual.feedstock_mass_kg, COMPONENT_FEEDSTOCK)
            for leg in actual.feedstock_legs
        )
        last = tuple(
            self._price(leg, actual.last_mile_mass_kg, COMPONENT_LAST_MILE)
            for leg in actual.last_mile_legs
        )
        energy = float(actual.print_energy_kwh or 0.0)
        energy_tier = actual.print_energy_tier or Tier.PRIMARY
        electricity = energy * grid.g_per_kwh / 1000.0
        feed_kg = sum((leg.kg_co2e for leg in feed), 0.0)
        last_kg = sum((leg.kg_co2e for leg in last), 0.0)
        components = (
            ComponentResult(COMPONENT_BASELINE, "baseline", base.kg_co2e, Tier.DEFAULT),
            ComponentResult(
                COMPONENT_ELECTRICITY,
                "actual",
                electricity,
                energy_tier,
                (
                    ("energy_kwh", energy),
                    ("grid_country", grid.country),
                    ("grid_g_per_kwh", grid.g_per_kwh),
                    ("grid_year", float(grid.year)),
                ),
            ),
            ComponentResult(COMPONENT_FEEDSTOCK, "actual", feed_kg, Tier.DEFAULT),
            ComponentResult(COMPONENT_LAST_MILE, "actual", last_kg, Tier.DEFAULT),
        )
        actual_kg = electricity + feed_kg + last_kg
        actual_default = feed_kg + last_kg + (electricity if energy_tier is Tier.DEFAULT else 0.0)
        return Footprint(
            method=METHOD,
            factor_set_version=fs.version,
            factor_set_digest=fs.digest,
            baseline=baseline,
            actual=actual,
            baseline_kg_co2e=base.kg_co2e,
            actual_kg_co2e=actual_kg,
            avoided_kg_co2e=base.kg_co2e - actual_kg,
            legs=base.legs + feed + last,
            components=components,
            default_share=_share(base.default_kg + actual_default, base.kg_co2e + actual_kg),
            baseline_default_share=_share(base.default_kg, base.kg_co2e),
            actual_default_share=_share(actual_default, actual_kg),
        )


def compute_footprint(baseline: Baseline, actual: Actual, factor_set: FactorSet) -> Footprint:
    """One footprint without a shared cache (see ``FootprintCalculator`` for many)."""
    return FootprintCalculator(factor_set).for_print(baseline, actual)
