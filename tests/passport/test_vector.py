"""The committed bundle test vector keeps verifying offline, with no chain at all."""

from __future__ import annotations

import json
from pathlib import Path

from partledger.passport import verify_bundle

VECTOR = Path(__file__).parents[1] / "vectors" / "passport-bundle-v1.json"


def test_the_committed_bundle_verifies_with_its_checkpoints_and_no_node() -> None:
    vector = json.loads(VECTOR.read_text())
    trusted = {int(n): bytes.fromhex(h) for n, h in vector["trusted"].items()}
    part = vector["part"]
    result = verify_bundle(
        vector["bundle"], trusted=trusted, expect=(part["designId"], part["serialNumber"])
    )
    assert result.ok, result.claims
    assert len(result.claims) >= 14
    # the same bundle with any other checkpoint is not verified
    shifted = {n: bytes(reversed(h)) for n, h in trusted.items()}
    assert not verify_bundle(vector["bundle"], trusted=shifted).ok
