#!/usr/bin/env python
"""Benchmark the event indexer (``partledger.index``).

1. Starts its own anvil (``LocalChain``), deploys the ledger, and pre-fills it with
   ``--prints`` PrintAttested events (``attestBatch``, 100 prints per transaction, from
   several hubs; raw signed transactions with explicit nonces, stuck ones re-mined).
2. Ingests the whole chain into a fresh SQLite index and a fresh PostgreSQL schema,
   reporting events/s and where the time goes (fetch wait / decode / insert+commit).
3. Grows the SQLite index to ``--provenance-prints`` prints by bulk-inserting
   SYNTHETIC print rows (random serials over the real licences), then measures the
   provenance-by-serial query (p50/p99) over random real and synthetic serials.

``--json`` prints one JSON object; ``--profile`` adds a cProfile of the SQLite ingest.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import func, select

from partledger.chain import ids
from partledger.chain.artifacts import load_artifact
from partledger.chain.connect import connect
from partledger.chain.deployer import Deployment, deploy
from partledger.chain.local import LocalChain, dev_account
from partledger.index import Indexer, IndexerConfig, IndexReader
from partledger.index import schema as s
from partledger.index.db import open_database
from partledger.index.rpc import JsonRpc
from partledger.index.store import Store

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 100
PAUSE_S = 0.001
PRINTS_TYPE = "(bytes32,bytes32,bytes32,bytes32,bytes32)[]"
DAY = 86_400


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def accounts(n: int) -> list[LocalAccount]:
    return [dev_account(i) for i in range(n)]


class Sender:
    """Raw signed transactions with explicit nonces, sent in JSON-RPC batches."""

    def __init__(self, rpc: JsonRpc, chain_id: int) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.nonces: dict[str, int] = {}
        self.mined_by_hand = 0

    def sign(self, account: LocalAccount, to: str, data: str, gas: int) -> str:
        nonce = self.nonces.get(account.address)
        if nonce is None:
            nonce = int(self.rpc.call("eth_getTransactionCount", [account.address, "pending"]), 16)
        self.nonces[account.address] = nonce + 1
        signed = account.sign_transaction(
            {
                "to": to,
                "data": data,
                "gas": gas,
                "nonce": nonce,
                "chainId": self.chain_id,
                "maxFeePerGas": 50 * 10**9,
                "maxPriorityFeePerGas": 1,
                "value": 0,
            }
        )
        return "0x" + signed.raw_transaction.hex()

    def send_many(self, raws: list[str], chunk: int = 50) -> None:
        for i in range(0, len(raws), chunk):
            self.rpc.batch("eth_sendRawTransaction", [[r] for r in raws[i : i + chunk]])

    def wait_all(self, raws_by_account: dict[str, list[str]], timeout: float = 600) -> None:
        """Wait until every account's nonce reached its target; mine/resend if stuck (#10122)."""
        deadline = time.monotonic() + timeout
        last_progress = time.monotonic()
        last_seen: dict[str, int] = {}
        while time.monotonic() < deadline:
            done = True
            for address in raws_by_account:
                mined = int(self.rpc.call("eth_getTransactionCount", [address, "latest"]), 16)
                if mined < self.nonces[address]:
                    done = False
                if last_seen.get(address) != mined:
                    last_seen[address] = mined
                    last_progress = time.monotonic()
            if done:
                return
            if time.monotonic() - last_progress > 0.3:
                # automine only mines when a transaction arrives: pending leftovers (block gas
                # full, or foundry #10122) need an explicit block
                self.rpc.call("evm_mine")
                self.mined_by_hand += 1
            if time.monotonic() - last_progress > 5.0:
                log("  transactions stuck pending: resending")
                for raws in raws_by_account.values():
                    for raw in raws:
                        try:
                            self.send_many([raw])
                        except Exception:  # noqa: S112 - already known / mined: fine
                            continue
                last_progress = time.monotonic()
            time.sleep(0.05)
        raise TimeoutError("pre-fill transactions were not all mined")


