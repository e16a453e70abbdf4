"""The factor set: versioned, sourced data files loaded and checked.

Every number the model uses comes from ``carbon/data/*.json``. Each entry
carries its source (document, publisher, year, section) and its scope; the
loader refuses any entry that lacks one, re-does the only arithmetic the files
contain (WTW = TTW + WTT, kg -> g, DDMM -> decimal degrees) and refuses a
file whose stated value disagrees with it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from partledger.carbon.errors import (
    InvalidFactorData,
    MissingFactor,
    UnknownGridCountry,
    UnknownLocode,
)

DATA_FILES = (
    "transport_factors.json",
    "grid_intensities.json",
    "locations.json",
    "method.json",
)
"""The data files of a factor set, in the order their digest is taken."""

_ENTRY_LISTS = {
    "transport_factors.json": ("factors",),
    "grid_intensities.json": ("grid",),
    "locations.json": ("locations",),
    "method.json": ("constants", "distance_rules"),
}
_SOURCE_FIELDS = ("document", "publisher", "year", "section")
_REL_TOL = 1e-9


class Tier(StrEnum):
    """Data-quality tier of a figure, as the GLEC Framework names them."""

    PRIMARY = "primary"
    MODELLED = "modelled"
    DEFAULT = "default"


class Mode(StrEnum):
    """Transport mode of a leg."""

    ROAD = "road"
    SEA = "sea"
    AIR = "air"
    RAIL = "rail"


@dataclass(frozen=True, slots=True)
class TransportFactor:
    """A well-to-wheel emission intensity for one mode and vehicle class."""

    key: str
    mode: Mode
    g_per_tkm: float
    scope: str
    description: str
    year: int
    source_document: str
    section: str


@dataclass(frozen=True, slots=True)
class GridFactor:
    """A national grid electricity intensity."""

    country: str
    g_per_kwh: float
    year: int
    scope: str
    source_document: str
    section: str


@dataclass(frozen=True, slots=True)
class Location:
    """A UN/LOCODE with its published coordinates (converted to decimal degrees)."""

    locode: str
    country: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class DistanceRule:
    """How a leg of one mode gets its distance when none is declared.

    ``basis`` is ``"great_circle"`` (distance = GCD x multiplier + additive_km)
    or ``"declared"`` (the leg must declare its distance).
    """

    mode: Mode
    basis: str
    multiplier: float
    additive_km: float
    tier: Tier


@dataclass(frozen=True, slots=True)
class FactorSet:
    """Every value the model may use, loaded from one versioned data directory."""

    version: str
    method: str
    digest: str
    earth_radius_km: float
    transport: Mapping[str, TransportFactor]
    grid: Mapping[str, GridFactor]
    locations: Mapping[str, Location]
    distance_rules: Mapping[Mode, DistanceRule]

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FactorSet) and other.digest == self.digest

    def transport_factor(self, mode: Mode | str, key: str) -> TransportFactor:
        """The factor ``key`` for ``mode``; ``MissingFactor`` naming both if absent."""
        factor = self.transport.get(key)
        if factor is None:
            raise MissingFactor(str(mode), key, "not in factor set " + self.version)
        if factor.mode != mode:
            raise MissingFactor(
                str(mode), key, f"that factor is for mode {factor.mode.value!r}, not {mode!r}"
            )
        return factor

    def grid_factor(self, country: str) -> GridFactor:
        """The grid intensity of ``country`` (ISO 3166 alpha-2)."""
        factor = self.grid.get(country)
        if factor is None:
            raise UnknownGridCountry(country)
        return factor

    def location(self, locode: str) -> Location:
        """The location of a UN/LOCODE; ``UnknownLocode`` if absent."""
        location = self.locations.get(locode)
        if location is None:
            raise UnknownLocode(locode)
        return location

    def distance_rule(self, mode: Mode) -> DistanceRule:
        """The distance rule of ``mode``."""
        rule = self.distance_rules.get(mode)
        if rule is None:
            raise InvalidFactorData(f"factor set {self.version} has no distance rule for {mode}")
        return rule


def default_data_dir() -> Path:
    """The data directory shipped with the package."""
    return Path(str(resources.files("partledger.carbon").joinpath("data")))


@lru_cache(maxsize=1)
def default_factor_set() -> FactorSet:
    """The factor set shipped with the package (loaded once)."""
    return load_factor_set(default_data_dir())


def load_factor_set(directory: Path | str | None = None) -> FactorSet:
    """Load and check the factor set in ``directory`` (default: the shipped one)."""
    base = Path(directory) if directory is not None else default_data_dir()
    documents: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    for name in DATA_FILES:
        path = base / name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidFactorData(f"{path}: cannot read factor data ({exc})") from exc
        digest.update(name.encode() + b"\0" + hashlib.sha256(raw).digest())
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise InvalidFactorData(f"{name}: not valid JSON ({exc})") from exc
        if not isinstance(document, dict):
            raise InvalidFactorData(f"{name}: top level must be an object")
        documents[name] = document
        for list_name in _ENTRY_LISTS[name]:
            entries = document.get(list_name)
            if not isinstance(entries, list):
                raise InvalidFactorData(f"{name}: {list_name!r} must be a list")
            for index, entry in enumerate(entries):
                check_entry_provenance(entry, f"{name}: {list_name}[{index}]")

    versions = {str(doc.get("factor_set")) for doc in documents.values()}
    if len(versions) != 1:
        raise InvalidFactorData(
            f"data files disagree on the factor-set version: {sorted(versions)}"
        )
    methods = {str(doc.get("method")) for doc in documents.values()}
    if len(methods) != 1:
        raise InvalidFactorData(f"data files disagree on the method name: {sorted(methods)}")

    method_doc = documents["method.json"]
    constants = {str(c["key"]): c for c in method_doc["constants"]}
    if "earth_mean_radius_km" not in constants:
        raise InvalidFactorData("method.json: constant 'earth_mean_radius_km' is missing")
    radius = _positive(constants["earth_mean_radius_km"].get("value"), "earth_mean_radius_km")

    return FactorSet(
        version=versions.pop(),
        method=methods.pop(),
        digest=digest.hexdigest(),
        earth_radius_km=radius,
        transport=_transport(documents["transport_factors.json"]["factors"]),
        grid=_grid(documents["grid_intensities.json"]["grid"]),
        locations=_locations(documents["locations.json"]["locations"]),
        distance_rules=_rules(method_doc["distance_rules"]),
    )


def check_entry_provenance(entry: object, where: str) -> None:
    """Refuse an entry without source (document, publisher, year, section), year,
    section and scope."""
    if not isinstance(entry, dict):
        raise InvalidFactorData(f"{where}: entry must be an object")
    for field in ("source", "year", "section", "scope"):
        if field not in entry or entry[field] in (None, "", {}):
            raise InvalidFactorData(f"{where}: required field {field!r} is missing")
    if not isinstance(entry["year"], int):
        raise InvalidFactorData(f"{where}: 'year' must be an integer")
    source = entry["source"]
    if not isinstance(source, dict):
        raise InvalidFactorData(f"{where}: 'source' must be an object")
    for field in _SOURCE_FIELDS:
        if source.get(field) in (None, ""):
            raise InvalidFactorData(f"{where}: source field {field!r} is missing")


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFactorData(f"{what}: value must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InvalidFactorData(f"{what}: value must be positive and finite, got {value!r}")
    return number


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=1e-12)


def _transport(entries: list[dict[str, Any]]) -> dict[str, TransportFactor]:
    factors: dict[str, TransportFactor] = {}
    for entry in entries:
        key = str(entry.get("key", ""))
        if not key or key in factors:
            raise InvalidFactorData(f"transport_factors.json: missing or duplicate key {key!r}")
        try:
            mode = Mode(str(entry.get("mode")))
        except ValueError as exc:
            raise InvalidFactorData(f"{key}: unknown mode {entry.get('mode')!r}") from exc
        if entry.get("unit") != "g CO2e/tkm":
            raise InvalidFactorData(f"{key}: unit must be 'g CO2e/tkm'")
        if entry.get("scope") != "WTW":
            raise InvalidFactorData(f"{key}: scope must be 'WTW'")
        value = _positive(entry.get("value"), key)
        components = entry.get("components")
        if not isinstance(components, list) or not components:
            raise InvalidFactorData(f"{key}: 'components' (TTW and WTT source rows) missing")
        scopes = set()
        total_kg = 0.0
        for index, component in enumerate(components):
            where = f"{key}: components[{index}]"
            if not isinstance(component, dict):
                raise InvalidFactorData(f"{where}: must be an object")
            if "scope" not in component or "source" not in component:
                raise InvalidFactorData(f"{where}: required field 'scope'/'source' is missing")
            source = component["source"]
            if not isinstance(source, dict):
                raise InvalidFactorData(f"{where}: 'source' must be an object")
            for field in _SOURCE_FIELDS:
                if source.get(field) in (None, ""):
                    raise InvalidFactorData(f"{where}: source field {field!r} is missing")
            scopes.add(component["scope"])
            total_kg += _positive(component.get("value"), where)
        if scopes != {"TTW", "WTT"}:
            raise InvalidFactorData(f"{key}: components must be one TTW and one WTT row")
        if not _close(total_kg * 1000.0, value):
            raise InvalidFactorData(
                f"{key}: value {value} g/tkm is not (TTW + WTT) x 1000 = {total_kg * 1000.0}"
            )
        factors[key] = TransportFactor(
            key=key,
            mode=mode,
            g_per_tkm=value,
            scope="WTW",
            description=str(entry.get("description", "")),
            year=int(entry["year"]),
            source_document=str(entry["source"]["document"]),
            section=str(entry["section"]),
        )
    return factors


def _grid(entries: list[dict[str, Any]]) -> dict[str, GridFactor]:
    grid: dict[str, GridFactor] = {}
    for entry in entries:
        country = str(entry.get("country", ""))
        if len(country) != 2 or not country.isupper() or country in grid:
            raise InvalidFactorData(f"grid_intensities.json: bad or duplicate country {country!r}")
        if entry.get("unit") != "g CO2e/kWh":
            raise InvalidFactorData(f"grid {country}: unit must be 'g CO2e/kWh'")
        grid[country] = GridFactor(
            country=country,
            g_per_kwh=_positive(entry.get("value"), f"grid {country}"),
            year=int(entry["year"]),
            scope=str(entry["scope"]),
            source_document=str(entry["source"]["document"]),
            section=str(entry["section"]),
        )
    return grid


def ddmm_to_decimal(coordinates: str) -> tuple[float, float]:
    """UN/LOCODE ``DDMM[N/S] DDDMM[W/E]`` to decimal degrees (deg + min/60)."""
    parts = coordinates.split()
    if (
        len(parts) != 2
        or len(parts[0]) != 5
        or len(parts[1]) != 6
        or parts[0][4] not in "NS"
        or parts[1][5] not in "EW"
        or not (parts[0][:4] + parts[1][:5]).isdigit()
    ):
        raise InvalidFactorData(f"not UN/LOCODE coordinates: {coordinates!r}")
    lat_text, lon_text = parts
    latitude = int(lat_text[:2]) + int(lat_text[2:4]) / 60
    longitude = int(lon_text[:3]) + int(lon_text[3:5]) / 60
    if lat_text[4] == "S":
        latitude = -latitude
    if lon_text[5] == "W":
        longitude = -longitude
    return latitude, longitude


def _locations(entries: list[dict[str, Any]]) -> dict[str, Location]:
    locations: dict[str, Location] = {}
    for entry in entries:
        locode = str(entry.get("locode", ""))
        if len(locode) != 5 or locode in locations:
            raise InvalidFactorData(f"locations.json: bad or duplicate locode {locode!r}")
        published = entry.get("coordinates_as_published")
        if not isinstance(published, str):
            raise InvalidFactorData(f"{locode}: 'coordinates_as_published' is missing")
        latitude, longitude = ddmm_to_decimal(published)
        if not (
            _close(float(entry.get("latitude", math.nan)), latitude)
            and _close(float(entry.get("longitude", math.nan)), longitude)
        ):
            raise InvalidFactorData(
                f"{locode}: latitude/longitude are not the conversion of {published!r}"
            )
        verbatim = str(entry["source"].get("row_verbatim", ""))
        if published not in verbatim:
            raise InvalidFactorData(f"{locode}: coordinates are not in the verbatim source row")
        locations[locode] = Location(
            locode=locode,
            country=str(entry.get("country", locode[:2])),
            name=str(entry.get("name", "")),
            latitude=latitude,
            longitude=longitude,
        )
    return locations


def _rules(entries: list[dict[str, Any]]) -> dict[Mode, DistanceRule]:
    rules: dict[Mode, DistanceRule] = {}
    for entry in entries:
        try:
            mode = Mode(str(entry.get("mode")))
            tier = Tier(str(entry.get("tier")))
        except ValueError as exc:
            raise InvalidFactorData(
                f"method.json: bad distance rule {entry.get('mode')!r}"
            ) from exc
        basis = entry.get("basis")
        if basis == "great_circle":
            multiplier = _positive(entry.get("multiplier"), f"{mode} multiplier")
            additive = entry.get("additive_km")
            if isinstance(additive, bool) or not isinstance(additive, int | float):
                raise InvalidFactorData(f"{mode}: additive_km must be a number")
            rule = DistanceRule(mode, "great_circle", multiplier, float(additive), tier)
        elif basis == "declared":
            rule = DistanceRule(mode, "declared", 1.0, 0.0, tier)
        else:
            raise InvalidFactorData(f"{mode}: unknown distance basis {basis!r}")
        if mode in rules:
            raise InvalidFactorData(f"method.json: two distance rules for {mode}")
        rules[mode] = rule
    return rules
