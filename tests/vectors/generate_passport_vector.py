"""Regenerate ``passport-bundle-v1.json``: a real proof bundle that must keep verifying offline.

It starts an ephemeral anvil, onboards an OEM, a hub and a certifier, prints one part on a
licence that requires ISO/ASTM 52920, exports its bundle (signed by anvil account 5) and writes
it with the two block hashes a verifier trusts. Run from the repo root:

    .venv/bin/python tests/vectors/generate_passport_vector.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from helpers.world import METADATA, ONE_DAY, STANDARD, build_world
from partledger.chain.connect import connect
from partledger.chain.local import LocalChain, dev_account
from partledger.passport import export_bundle
from partledger.sdk import PrintInput

OUT = Path(__file__).with_name("passport-bundle-v1.json")


def main() -> None:
    """Write the vector file."""
    chain = LocalChain(None).start()
    try:
        w3 = connect(chain.rpc_url)
        with tempfile.TemporaryDirectory() as tmp:
            world = build_world(w3, [dev_account(i) for i in range(10)], Path(tmp))
            design = world.oem.register_design(world.design_file(size=4096), METADATA)
            licence = world.oem.issue_licence(
                design.design_id, world.hub.address, max_prints=3,
                valid_until=world.now() + 365 * ONE_DAY, required_standard=STANDARD,
            ).licence_id  # fmt: skip
            world.hub.attest_print(PrintInput(licence, "PL-VECTOR-1", world.machine, "LOT-1"))
            provenance = world.auditor.provenance(design.design_id, "PL-VECTOR-1")
            bundle = export_bundle(world.ledger, provenance, bytes(dev_account(5).key))
            trusted = {
                str(n): bytes(w3.eth.get_block(n)["hash"]).hex()
                for n in (
                    int(bundle["payload"]["atPrint"]["header"]["number"], 16),
                    int(bundle["payload"]["atExport"]["header"]["number"], 16),
                )
            }
            world.ledger.journal.close()
    finally:
        chain.stop()
    vector = {
        "description": "A PartLedger passport bundle v1 that verifies offline with `trusted`.",
        "part": {"designId": design.design_id, "serialNumber": "PL-VECTOR-1"},
        "trusted": trusted,
        "bundle": bundle,
    }
    OUT.write_text(json.dumps(vector, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
