"""Benchmark the carbon reports and the footprint model; prints JSON.

1. Inserts ``--rows`` (default 1,000,000) synthetic ``print_footprints`` rows (bulk insert, not
   through the chain) into a fresh SQLite index and a fresh PostgreSQL schema
   (127.0.0.1:5432, database ``test``; dropped afterwards), then times
   ``CarbonReports.carbon_totals`` over the whole period: one total, by month, by hub, by
   design (target: at most 10 s each).
2. Times ``FootprintCalculator.for_print`` per print (target: at least 20,000 per second).

    .venv/bin/python scripts/bench_carbon.py [--rows N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from partledger.carbon import (
    Actual,
    Baseline,
    FootprintCalculator,
    Leg,
    Mode,
    Tier,
    default_factor_set,
)
from partledger.index import open_database
from partledger.index import schema as s
from partledger.index.carbon_queries import CarbonReports

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
START = 1_735_689_600  # 2025-01-01 UTC
SPAN = 2 * 365 * 86_400
HUBS = 50
DESIGNS = 500
CHUNK = 50_000


def synthetic_rows(n: int, seed: int = 14) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    hubs = [rng.randbytes(20) for _ in range(HUBS)]
    designs = [rng.randbytes(32) for _ in range(DESIGNS)]
    licence = bytes(32)
    for i in range(n):
        baseline = 5.0 + rng.random() * 20.0
        electricity = rng.random() * 3.0
        feedstock = rng.random() * 0.5
        last = rng.random() * 0.5
        actual = electricity + feedstock + last
        yield (
            i // 100, i % 100, -1, START + (i * SPAN) // n,
            i.to_bytes(32, "big"), designs[i % DESIGNS], licence, hubs[i % HUBS],
            rng.randbytes(32), rng.randbytes(32), None,
            baseline, actual, baseline - actual, baseline + feedstock + last,
            electricity, feedstock, last,
            "partledger-factors 2026.1", "ingested", "partledger-factors 2026.1", 1, 0,
        )  # fmt: skip


def fill(engine: Engine, n: int) -> float:
    """Bulk-insert ``n`` rows; seconds taken."""
    columns = [c.name for c in s.print_footprints.columns]
    started = time.perf_counter()
    with engine.begin() as conn:
        cursor: Any = conn.connection.cursor()
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f"COPY print_footprints ({names}) FROM STDIN") as copy:
                for row in synthetic_rows(n):
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO print_footprints VALUES ({marks})"  # noqa: S608
            batch: list[tuple[Any, ...]] = []
            for row in synthetic_rows(n):
                batch.append(row)
                if len(batch) >= CHUNK:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        cursor.close()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE print_footprints")
            conn.commit()
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def time_reports(engine: Engine, n: int) -> dict[str, Any]:
    reports = CarbonReports(engine)
    out: dict[str, Any] = {"rows": n, "insert_seconds": round(fill(engine, n), 2)}
    for group in (None, "month", "hub", "design"):
        started = time.perf_counter()
        rows = reports.carbon_totals(since=START, until=START + SPAN + 1, group_by=group)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        assert sum(r.prints for r in rows) == n, (group, sum(r.prints for r in rows))
        out[f"by_{group or 'total'}"] = {
            "seconds": round(seconds, 3),
            "groups": len(rows),
            "within_10s": seconds <= 10.0,
        }
    return out


def bench_sqlite(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{Path(tmp) / 'index.db'}")
        try:
            return time_reports(engine, n)
        finally:
            engine.dispose()


def bench_postgres(n: int) -> dict[str, Any]:
    import psycopg

    schema = f"bench_carbon_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        engine = open_database(f"{PG_ADMIN}?options=-csearch_path%3D{schema}")
        try:
            return {"schema": schema, **time_reports(engine, n)}
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bench_calculator(n: int = 100_000) -> dict[str, Any]:
    calc = FootprintCalculator(default_factor_set())
    baselines = [
        Baseline(
            design_id=f"design-{d}",
            origin="DEFRA",
            legs=(
                Leg(
                    Mode.ROAD,
                    "road.hgv_all_diesel.average_laden",
                    "DEFRA",
                    "DEHAM",
                    492.0,
                    Tier.PRIMARY,
                ),
                Leg(
                    Mode.SEA,
                    "sea.container_ship.average",
                    "DEHAM",
                    "BRSSZ",
                    10_000.0,
                    Tier.MODELLED,
                ),
                Leg(Mode.AIR, "air.international_non_uk", "DEFRA", "BRGRU"),
            ),
            shipped_mass_kg=2.0 + d,
        )
        for d in range(20)
    ]
    feed = (Leg(Mode.ROAD, "road.van_average_diesel", "BRSSZ", "BRSAO", 75.0, Tier.PRIMARY),)
    last = (Leg(Mode.ROAD, "road.van_average_diesel", "BRSAO", "BRGRU", 30.0, Tier.PRIMARY),)
    rng = random.Random(7)

    def actual() -> Actual:
        return Actual(
            "BRSAO", "L-PBF", "316L", 5.0 + rng.random() * 20.0, Tier.PRIMARY,
            0.5 + rng.random(), feed, last, 0.5 + rng.random(),
        )  # fmt: skip

    started = time.perf_counter()
    actuals = [actual() for _ in range(n)]
    build = time.perf_counter() - started
    started = time.perf_counter()
    for i, a in enumerate(actuals):
        calc.for_print(baselines[i % len(baselines)], a)
    compute = time.perf_counter() - started
    return {
        "prints": n,
        "for_print_per_second": round(n / compute),
        "with_actual_construction_per_second": round(n / (compute + build)),
        "meets_20000_per_second": n / (compute + build) >= 20_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"sqlite": bench_sqlite(args.rows)}
    if not args.no_postgres:
        result["postgresql"] = bench_postgres(args.rows)
    result["footprint_calculator"] = bench_calculator()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
