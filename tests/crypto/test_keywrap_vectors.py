"""Published wrapped-key vectors keep opening (format and HPKE parameters are stable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from partledger.crypto import (
    HpkePrivateKey,
    HpkePublicKey,
    KeyUnwrapError,
    WrappedKey,
    unwrap_dek,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "keywrap-v1.json").read_text())[
    "vectors"
]


@pytest.mark.parametrize(
    "vector",
    VECTORS,
    ids=[f"{v['suite']}-{'oem' if v['licence_id'] is None else 'licence'}" for v in VECTORS],
)
def test_wrapped_key_vector_opens_to_its_dek(vector: dict[str, Any]) -> None:
    key = HpkePrivateKey.from_bytes(bytes.fromhex(vector["private_key"]))
    assert key.public_key() == HpkePublicKey.from_bytes(bytes.fromhex(vector["public_key"]))
    wrapped = WrappedKey.from_bytes(bytes.fromhex(vector["wrapped_key"]))
    assert wrapped.suite.label == vector["suite"]
    licence = None if vector["licence_id"] is None else bytes.fromhex(vector["licence_id"])
    design = bytes.fromhex(vector["design_id"])
    dek = unwrap_dek(wrapped, key, design_id=design, licence_id=licence)
    assert dek.key.hex() == vector["dek"]
    with pytest.raises(KeyUnwrapError):
        unwrap_dek(wrapped, key, design_id=bytes(32), licence_id=licence)
