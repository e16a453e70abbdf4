"""Scale-out benchmark: one vs two service replicas on one PostgreSQL database.

Starts what it needs (anvil, a scratch PostgreSQL database per run, the replica processes
of tests/replicas/replica_child.py) and stops it after. Prints JSON:

- provenance requests/s through a round-robin client (httpx, ``--concurrency`` threads,
  ``--seconds`` each) with 1 and with 2 replicas, and their ratio, in steady state: each
  replica has answered every looked-up part once (documents are cached per chain head);
- relayed prints/s (signed attestations submitted round-robin to the replicas, until all
  are on-chain) with 1 and with 2 replicas (one leader relays in either case);
- a leader SIGKILLed mid-stream: takeover seconds, lost and duplicated prints (counted
  from the chain's PrintAttested events per serial);
- a ``--s3-mib`` container uploaded and downloaded through the service on an S3 store vs
  plain boto3 transfers to the same moto server (``bench_s3_service.py``; 0 skips it);
- ``targets``: each of the issue's targets and whether this run met it.

Usage: .venv/bin/python scripts/bench_scale.py [--seconds 5] [--concurrency 16] [--prints 1000]
       [--s3-mib 1024] [--s3-rounds 2]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replicas.support import Replica, replica_env, scratch_database, token  # noqa: E402
from replicas.test_replicas import attested_serials  # noqa: E402

from helpers.attestations import signed_attestations  # noqa: E402
from helpers.world import World, build_world  # noqa: E402
from partledger.chain.connect import connect  # noqa: E402
from partledger.chain.local import LocalChain, dev_account  # noqa: E402

BENCH_ENV = {"PARTLEDGER_RELAY_BATCH_SIZE": "100", "PARTLEDGER_RELAY_WINDOW_MS": "200"}


@contextmanager
def replicas(anvil: LocalChain, world: World, n: int, tag: str) -> Iterator[list[Replica]]:
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        env = {**replica_env(url, world.data_dir / "data" / "blobs"), **BENCH_ENV}
        record = world.data_dir / "rec.json"
        started = [
            Replica(f"{tag}{i}", anvil.rpc_url, record, world.data_dir / f"replica-{tag}{i}", env)
            for i in range(n)
        ]
        try:
            for replica in started:  # one after the other: the first migrates the database
                replica.start()
            yield started
        finally:
            for replica in started:
                replica.kill()


def leader(reps: list[Replica], timeout: float = 10) -> Replica:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        roles = [(r, r.role()) for r in reps if r.alive]
        leaders = [r for r, role in roles if role == "leader"]
        if len(leaders) == 1:
            return leaders[0]
        time.sleep(0.05)
    raise RuntimeError("no single leader")


def signed_items(world: World, n: int, prefix: str) -> tuple[str, str, list[dict[str, Any]]]:
    """A design, a licence and ``n`` hub-signed attestations ``{prefix}-0`` ... (not sent)."""
    return signed_attestations(world, n, f"{prefix}-", design_bytes=20_000)


def submit_round_robin(
    reps: list[Replica], world: World, items: list[dict[str, Any]], chunk: int = 20
) -> None:
    heads = {r.name: token(r, r, world.hub.account) for r in reps}
    with httpx.Client(timeout=60) as client:
        for i in range(0, len(items), chunk):
            replica = reps[(i // chunk) % len(reps)]
            if not replica.alive:
                replica = next(r for r in reps if r.alive)
            response = client.post(
                replica.url + "/v1/prints", headers=heads[replica.name],
                json={"attestations": items[i : i + chunk]},
            )  # fmt: skip
            response.raise_for_status()


def wait_printed(world: World, licence_id: str, n: int, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if world.hub.licence(licence_id).printed >= n:
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"only {world.hub.licence(licence_id).printed} of {n} prints landed")


def provenance_rate(
    reps: list[Replica], paths: list[str], seconds: float, concurrency: int
) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    counts = [0] * concurrency
    errors = [0] * concurrency

    def worker(k: int) -> None:
        i = k
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop:
                replica = reps[i % len(reps)]
                response = client.get(replica.url + paths[i % len(paths)])
                if response.status_code == 200:
                    counts[k] += 1
                else:
                    errors[k] += 1
                i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "requests": sum(counts),
        "errors": sum(errors),
        "seconds": round(elapsed, 2),
        "per_second": round(sum(counts) / elapsed, 1),
    }


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def provenance_rate_wrk(
    reps: list[Replica], paths: list[str], seconds: float, connections: int
) -> dict[str, Any]:
    """The same load from ``wrk`` (C, one thread per replica, the connections split evenly):
    a Python client on the same 2 cores would take the CPU the replicas need."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    per = max(1, connections // len(reps))
    command = ["wrk", "-t1", f"-c{per}", f"-d{max(1, round(seconds))}s", "-s", script.name]
    runs = [subprocess.Popen([*command, r.url], stdout=subprocess.PIPE, text=True) for r in reps]
    outputs = [run.communicate()[0] for run in runs]
    Path(script.name).unlink()

    def total(pattern: str) -> float:
        return sum(float(m.group(1)) for o in outputs if (m := re.search(pattern, o)))

    return {
        "client": "wrk",
        "requests": int(total(r"(\d+) requests in")),
        "errors": int(total(r"Non-2xx or 3xx responses: (\d+)")),
        "seconds": seconds,
        "per_second": round(total(r"Requests/sec:\s+([\d.]+)"), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--prints", type=int, default=1000)
    parser.add_argument("--s3-mib", type=int, default=1024, help="container MiB; 0: no S3 run")
    parser.add_argument("--s3-rounds", type=int, default=2)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "params": vars(args),
        "relay_batch_size": int(BENCH_ENV["PARTLEDGER_RELAY_BATCH_SIZE"]),
    }
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        anvil = LocalChain(None).start()
        stack.callback(anvil.stop)
        w3 = connect(anvil.rpc_url)
        world = build_world(w3, [dev_account(i) for i in range(10)], Path(tmp))
        stack.callback(world.ledger.journal.close)

        # a few attested parts to look up
        design_id, licence_id, items = signed_items(world, 20, "SN-LOOKUP")
        with replicas(anvil, world, 1, "p") as reps:
            submit_round_robin(reps, world, items)
            wait_printed(world, licence_id, len(items))
        paths = [f"/v1/audit/provenance/SN-LOOKUP-{i}?design_id={design_id}" for i in range(20)]

        for n in (1, 2):
            with replicas(anvil, world, n, f"r{n}-") as reps:
                for r in reps:  # warm up: connections, and every document in every cache
                    for path in paths:
                        httpx.get(r.url + path, timeout=30).raise_for_status()
                measure = provenance_rate_wrk if shutil.which("wrk") else provenance_rate
                result[f"provenance_{n}_replica"] = measure(
                    reps, paths, args.seconds, args.concurrency
                )
                _, lic, items = signed_items(world, args.prints, f"SN-R{n}")
                started = time.monotonic()
                submit_round_robin(reps, world, items)
                done = wait_printed(world, lic, len(items))
                result[f"relay_{n}_replica"] = {
                    "prints": len(items),
                    "seconds": round(done - started, 2),
                    "per_second": round(len(items) / (done - started), 1),
                }
        result["provenance_ratio_2_to_1"] = round(
            result["provenance_2_replica"]["per_second"]
            / result["provenance_1_replica"]["per_second"],
            2,
        )

        with replicas(anvil, world, 2, "k") as reps:
            _, lic, items = signed_items(world, args.prints, "SN-KILL")
            first = leader(reps)
            half = len(items) // 2
            submit_round_robin(reps, world, items[:half])
            killed = time.monotonic()
            first.kill()
            survivor = next(r for r in reps if r is not first)
            submit_round_robin([survivor], world, items[half:])
            leader([survivor])
            takeover = time.monotonic() - killed
            wait_printed(world, lic, len(items))
            time.sleep(1.0)
            counts = attested_serials(world, lic)
            expected = {it["serial"] for it in items}
            result["leader_kill"] = {
                "prints": len(items),
                "takeover_seconds": round(takeover, 2),
                "lost": len(expected - set(counts)),
                "duplicated": sum(1 for c in counts.values() if c > 1),
            }
    if args.s3_mib:
        sys.path.insert(0, str(ROOT / "scripts"))
        import bench_s3_service

        s3 = bench_s3_service.run(argparse.Namespace(mib=args.s3_mib, rounds=args.s3_rounds))
        result["s3_through_service"] = s3
    result["targets"] = targets(result)
    print(json.dumps(result, indent=2))


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, each with the figure this run measured and whether it met it."""
    one, two = result["relay_1_replica"], result["relay_2_replica"]
    kill = result["leader_kill"]
    met: dict[str, Any] = {
        "provenance 2 vs 1 replicas >= 1.6": result["provenance_ratio_2_to_1"] >= 1.6,
        "relayed prints/s with 2 replicas not below 1 (within 10 %)": two["per_second"]
        >= 0.9 * one["per_second"],
        "0 lost, 0 duplicated across a leader kill": kill["lost"] == 0 and kill["duplicated"] == 0,
    }
    s3 = result.get("s3_through_service")
    if s3 is not None:
        met["S3 upload through the service >= 0.7 of boto3"] = s3["upload_ratio"] >= 0.7
        met["S3 download through the service >= 0.7 of boto3"] = (
            min(s3["download_ratio"], s3["download_ratio_vs_get_object"]) >= 0.7
        )
        met["service RSS growth < 64 MiB"] = s3["service_rss_growth_mib"] < 64
    return met


if __name__ == "__main__":
    main()
