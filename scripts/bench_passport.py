"""Passport proof bundles: size, export time and offline verify time on a local anvil.

Starts an ephemeral anvil, prints one direct and one anchored part, then exports and verifies
each bundle ``--rounds`` times. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from helpers.world import METADATA, ONE_DAY, STANDARD, build_world
from partledger.chain.connect import connect
from partledger.chain.local import LocalChain, dev_account
from partledger.passport import export_bundle, verify_bundle
from partledger.sdk import PrintInput


def run(rounds: int) -> dict[str, float]:
    chain = LocalChain(None).start()
    try:
        w3 = connect(chain.rpc_url)
        with tempfile.TemporaryDirectory() as tmp:
            world = build_world(w3, [dev_account(i) for i in range(10)], Path(tmp))
            design = world.oem.register_design(world.design_file(size=4096), METADATA)
            issue = world.oem.issue_licence
            qualified = issue(design.design_id, world.hub.address, max_prints=10,
                              valid_until=world.now() + ONE_DAY,
                              required_standard=STANDARD).licence_id  # fmt: skip
            open_ = issue(design.design_id, world.hub.address, max_prints=1000,
                          valid_until=world.now() + ONE_DAY).licence_id  # fmt: skip
            world.hub.attest_print(PrintInput(qualified, "B-DIRECT", world.machine, "LOT"))
            world.hub.anchor_batch(
                [PrintInput(open_, f"B-A{i}", world.machine, "LOT") for i in range(1000)]
            )
            key = bytes(dev_account(5).key)
            out: dict[str, float] = {}
            for label, serial in (("direct", "B-DIRECT"), ("anchored", "B-A500")):
                provenance = world.auditor.provenance(design.design_id, serial)
                exports, verifies = [], []
                for _ in range(rounds):
                    start = time.perf_counter()
                    bundle = export_bundle(world.ledger, provenance, key)
                    exports.append(time.perf_counter() - start)
                    data = json.dumps(bundle, separators=(",", ":")).encode()
                    trusted = {
                        int(bundle["payload"][k]["header"]["number"], 16): bytes.fromhex(
                            bundle["payload"][k]["header"]["hash"][2:]
                        )
                        for k in ("atPrint", "atExport")
                    }
                    start = time.perf_counter()
                    assert verify_bundle(data, trusted=trusted).ok
                    verifies.append(time.perf_counter() - start)
                out[f"{label}_bundle_bytes"] = len(data)
                out[f"{label}_export_ms_median"] = round(statistics.median(exports) * 1000, 1)
                out[f"{label}_verify_ms_median"] = round(statistics.median(verifies) * 1000, 1)
            world.ledger.journal.close()
            return out
    finally:
        chain.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    result = run(args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print("passport bundles on a local anvil (medians)")
    for key, value in result.items():
        print(f"  {key:28} {value}")


if __name__ == "__main__":
    main()
