#!/usr/bin/env python3
"""End-to-end SDK throughput on a fresh local anvil (started and stopped here).

Prints designs registered per second (small files, full encrypt + commit-reveal),
and prints attested per second individually, batched (attestBatch, 100 per tx)
and Merkle-anchored (one root per batch). ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from partledger.chain.connect import connect
from partledger.chain.deployer import deploy
from partledger.chain.local import LocalChain, dev_account
from partledger.crypto import HpkePrivateKey, Identity
from partledger.sdk import Admin, Certifier, DesignMetadata, Hub, Ledger, Oem, PrintInput, Role

DAY = 86_400


def _accounts(n: int) -> list:
    return [dev_account(i) for i in range(n)]


def run(designs: int, singles: int, batched: int, anchored: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="pl-bench-e2e-") as tmp, LocalChain(None) as chain:
        work = Path(tmp)
        w3 = connect(chain.rpc_url)
        acct = _accounts(5)
        deployment = deploy(w3, acct[0], work / "rec.json", network="bench")
        ledger = Ledger.open(w3, deployment, work / "data")
        admin = Admin(ledger, acct[0])
        oem = Oem(ledger, Identity("oem", bytes(acct[1].key), HpkePrivateKey.generate()))
        hub = Hub(ledger, Identity("hub", bytes(acct[2].key), HpkePrivateKey.generate()))
        admin.grant(Role.OEM, oem.address)
        admin.grant(Role.HUB, hub.address)
        admin.grant(Role.CERTIFIER, acct[3].address)
        hub.register("Bench hub", "ITMIL")
        machine = hub.register_machine("EOS", "M 290", "SN-1")
        now = ledger.now()
        Certifier(ledger, acct[3]).qualify_machine(machine, "ISO/ASTM 52920", b"c", now, now + DAY)

        meta = DesignMetadata("PN", "A", "PA12", "SLS")
        files = []
        for i in range(designs):
            path = work / f"d{i}.stl"
            path.write_bytes(os.urandom(10_000))
            files.append(path)
        start = time.perf_counter()
        registered = [oem.register_design(p, meta) for p in files]
        designs_per_s = designs / (time.perf_counter() - start)

        total = singles + batched + anchored
        licence = oem.issue_licence(
            registered[0].design_id, hub.address, max_prints=total + 10, valid_until=now + DAY
        ).licence_id

        def parts(prefix: str, n: int) -> list[PrintInput]:
            return [PrintInput(licence, f"{prefix}-{i}", machine, "LOT") for i in range(n)]

        start = time.perf_counter()
        for part in parts("S", singles):
            hub.attest_print(part)
        single_per_s = singles / (time.perf_counter() - start)

        batch_parts = parts("B", batched)
        start = time.perf_counter()
        hub.attest_prints(batch_parts)
        batched_per_s = batched / (time.perf_counter() - start)

        merkle_parts = parts("M", anchored)
        start = time.perf_counter()
        hub.anchor_batch(merkle_parts)
        merkle_per_s = anchored / (time.perf_counter() - start)
        ledger.journal.close()
    return {
        "designs_per_s": round(designs_per_s, 1),
        "prints_per_s_single": round(single_per_s, 1),
        "prints_per_s_batched": round(batched_per_s, 1),
        "prints_per_s_merkle": round(merkle_per_s, 1),
        "designs": designs,
        "single_prints": singles,
        "batched_prints": batched,
        "merkle_prints": anchored,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--designs", type=int, default=30)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--batched", type=int, default=1000)
    parser.add_argument("--anchored", type=int, default=5000)
    args = parser.parse_args()
    result = run(args.designs, args.singles, args.batched, args.anchored)
    if args.json:
        print(json.dumps(result))
    else:
        print("end-to-end SDK throughput on a local anvil")
        for key, value in result.items():
            print(f"  {key:24s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
