"""Regenerate ``keywrap-v1.json``: fixed recipient keys and wrapped DEKs that must keep opening.

HPKE encryption is randomized, so these vectors are checked in the unwrap
direction only. Run from the repo root:

    .venv/bin/python tests/vectors/generate_keywrap_vectors.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from partledger.crypto import DataKey, HpkePrivateKey, HpkeSuiteId, wrap_dek

OUT = Path(__file__).with_name("keywrap-v1.json")


def _bytes(seed: str, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def main() -> None:
    """Write the vector file."""
    vectors = []
    for suite in HpkeSuiteId:
        raw_size = 32 if suite is HpkeSuiteId.X25519 else 96
        key = HpkePrivateKey(suite, _bytes(f"hpke/{suite.label}", raw_size))
        dek = DataKey(_bytes(f"dek/{suite.label}", 32))
        design_id = _bytes("design", 32)
        for licence_id in (_bytes("licence", 32), None):
            wrapped = wrap_dek(dek, key.public_key(), design_id=design_id, licence_id=licence_id)
            vectors.append(
                {
                    "suite": suite.label,
                    "private_key": key.to_bytes().hex(),
                    "public_key": key.public_key().to_bytes().hex(),
                    "design_id": design_id.hex(),
                    "licence_id": None if licence_id is None else licence_id.hex(),
                    "dek": dek.key.hex(),
                    "wrapped_key": wrapped.to_bytes().hex(),
                }
            )
    document = {"format": "partledger-wrapped-key", "version": 1, "vectors": vectors}
    OUT.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
