"""Great-circle distance (haversine on a sphere of a named radius)."""

from __future__ import annotations

import math


def great_circle_km(
    latitude1: float, longitude1: float, latitude2: float, longitude2: float, radius_km: float
) -> float:
    """Haversine great-circle distance in km between two points given in decimal degrees.

    ``radius_km`` comes from the factor set (GRS 80 mean radius R1, Moritz 2000).
    """
    phi1 = math.radians(latitude1)
    phi2 = math.radians(latitude2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(longitude2 - longitude1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2.0 * radius_km * math.asin(min(1.0, math.sqrt(h)))
