"""The canonical footprint document of a print: build, parse, hash, verify.

The document is JSON with sorted keys, no insignificant whitespace and UTF-8,
so the same footprint always gives the same bytes and the same SHA-256. It
holds the inputs (baseline and actual declarations) and the results, so
anyone with the factor set can recompute the figures
(``verify_footprint_document``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from partledger.carbon.errors import CarbonError, InvalidFootprintDocument
from partledger.carbon.factors import FactorSet, Mode, Tier
from partledger.carbon.model import (
    Actual,
    Baseline,
    ComponentResult,
    Coordinates,
    Footprint,
    FootprintCalculator,
    Leg,
    LegResult,
    Place,
)

DOCUMENT_TYPE: Final = "partledger.carbon.footprint"
DOCUMENT_VERSION: Final = 1
_REL_TOL: Final = 1e-9

T = TypeVar("T")


def _canonical(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _place(place: Place) -> dict[str, object]:
    if isinstance(place, Coordinates):
        return {"latitude": place.latitude, "longitude": place.longitude}
    return {"locode": place}


def _leg(leg: Leg) -> dict[str, object]:
    return {
        "mode": leg.mode.value,
        "factor_key": leg.factor_key,
        "origin": _place(leg.origin),
        "destination": _place(leg.destination),
        "distance_km": leg.distance_km,
        "distance_tier": leg.distance_tier.value if leg.distance_tier is not None else None,
    }


def _leg_result(r: LegResult) -> dict[str, object]:
    return {
        "component": r.component,
        "mode": r.mode.value,
        "factor_key": r.factor_key,
        "origin": r.origin,
        "destination": r.destination,
        "distance_km": r.distance_km,
        "distance_basis": r.distance_basis,
        "distance_tier": r.distance_tier.value,
        "mass_kg": r.mass_kg,
        "tonne_km": r.tonne_km,
        "intensity_g_per_tkm": r.intensity_g_per_tkm,
        "kg_co2e": r.kg_co2e,
        "tier": r.tier.value,
    }


def baseline_to_dict(b: Baseline) -> dict[str, Any]:
    """A baseline as plain JSON values (as in a footprint document's ``inputs.baseline``)."""
    return {
        "design_id": b.design_id,
        "origin": _place(b.origin),
        "legs": [_leg(leg) for leg in b.legs],
        "shipped_mass_kg": float(b.shipped_mass_kg),
    }


def actual_to_dict(a: Actual) -> dict[str, Any]:
    """A hub's actual inputs as plain JSON values (``inputs.actual``)."""
    return {
        "hub_locode": a.hub_locode,
        "hub_country": a.hub_country,
        "process": a.process,
        "material": a.material,
        "print_energy_kwh": a.print_energy_kwh,
        "print_energy_tier": (
            a.print_energy_tier.value if a.print_energy_tier is not None else None
        ),
        "feedstock_mass_kg": float(a.feedstock_mass_kg),
        "feedstock_legs": [_leg(leg) for leg in a.feedstock_legs],
        "last_mile_mass_kg": float(a.last_mile_mass_kg),
        "last_mile_legs": [_leg(leg) for leg in a.last_mile_legs],
    }


def footprint_to_dict(footprint: Footprint) -> dict[str, Any]:
    """The document's content as plain JSON values."""
    return {
        "type": DOCUMENT_TYPE,
        "version": DOCUMENT_VERSION,
        "method": footprint.method,
        "factor_set": {
            "version": footprint.factor_set_version,
            "digest": footprint.factor_set_digest,
        },
        "inputs": {
            "baseline": baseline_to_dict(footprint.baseline),
            "actual": actual_to_dict(footprint.actual),
        },
        "results": {
            "unit": "kg CO2e",
            "baseline_kg_co2e": footprint.baseline_kg_co2e,
            "actual_kg_co2e": footprint.actual_kg_co2e,
            "avoided_kg_co2e": footprint.avoided_kg_co2e,
            "default_share": footprint.default_share,
            "baseline_default_share": footprint.baseline_default_share,
            "actual_default_share": footprint.actual_default_share,
            "legs": [_leg_result(r) for r in footprint.legs],
            "components": [
                {
                    "name": c.name,
                    "side": c.side,
                    "kg_co2e": c.kg_co2e,
                    "tier": c.tier.value,
                    "detail": {k: v for k, v in c.detail},
                }
                for c in footprint.components
            ],
        },
    }


def footprint_document(footprint: Footprint) -> bytes:
    """The canonical JSON bytes of ``footprint``."""
    try:
        return _canonical(footprint_to_dict(footprint))
    except ValueError as exc:  # a NaN or infinity slipped in
        raise InvalidFootprintDocument(f"footprint has a non-finite figure: {exc}") from exc


def footprint_document_hash(document: bytes) -> str:
    """SHA-256 (hex) of a footprint document's bytes."""
    return hashlib.sha256(document).hexdigest()


# -- parsing ------------------------------------------------------------------


class _Reader:
    """Strict access to a JSON object, naming the path of anything wrong."""

    def __init__(self, value: object, path: str) -> None:
        if not isinstance(value, dict):
            raise InvalidFootprintDocument(f"{path}: expected an object")
        self.value: dict[str, Any] = value
        self.path = path

    def keys(self, *names: str) -> None:
        extra = set(self.value) - set(names)
        missing = set(names) - set(self.value)
        if missing:
            raise InvalidFootprintDocument(f"{self.path}: missing field(s) {sorted(missing)}")
        if extra:
            raise InvalidFootprintDocument(f"{self.path}: unexpected field(s) {sorted(extra)}")

    def _get(self, name: str, kind: type[T] | tuple[type, ...], what: str) -> Any:
        value = self.value.get(name)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise InvalidFootprintDocument(f"{self.path}.{name}: expected {what}")
        return value

    def text(self, name: str) -> str:
        return str(self._get(name, str, "a string"))

    def opt_str(self, name: str) -> str | None:
        return None if self.value.get(name) is None else self.text(name)

    def num(self, name: str) -> float:
        value = float(self._get(name, (int, float), "a number"))
        if not math.isfinite(value):
            raise InvalidFootprintDocument(f"{self.path}.{name}: expected a finite number")
        return value

    def opt_num(self, name: str) -> float | None:
        return None if self.value.get(name) is None else self.num(name)

    def obj(self, name: str) -> _Reader:
        return _Reader(self.value.get(name), f"{self.path}.{name}")

    def items(self, name: str) -> list[Any]:
        return list(self._get(name, list, "a list"))

    def enum(self, name: str, kind: Callable[[str], T]) -> T:
        text = self.text(name)
        try:
            return kind(text)
        except ValueError as exc:
            raise InvalidFootprintDocument(f"{self.path}.{name}: unknown value {text!r}") from exc


def _read_place(r: _Reader) -> Place:
    if "locode" in r.value:
        r.keys("locode")
        return r.text("locode")
    r.keys("latitude", "longitude")
    try:
        return Coordinates(r.num("latitude"), r.num("longitude"))
    except CarbonError as exc:
        raise InvalidFootprintDocument(f"{r.path}: {exc}") from exc


def _read_leg(value: object, path: str) -> Leg:
    r = _Reader(value, path)
    r.keys("mode", "factor_key", "origin", "destination", "distance_km", "distance_tier")
    tier = None if r.value.get("distance_tier") is None else r.enum("distance_tier", Tier)
    try:
        return Leg(
            mode=r.enum("mode", Mode),
            factor_key=r.text("factor_key"),
            origin=_read_place(r.obj("origin")),
            destination=_read_place(r.obj("destination")),
            distance_km=r.opt_num("distance_km"),
            distance_tier=tier,
        )
    except InvalidFootprintDocument:
        raise
    except CarbonError as exc:
        raise InvalidFootprintDocument(f"{path}: {exc}") from exc


def _read_leg_result(value: object, path: str) -> LegResult:
    r = _Reader(value, path)
    r.keys(
        "component", "mode", "factor_key", "origin", "destination", "distance_km",
        "distance_basis", "distance_tier", "mass_kg", "tonne_km", "intensity_g_per_tkm",
        "kg_co2e", "tier",
    )  # fmt: skip
    return LegResult(
        component=r.text("component"),
        mode=r.enum("mode", Mode),
        factor_key=r.text("factor_key"),
        origin=r.text("origin"),
        destination=r.text("destination"),
        distance_km=r.num("distance_km"),
        distance_basis=r.text("distance_basis"),
        distance_tier=r.enum("distance_tier", Tier),
        mass_kg=r.num("mass_kg"),
        tonne_km=r.num("tonne_km"),
        intensity_g_per_tkm=r.num("intensity_g_per_tkm"),
        kg_co2e=r.num("kg_co2e"),
        tier=r.enum("tier", Tier),
    )


def _read_component(value: object, path: str) -> ComponentResult:
    r = _Reader(value, path)
    r.keys("name", "side", "kg_co2e", "tier", "detail")
    detail = r.obj("detail")
    items: list[tuple[str, str | float]] = []
    for key in sorted(detail.value):
        item = detail.value[key]
        if isinstance(item, str):
            items.append((key, item))
        else:
            items.append((key, detail.num(key)))
    return ComponentResult(
        name=r.text("name"),
        side=r.text("side"),
        kg_co2e=r.num("kg_co2e"),
        tier=r.enum("tier", Tier),
        detail=tuple(items),
    )


def _read_baseline(b: _Reader) -> Baseline:
    b.keys("design_id", "origin", "legs", "shipped_mass_kg")
    try:
        return Baseline(
            design_id=b.text("design_id"),
            origin=_read_place(b.obj("origin")),
            legs=tuple(_read_leg(v, f"{b.path}.legs[{i}]") for i, v in enumerate(b.items("legs"))),
            shipped_mass_kg=b.num("shipped_mass_kg"),
        )
    except InvalidFootprintDocument:
        raise
    except CarbonError as exc:
        raise InvalidFootprintDocument(f"{b.path}: {exc}") from exc


def _read_actual(a: _Reader) -> Actual:
    a.keys(
        "hub_locode", "hub_country", "process", "material", "print_energy_kwh",
        "print_energy_tier", "feedstock_mass_kg", "feedstock_legs", "last_mile_mass_kg",
        "last_mile_legs",
    )  # fmt: skip
    energy_tier = (
        None if a.value.get("print_energy_tier") is None else a.enum("print_energy_tier", Tier)
    )
    try:
        return Actual(
            hub_locode=a.text("hub_locode"),
            hub_country=a.opt_str("hub_country"),
            process=a.text("process"),
            material=a.text("material"),
            print_energy_kwh=a.opt_num("print_energy_kwh"),
            print_energy_tier=energy_tier,
            feedstock_mass_kg=a.num("feedstock_mass_kg"),
            feedstock_legs=tuple(
                _read_leg(v, f"{a.path}.feedstock_legs[{i}]")
                for i, v in enumerate(a.items("feedstock_legs"))
            ),
            last_mile_mass_kg=a.num("last_mile_mass_kg"),
            last_mile_legs=tuple(
                _read_leg(v, f"{a.path}.last_mile_legs[{i}]")
                for i, v in enumerate(a.items("last_mile_legs"))
            ),
        )
    except InvalidFootprintDocument:
        raise
    except CarbonError as exc:
        raise InvalidFootprintDocument(f"{a.path}: {exc}") from exc


def baseline_from_dict(value: object, path: str = "$") -> Baseline:
    """A baseline from plain JSON values (``InvalidFootprintDocument`` naming what is wrong)."""
    return _read_baseline(_Reader(value, path))


def actual_from_dict(value: object, path: str = "$") -> Actual:
    """A hub's actual inputs from plain JSON values (``InvalidFootprintDocument`` if wrong)."""
    return _read_actual(_Reader(value, path))


def parse_footprint_document(document: bytes) -> Footprint:
    """Parse and validate a footprint document; ``InvalidFootprintDocument`` if malformed.

    The bytes must be the canonical form (what ``footprint_document`` writes).
    """
    if not isinstance(document, bytes | bytearray):
        raise InvalidFootprintDocument("a footprint document is bytes")
    try:
        data = json.loads(bytes(document).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidFootprintDocument(f"not UTF-8 JSON: {exc}") from exc
    root = _Reader(data, "$")
    root.keys("type", "version", "method", "factor_set", "inputs", "results")
    if root.value["type"] != DOCUMENT_TYPE:
        raise InvalidFootprintDocument(f"$.type: expected {DOCUMENT_TYPE!r}")
    if root.value["version"] != DOCUMENT_VERSION or isinstance(root.value["version"], bool):
        raise InvalidFootprintDocument(f"$.version: expected {DOCUMENT_VERSION}")
    factor_set = root.obj("factor_set")
    factor_set.keys("version", "digest")
    inputs = root.obj("inputs")
    inputs.keys("baseline", "actual")
    baseline = _read_baseline(inputs.obj("baseline"))
    actual = _read_actual(inputs.obj("actual"))
    res = root.obj("results")
    res.keys(
        "unit", "baseline_kg_co2e", "actual_kg_co2e", "avoided_kg_co2e", "default_share",
        "baseline_default_share", "actual_default_share", "legs", "components",
    )  # fmt: skip
    if res.value["unit"] != "kg CO2e":
        raise InvalidFootprintDocument("$.results.unit: expected 'kg CO2e'")
    footprint = Footprint(
        method=root.text("method"),
        factor_set_version=factor_set.text("version"),
        factor_set_digest=factor_set.text("digest"),
        baseline=baseline,
        actual=actual,
        baseline_kg_co2e=res.num("baseline_kg_co2e"),
        actual_kg_co2e=res.num("actual_kg_co2e"),
        avoided_kg_co2e=res.num("avoided_kg_co2e"),
        legs=tuple(
            _read_leg_result(v, f"$.results.legs[{i}]") for i, v in enumerate(res.items("legs"))
        ),
        components=tuple(
            _read_component(v, f"$.results.components[{i}]")
            for i, v in enumerate(res.items("components"))
        ),
        default_share=res.num("default_share"),
        baseline_default_share=res.num("baseline_default_share"),
        actual_default_share=res.num("actual_default_share"),
    )
    if footprint_document(footprint) != bytes(document):
        raise InvalidFootprintDocument(
            "not in canonical form (sorted keys, no whitespace, UTF-8: "
            "what footprint_document writes)"
        )
    return footprint


# -- verification -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A figure of the document that its inputs and the factor set do not give."""

    field: str
    stated: object
    recomputed: object


@dataclass(frozen=True, slots=True)
class FootprintVerification:
    """Outcome of ``verify_footprint_document``."""

    document_sha256: str
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _diff(stated: object, recomputed: object, path: str, out: list[Mismatch]) -> None:
    if isinstance(stated, dict) and isinstance(recomputed, dict):
        for key in sorted(set(stated) | set(recomputed)):
            _diff(stated.get(key), recomputed.get(key), f"{path}.{key}", out)
    elif isinstance(stated, list) and isinstance(recomputed, list):
        if len(stated) != len(recomputed):
            out.append(Mismatch(f"{path}.length", len(stated), len(recomputed)))
        for index, (s, r) in enumerate(zip(stated, recomputed, strict=False)):
            _diff(s, r, f"{path}[{index}]", out)
    elif (
        isinstance(stated, int | float)
        and isinstance(recomputed, int | float)
        and not isinstance(stated, bool)
        and not isinstance(recomputed, bool)
    ):
        if not math.isclose(stated, recomputed, rel_tol=_REL_TOL, abs_tol=1e-12):
            out.append(Mismatch(path, stated, recomputed))
    elif stated != recomputed:
        out.append(Mismatch(path, stated, recomputed))


def verify_footprint_document(document: bytes, factor_set: FactorSet) -> FootprintVerification:
    """Recompute a document's results from its inputs with ``factor_set``.

    Returns every mismatch (method, factor-set version/digest, any figure);
    raises ``InvalidFootprintDocument`` if the document is malformed, and the
    model's own errors if its inputs cannot be priced with this factor set.
    """
    stated = parse_footprint_document(document)
    recomputed = FootprintCalculator(factor_set).for_print(stated.baseline, stated.actual)
    mismatches: list[Mismatch] = []
    stated_dict = footprint_to_dict(stated)
    recomputed_dict = footprint_to_dict(recomputed)
    for key in ("method", "factor_set", "results"):
        _diff(stated_dict[key], recomputed_dict[key], f"$.{key}", mismatches)
    return FootprintVerification(footprint_document_hash(bytes(document)), tuple(mismatches))
