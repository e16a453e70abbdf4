#!/usr/bin/env python
"""Benchmark per-print footprint computation (FootprintCalculator.for_print).

A demo network of designs x hubs, each print with its own metered kWh and
masses. Prints one JSON object: prints/s for the cached fast path, for a
cold calculator per print, and for building the canonical document too.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time

from partledger.carbon import (
    Actual,
    Baseline,
    FootprintCalculator,
    Leg,
    Mode,
    Tier,
    default_factor_set,
    footprint_document,
)

HUBS = ("ITERO", "SGJUR", "BRSAO", "USORD")
ROAD = "road.hgv_all_diesel.average_laden"
VAN = "road.van_average_diesel"


def designs(count: int) -> list[Baseline]:
    out = []
    for i in range(count):
        destination = HUBS[i % len(HUBS)]
        if i % 2:
            legs: tuple[Leg, ...] = (
                Leg(Mode.AIR, "air.international_non_uk", "DEFRA", destination),
            )
        else:
            legs = (
                Leg(Mode.ROAD, ROAD, "DEFRA", "DEHAM", 492.0, Tier.PRIMARY),
                Leg(Mode.SEA, "sea.container_ship.average", "DEHAM", "USNYC", 6_500.0, "modelled"),
                Leg(Mode.ROAD, ROAD, "USNYC", destination, 1_200.0, Tier.PRIMARY),
            )
        out.append(Baseline(f"design-{i}", "DEFRA", legs, 1.0 + i % 7))
    return out


def prints(count: int, seed: int) -> list[Actual]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        hub = HUBS[i % len(HUBS)]
        out.append(
            Actual(
                hub_locode=hub,
                process="L-PBF",
                material="316L",
                print_energy_kwh=round(rng.uniform(2.0, 40.0), 3),
                print_energy_tier=Tier.PRIMARY,
                feedstock_mass_kg=round(rng.uniform(0.2, 5.0), 3),
                feedstock_legs=(Leg(Mode.ROAD, VAN, hub, hub, 25.0, Tier.PRIMARY),),
                last_mile_legs=(Leg(Mode.ROAD, VAN, hub, hub, 18.0, Tier.PRIMARY),),
                last_mile_mass_kg=round(rng.uniform(0.1, 4.0), 3),
            )
        )
    return out


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prints", type=int, default=100_000)
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    fs = default_factor_set()
    baselines = designs(args.designs)
    actuals = prints(args.prints, args.seed)
    pairs = [(baselines[i % len(baselines)], a) for i, a in enumerate(actuals)]

    calc = FootprintCalculator(fs)
    start = time.perf_counter()
    for baseline, actual in pairs:
        calc.for_print(baseline, actual)
    cached = time.perf_counter() - start

    cold_n = max(1, args.prints // 10)
    start = time.perf_counter()
    for baseline, actual in pairs[:cold_n]:
        FootprintCalculator(fs).for_print(baseline, actual)
    cold = time.perf_counter() - start

    start = time.perf_counter()
    for baseline, actual in pairs[:cold_n]:
        footprint_document(calc.for_print(baseline, actual))
    with_document = time.perf_counter() - start

    print(
        json.dumps(
            {
                "benchmark": "carbon_model",
                "factor_set": fs.version,
                "prints": args.prints,
                "designs": args.designs,
                "hubs": len(HUBS),
                "prints_per_s_cached": rate(args.prints, cached),
                "prints_per_s_cold_calculator": rate(cold_n, cold),
                "prints_per_s_with_document": rate(cold_n, with_document),
                "python": platform.python_version(),
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
