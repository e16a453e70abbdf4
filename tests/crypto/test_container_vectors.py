"""The published test vectors, checked against the code and an independent reading of the spec."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from partledger.crypto import DataKey, DecryptingStream, EncryptingStream, SegmentEncryptor

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "container-v1.json").read_text())[
    "vectors"
]


def _reference_encrypt(v: dict[str, Any]) -> bytes:
    """docs/container-format.md, implemented from the text with raw primitives only."""
    dek, salt, prefix = (bytes.fromhex(v[k]) for k in ("dek", "salt", "nonce_prefix"))
    plaintext, size = bytes.fromhex(v["plaintext"]), v["segment_size"]

    key_id_bytes = hmac.new(dek, b"partledger/key-id/v1", hashlib.sha256).digest()[:16]
    header = b"PLEDGER\x00" + struct.pack(">BBI", 1, 1, size) + key_id_bytes + salt + prefix
    subkey = HKDF(
        hashes.SHA256(), 32, salt=salt, info=b"partledger/container/v1/aes-256-gcm"
    ).derive(dek)
    aead = AESGCM(subkey)
    pieces = [plaintext[i : i + size] for i in range(0, len(plaintext), size)] or [b""]
    out = header
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        nonce = prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")
        out += aead.encrypt(nonce, piece, header if index == 0 else None)
    return out


@pytest.mark.parametrize("vector", VECTORS, ids=[v["description"] for v in VECTORS])
def test_vector_matches_the_implementation_and_the_spec(vector: dict[str, Any]) -> None:
    dek = DataKey(bytes.fromhex(vector["dek"]))
    container = bytes.fromhex(vector["container"])
    plaintext = bytes.fromhex(vector["plaintext"])
    assert dek.key_id.hex() == vector["key_id"]
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
    assert hashlib.sha256(container).hexdigest() == vector["container_sha256"]
    assert _reference_encrypt(vector) == container
    encryptor = SegmentEncryptor(
        dek,
        vector["segment_size"],
        salt=bytes.fromhex(vector["salt"]),
        nonce_prefix=bytes.fromhex(vector["nonce_prefix"]),
    )
    stream = EncryptingStream(
        [plaintext], dek, segment_size=vector["segment_size"], encryptor=encryptor
    )
    assert b"".join(stream) == container
    decrypted = DecryptingStream(
        io.BytesIO(container), dek, expected_sha256=vector["plaintext_sha256"]
    )
    assert b"".join(decrypted) == plaintext
