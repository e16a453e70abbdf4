"""Regenerate ``container-v1.json`` (run from the repo root; output is deterministic).

.venv/bin/python tests/vectors/generate_container_vectors.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from partledger.crypto import DataKey, EncryptingStream, SegmentEncryptor

OUT = Path(__file__).with_name("container-v1.json")


def _bytes(seed: str, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


CASES = [
    ("empty plaintext, one empty final segment", 0, 64),
    ("one byte", 1, 64),
    ("segment size minus one", 63, 64),
    ("exactly one segment", 64, 64),
    ("one segment plus one byte", 65, 64),
    ("several segments, short final", 200, 64),
    ("several segments, full final", 192, 64),
    ("minimum segment size", 40, 16),
]


def main() -> None:
    """Write the vector file."""
    vectors = []
    for number, (description, size, segment_size) in enumerate(CASES):
        dek = DataKey(_bytes(f"dek/{number}", 32))
        salt = _bytes(f"salt/{number}", 16)
        prefix = _bytes(f"prefix/{number}", 7)
        plaintext = _bytes(f"plaintext/{number}", size)
        encryptor = SegmentEncryptor(dek, segment_size, salt=salt, nonce_prefix=prefix)
        stream = EncryptingStream([plaintext], dek, segment_size=segment_size, encryptor=encryptor)
        container = b"".join(stream)
        vectors.append(
            {
                "description": description,
                "dek": dek.key.hex(),
                "key_id": dek.key_id.hex(),
                "segment_size": segment_size,
                "salt": salt.hex(),
                "nonce_prefix": prefix.hex(),
                "plaintext": plaintext.hex(),
                "plaintext_sha256": stream.plaintext_sha256,
                "container": container.hex(),
                "container_sha256": stream.container_sha256,
            }
        )
    document = {
        "format": "partledger-container",
        "version": 1,
        "spec": "docs/container-format.md",
        "vectors": vectors,
    }
    OUT.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