def call(sender: Sender, account: LocalAccount, contract: Any, fn: str, *args: Any) -> None:
    raw = sender.sign(
        account, contract.address, contract.encode_abi(fn, args=list(args)), 3_000_000
    )
    tx_hash = sender.rpc.call("eth_sendRawTransaction", [raw])
    for _ in range(2000):
        receipt = sender.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            if int(receipt["status"], 16) != 1:
                raise RuntimeError(f"{fn} reverted")
            return
        time.sleep(0.005)
    raise TimeoutError(fn)


def prefill(
    chain: LocalChain, n_prints: int, hubs_n: int, record: Path
) -> tuple[Deployment, list[bytes]]:
    """Deploy and fill the ledger; returns the deployment and the licence ids."""
    w3 = connect(chain.rpc_url)
    accts = accounts(3 + hubs_n)
    admin, oem, certifier, hubs = accts[0], accts[1], accts[2], accts[3:]
    deployment = deploy(w3, admin, record, network="bench", redeploy=True)
    registry = w3.eth.contract(
        address=deployment.address("DesignRegistry"), abi=load_artifact("DesignRegistry").abi
    )
    ledger = w3.eth.contract(
        address=deployment.address("PrintLedger"), abi=load_artifact("PrintLedger").abi
    )
    rpc = JsonRpc(chain.rpc_url)
    sender = Sender(rpc, w3.eth.chain_id)
    call(sender, admin, registry, "grantRole", registry.functions.OEM_ROLE().call(), oem.address)
    hub_role = ledger.functions.HUB_ROLE().call()
    call(
        sender,
        admin,
        ledger,
        "grantRole",
        ledger.functions.CERTIFIER_ROLE().call(),
        certifier.address,
    )
    content = ids.short_code("bench design")
    salt = bytes(32)
    call(sender, oem, registry, "commitDesign", ids.design_commitment(oem.address, content, salt))
    call(
        sender,
        oem,
        registry,
        "registerDesign",
        content,
        ids.short_code("c"),
        ids.short_code("m"),
        bytes(32),
        salt,
    )
    design = ids.design_id(oem.address, content)
    now = int(w3.eth.get_block("latest")["timestamp"])
    licences, machines = [], []
    per_hub = -(-n_prints // hubs_n)
    for i, hub in enumerate(hubs):
        call(sender, admin, ledger, "grantRole", hub_role, hub.address)
        call(sender, hub, ledger, "registerHub", f"Hub {i}", b"ITTRN", bytes(range(32)))
        machine_hash = ids.machine_hash("EOS", "M 290", f"M-{i}")
        call(sender, hub, ledger, "registerMachine", machine_hash)
        machines.append(ids.machine_id(hub.address, machine_hash))
        terms = (
            design,
            hub.address,
            per_hub + BATCH,
            now - 3600,
            now + 365 * DAY,
            bytes(32),
            ids.short_code("terms"),
            ids.short_code("wrapped"),
            False,
        )
        call(sender, oem, ledger, "issueLicence", terms)
        licences.append(ids.licence_id(design, hub.address, i))
    log(f"  deployed and set up {hubs_n} hubs; signing {n_prints // BATCH} attestBatch txs")
    t0 = time.perf_counter()
    raws: dict[str, list[str]] = {h.address: [] for h in hubs}
    serial = 0
    gas: int | None = None
    selector = "0x" + keccak(text=f"attestBatch({PRINTS_TYPE})")[:4].hex()
    for b in range(-(-n_prints // BATCH)):
        h = b % hubs_n
        records = []
        for _ in range(min(BATCH, n_prints - serial)):
            records.append(
                (
                    licences[h],
                    ids.serial_hash(f"SN-{serial:08d}"),
                    machines[h],
                    serial.to_bytes(32, "big"),
                    bytes(32),
                )
            )
            serial += 1
        data = selector + abi_encode([PRINTS_TYPE], [records]).hex()
        if gas is None:  # every full batch costs the same: estimate once, with headroom
            estimate = rpc.call(
                "eth_estimateGas", [{"from": hubs[h].address, "to": ledger.address, "data": data}]
            )
            gas = int(int(estimate, 16) * 1.15)
        raws[hubs[h].address].append(sender.sign(hubs[h], ledger.address, data, gas))
    t1 = time.perf_counter()
    order = [r for group in zip(*raws.values(), strict=False) for r in group]
    leftovers = [r for group in raws.values() for r in group[len(order) // hubs_n :]]
    sender.send_many(order + [r for r in leftovers if r not in set(order)])
    sender.wait_all(raws)
    t2 = time.perf_counter()
    log(
        f"  signed in {t1 - t0:.1f}s, mined {n_prints} prints in {t2 - t1:.1f}s "
        f"(head {w3.eth.block_number})"
    )
    rpc.close()
    return deployment, licences


def ingest(chain: LocalChain, deployment: Deployment, url: str, profile: bool) -> dict[str, Any]:
    config = IndexerConfig.from_deployment(deployment, chain.rpc_url, url)
    with Indexer(config) as indexer:
        profiler = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        report = indexer.sync_once()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - t0
        with indexer.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(s.prints)).scalar_one()
    out: dict[str, Any] = {
        "events": report.logs,
        "prints": stored,
        "seconds": round(elapsed, 3),
        "events_per_s": round(report.logs / elapsed),
        "ranges": report.ranges,
        "split_s": {k: round(v, 3) for k, v in report.timings.items()},
    }
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(15)
        out["cprofile"] = buf.getvalue()
    return out


def grow_and_query(url: str, licences: list[bytes], target: int, queries: int) -> dict[str, Any]:
    """Bulk-insert SYNTHETIC prints up to ``target`` and time provenance by serial."""
    config_engine = open_database(url)
    store = Store(config_engine.dialect.name)
    rng = random.Random(7)
    with config_engine.connect() as conn:
        real = conn.execute(select(func.count()).select_from(s.prints)).scalar_one()
        sample = conn.execute(select(s.prints).limit(1)).one()._mapping
        top = conn.execute(select(func.max(s.prints.c.block_number))).scalar_one()
        real_serials = [
            bytes(r) for r in conn.execute(select(s.prints.c.serial).limit(20000)).scalars()
        ]
    t0 = time.perf_counter()
    synthetic = max(0, target - real)
    synthetic_serials: list[bytes] = []
    with config_engine.begin() as conn:
        done = 0
        block = int(top) + 1000
        while done < synthetic:
            rows = []
            for _ in range(min(50_000, synthetic - done)):
                lic = licences[done % len(licences)]
                serial = rng.randbytes(32)
                if len(synthetic_serials) < 20000:
                    synthetic_serials.append(serial)
                rows.append(
                    (
                        block + done // 100,
                        done % 100,
                        sample["block_hash"],
                        sample["block_time"] + done // 100,
                        sample["tx_hash"],
                        sample["contract"],
                        lic,
                        sample["design_id"],
                        serial,
                        lic[:20],
                        sample["machine_id"],
                        serial,
                        bytes(32),
                    )
                )
                done += 1
            store.insert_rows(conn, {"prints": rows})  # executemany / COPY (PostgreSQL)
    if config_engine.dialect.name == "postgresql":
        with config_engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    t1 = time.perf_counter()
    reader = IndexReader(config_engine)
    pool = real_serials + synthetic_serials
    for serial in pool[:200]:  # warm up
        reader.provenance(serial)
    times = []
    gc.collect()
    gc.freeze()  # the pools above are long-lived: keep the collector from rescanning them
    for _ in range(queries):
        serial = rng.choice(pool)
        time.sleep(PAUSE_S)  # independent requests, not a saturating loop
        q0 = time.perf_counter()
        found = reader.provenance(serial)
        times.append((time.perf_counter() - q0) * 1000)
        assert len(found) == 1
    times.sort()
    with config_engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(s.prints)).scalar_one()
    config_engine.dispose()
    return {
        "indexed_prints": total,
        "real_prints": real,
        "synthetic_prints_inserted": synthetic,
        "synthetic_insert_s": round(t1 - t0, 1),
        "queries": queries,
        "pause_between_queries_ms": PAUSE_S * 1000,
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 3),
        "max_ms": round(times[-1], 3),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run (by events/s), with every run's figure alongside."""
    ordered = sorted(runs, key=lambda r: r["events_per_s"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["runs_events_per_s"] = [r["events_per_s"] for r in runs]
    return chosen


def pg_schema_url() -> tuple[str, str] | None:
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return schema, f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    except Exception as exc:
        log(f"  PostgreSQL unavailable: {exc}")
        return None


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--prints", type=int, default=100_000)
    parser.add_argument("--hubs", type=int, default=4)
    parser.add_argument("--provenance-prints", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="ingest runs per backend (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite ingest")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "prefilled_prints": args.prints}
    with tempfile.TemporaryDirectory() as tmp:
        with LocalChain(None) as chain:
            log(f"anvil at {chain.rpc_url}; pre-filling {args.prints} print events")
            deployment, licences = prefill(chain, args.prints, args.hubs, Path(tmp) / "rec.json")
            log("ingesting into SQLite")
            sqlite_url = f"sqlite:///{Path(tmp) / 'index.db'}"
            runs = [ingest(chain, deployment, sqlite_url, profile=False)]
            for i in range(1, args.repeat):
                runs.append(ingest(chain, deployment, f"sqlite:///{Path(tmp) / f'r{i}.db'}", False))
            result["sqlite"] = median_run(runs)
            result["events_per_s_sqlite"] = result["sqlite"]["events_per_s"]
            if args.profile:
                log("profiling a second SQLite ingest (cProfile)")
                prof = ingest(chain, deployment, f"sqlite:///{Path(tmp) / 'profile.db'}", True)
                result["cprofile_sqlite"] = prof["cprofile"]
            result["events_per_s_postgres"] = None
            pg = None if args.no_postgres else pg_schema_url()
            if pg is not None:
                log("ingesting into PostgreSQL")
                runs = [ingest(chain, deployment, pg[1], profile=False)]
                for _ in range(1, args.repeat):
                    extra = pg_schema_url()
                    if extra is None:
                        break
                    try:
                        runs.append(ingest(chain, deployment, extra[1], profile=False))
                    finally:
                        drop_schema(extra[0])
                result["postgres"] = median_run(runs)
                result["events_per_s_postgres"] = result["postgres"]["events_per_s"]
        log(f"growing the SQLite index to {args.provenance_prints} prints (SYNTHETIC rows)")
        prov = grow_and_query(sqlite_url, licences, args.provenance_prints, args.queries)
        result["provenance_p99_ms_postgres"] = None
        if pg is not None:
            try:
                log(f"growing the PostgreSQL index to {args.provenance_prints} prints (SYNTHETIC)")
                pg_prov = grow_and_query(pg[1], licences, args.provenance_prints, args.queries)
                result["provenance_postgres"] = pg_prov
                result["provenance_p99_ms_postgres"] = pg_prov["p99_ms"]
            finally:
                drop_schema(pg[0])
    result["provenance_sqlite"] = prov
    result["provenance_p99_ms"] = prov["p99_ms"]
    result["provenance_note"] = (
        f"{prov['real_prints']} prints ingested from anvil + "
        f"{prov['synthetic_prints_inserted']} synthetic print rows bulk-inserted into SQLite"
    )
    if args.json:
        print(json.dumps(result))
        return 0
    for backend in ("sqlite", "postgres"):
        r = result.get(backend)
        if r is None:
            continue
        split = ", ".join(f"{k} {v:.2f}s" for k, v in r["split_s"].items())
        print(
            f"ingest {backend:8s}: {r['events']} events in {r['seconds']:.2f}s = "
            f"{r['events_per_s']:,} events/s (median of runs {r['runs_events_per_s']}) over "
            f"{r['ranges']} ranges  [{split}]"
        )
    print(
        f"provenance (SQLite) by serial at {prov['indexed_prints']:,} prints: "
        f"p50 {prov['p50_ms']} ms, "
        f"p99 {prov['p99_ms']} ms, max {prov['max_ms']} ms ({prov['queries']} queries; "
        f"{result['provenance_note']})"
    )
    if result.get("provenance_postgres"):
        pp = result["provenance_postgres"]
        print(
            f"provenance (PostgreSQL) by serial at {pp['indexed_prints']:,} prints: "
            f"p50 {pp['p50_ms']} ms, p99 {pp['p99_ms']} ms, max {pp['max_ms']} ms"
        )
    print(
        "time split: fetch = waiting for eth_getLogs (prefetched in a thread), decode = "
        "hand decoding into rows, insert = executemany + checkpoint + commit"
    )
    if "cprofile_sqlite" in result:
        print(result["cprofile_sqlite"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
