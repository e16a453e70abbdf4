"""A stand-in for the index aggregation's ``CarbonRow`` in the carbon tests.

Deliberately not ``partledger.index.carbon_queries.CarbonRow``: the carbon views, charts and
PACT footprints take any object of the ``CarbonRowLike`` shape, and these tests keep it so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One group of a carbon report (kg CO2e); ``key`` None for a total row."""

    key: str | None
    prints: int
    baseline_kg: float
    actual_kg: float
    avoided_kg: float
    default_kg: float
    electricity_kg: float
    feedstock_kg: float
    last_mile_kg: float
