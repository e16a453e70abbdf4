#!/usr/bin/env python3
"""Time a full reconciliation of N designs and N licences (default 10,000 each).

Starts its own anvil, registers N designs (commit-reveal) and issues one licence
per design with raw signed transactions, stores every referenced blob (container,
metadata, wrapped key, terms: 4N small blobs) in a filesystem store, indexes the
chain, then times ``Reconciler.run()`` (deep: every blob re-hashed) and reports
each check's share. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_indexer import Sender, accounts

from partledger.chain import ids
from partledger.chain.artifacts import load_artifact
from partledger.chain.connect import connect
from partledger.chain.deployer import deploy
from partledger.chain.local import LocalChain
from partledger.index import Indexer, IndexerConfig
from partledger.index.rpc import JsonRpc
from partledger.reconcile import CHECKS, Options, Reconciler
from partledger.sdk import Ledger
from partledger.storage import FilesystemBlobStore, put_bytes

DAY = 86_400
GAS = 400_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prefill(chain: LocalChain, work: Path, n: int) -> Ledger:
    """Deploy, then N designs + N licences on-chain and their blobs in the store."""
    w3 = connect(chain.rpc_url)
    admin, oem, hub = accounts(3)
    deployment = deploy(w3, admin, work / "rec.json", network="bench")
    registry = w3.eth.contract(
        address=deployment.address("DesignRegistry"), abi=load_artifact("DesignRegistry").abi
    )
    prints = w3.eth.contract(
        address=deployment.address("PrintLedger"), abi=load_artifact("PrintLedger").abi
    )
    rpc = JsonRpc(chain.rpc_url)
    sender = Sender(rpc, w3.eth.chain_id)
    store = FilesystemBlobStore(work / "data" / "blobs")

    def run(account: object, contract: object, calls: list[tuple[str, tuple[object, ...]]]) -> None:
        raws = [
            sender.sign(account, contract.address, contract.encode_abi(fn, args=list(a)), GAS)  # type: ignore[attr-defined,arg-type]
            for fn, a in calls
        ]
        sender.send_many(raws)
        sender.wait_all({account.address: raws})  # type: ignore[attr-defined]

    run(admin, registry, [("grantRole", (registry.functions.OEM_ROLE().call(), oem.address))])
    run(admin, prints, [("grantRole", (prints.functions.HUB_ROLE().call(), hub.address))])
    run(hub, prints, [("registerHub", ("Bench hub", b"ITMIL", bytes(range(32))))])

    t0 = time.perf_counter()
    designs = []
    for i in range(n):
        container = put_bytes(store, os.urandom(256)).sha256
        metadata = put_bytes(store, os.urandom(96)).sha256
        content = os.urandom(32)
        designs.append((content, bytes.fromhex(container), bytes.fromhex(metadata), i))
    log(f"  stored {2 * n} design blobs in {time.perf_counter() - t0:.1f}s")
    salt = bytes(32)
    t0 = time.perf_counter()
    run(oem, registry, [
        ("commitDesign", (ids.design_commitment(oem.address, c, salt),)) for c, *_ in designs
    ])  # fmt: skip
    run(oem, registry, [
        ("registerDesign", (c, box, meta, bytes(32), salt)) for c, box, meta, _ in designs
    ])  # fmt: skip
    now = int(w3.eth.get_block("latest")["timestamp"])
    licences = []
    for content, *_ in designs:
        wrapped = put_bytes(store, os.urandom(120)).sha256
        terms = put_bytes(store, os.urandom(200)).sha256
        design_id = ids.design_id(oem.address, content)
        licences.append((
            design_id, hub.address, 10, now - 60, now + 30 * DAY, bytes(32),
            bytes.fromhex(terms), bytes.fromhex(wrapped), False,
        ))  # fmt: skip
    run(oem, prints, [("issueLicence", (terms,)) for terms in licences])
    log(f"  registered {n} designs and issued {n} licences in {time.perf_counter() - t0:.1f}s")
    rpc.close()
    return Ledger.open(w3, deployment, work / "data", store=store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--designs", type=int, default=10_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="pl-bench-rec-", dir=os.getcwd()) as tmp,
        LocalChain(None) as chain,
    ):
        work = Path(tmp)
        ledger = prefill(chain, work, args.designs)
        config = IndexerConfig.from_deployment(
            ledger.deployment, chain.rpc_url, f"sqlite:///{work / 'index.db'}"
        )
        with Indexer(config) as indexer:
            t0 = time.perf_counter()
            indexer.sync_once()
            index_s = time.perf_counter() - t0
            reconciler = Reconciler(
                ledger, indexer, quarantine_dir=work / "quarantine",
                options=Options(orphan_grace=timedelta(0)),
            )  # fmt: skip
            per_check = {}
            for name in CHECKS:
                t = time.perf_counter()
                reconciler.run(only=[name])
                per_check[name] = round(time.perf_counter() - t, 3)
            report = reconciler.run()
        ledger.journal.close()
    result = {
        "designs": args.designs,
        "licences": args.designs,
        "blobs": 4 * args.designs,
        "index_sync_s": round(index_s, 2),
        "reconcile_s": round(report.seconds, 2),
        "findings": len(report.findings),
        "per_check_s": per_check,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"full reconciliation of {args.designs} designs + {args.designs} licences")
        for key, value in result.items():
            print(f"  {key:16s} {value}")
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
