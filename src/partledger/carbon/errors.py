"""Errors of the carbon model: each names what is missing or wrong.

A missing factor, location, distance or energy figure is always an error,
never a silent zero.
"""

from __future__ import annotations

from partledger.errors import PartLedgerError


class CarbonError(PartLedgerError, ValueError):
    """Root of every error the carbon model raises."""


class UnknownLocode(CarbonError, LookupError):
    """A UN/LOCODE is not in the factor set's location table."""

    def __init__(self, locode: str) -> None:
        self.locode = locode
        super().__init__(
            f"unknown UN/LOCODE {locode!r}: it is not in the factor set's location table "
            "(give the leg coordinates or a declared distance instead)"
        )


class MissingFactor(CarbonError, LookupError):
    """No emission intensity for a transport mode / vehicle class."""

    def __init__(self, mode: str, vehicle_class: str, detail: str = "") -> None:
        self.mode = mode
        self.vehicle_class = vehicle_class
        message = f"no emission factor for mode {mode!r}, vehicle class {vehicle_class!r}"
        super().__init__(f"{message}: {detail}" if detail else message)


class InvalidMass(CarbonError):
    """A mass is zero, negative or not a finite number."""

    def __init__(self, what: str, value: object) -> None:
        self.what = what
        self.value = value
        super().__init__(f"{what} must be a positive finite number of kg, got {value!r}")


class MissingDistance(CarbonError):
    """A leg has no declared distance and its mode has no citable way to derive one."""

    def __init__(self, mode: str, origin: str, destination: str, detail: str = "") -> None:
        self.mode = mode
        self.origin = origin
        self.destination = destination
        message = (
            f"{mode} leg {origin} -> {destination} has no declared distance_km and no "
            f"citable distance rule lets the model derive one for mode {mode!r}"
        )
        super().__init__(f"{message}: {detail}" if detail else message)


class PrintEnergyUnknown(CarbonError):
    """A print carries no measured energy and no citable per-process default exists."""

    def __init__(self, process: str, material: str) -> None:
        self.process = process
        self.material = material
        super().__init__(
            f"print energy unknown for process {process!r}, material {material!r}: no citable "
            "per-process kWh default exists, so the hub's measured kWh (tier 'primary') is required"
        )


class UnknownGridCountry(CarbonError, LookupError):
    """No grid electricity intensity for a country."""

    def __init__(self, country: str) -> None:
        self.country = country
        super().__init__(f"no grid electricity intensity for country {country!r} in the factor set")


class InvalidFactorData(CarbonError):
    """A factor-set data file is malformed or lacks a required provenance field."""


class InvalidFootprintDocument(CarbonError):
    """A footprint document is not valid canonical JSON of the expected shape."""
