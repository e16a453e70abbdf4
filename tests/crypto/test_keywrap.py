"""HPKE wrapping of data keys: both suites, binding to design and licence, clear failures."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from partledger.crypto import (
    DataKey,
    HpkePrivateKey,
    HpkePublicKey,
    HpkeSuiteId,
    KeyUnwrapError,
    KeyWrapError,
    WrappedKey,
    WrongRecipientError,
    unwrap_dek,
    wrap_dek,
    wrap_info,
)

DESIGN = bytes.fromhex("11" * 32)
LICENCE = bytes.fromhex("22" * 32)
SUITES = list(HpkeSuiteId)


@pytest.fixture(scope="module", params=SUITES, ids=[s.label for s in SUITES])
def hub_key(request: pytest.FixtureRequest) -> HpkePrivateKey:
    suite: HpkeSuiteId = request.param
    return HpkePrivateKey.generate(suite)


def test_a_wrapped_key_opens_for_its_hub_design_and_licence(hub_key: HpkePrivateKey) -> None:
    dek = DataKey.generate()
    wrapped = wrap_dek(dek, hub_key.public_key(), design_id=DESIGN, licence_id=LICENCE)
    blob = wrapped.to_bytes()
    assert WrappedKey.from_bytes(blob) == wrapped
    assert unwrap_dek(blob, hub_key, design_id=DESIGN, licence_id=LICENCE) == dek


def test_the_oem_wrap_uses_its_own_label(hub_key: HpkePrivateKey) -> None:
    dek = DataKey.generate()
    wrapped = wrap_dek(dek, hub_key.public_key(), design_id=DESIGN, licence_id=None)
    assert unwrap_dek(wrapped, hub_key, design_id=DESIGN, licence_id=None) == dek
    with pytest.raises(KeyUnwrapError):
        unwrap_dek(wrapped, hub_key, design_id=DESIGN, licence_id=bytes(32))


def test_a_wrapped_key_moved_to_another_licence_does_not_open(hub_key: HpkePrivateKey) -> None:
    wrapped = wrap_dek(
        DataKey.generate(), hub_key.public_key(), design_id=DESIGN, licence_id=LICENCE
    )
    with pytest.raises(KeyUnwrapError, match="another design/licence"):
        unwrap_dek(wrapped, hub_key, design_id=DESIGN, licence_id=os.urandom(32))
    with pytest.raises(KeyUnwrapError):
        unwrap_dek(wrapped, hub_key, design_id=os.urandom(32), licence_id=LICENCE)


def test_another_hubs_key_is_told_it_is_not_the_recipient(hub_key: HpkePrivateKey) -> None:
    wrapped = wrap_dek(
        DataKey.generate(), hub_key.public_key(), design_id=DESIGN, licence_id=LICENCE
    )
    other = HpkePrivateKey.generate(hub_key.suite)
    with pytest.raises(WrongRecipientError):
        unwrap_dek(wrapped, other, design_id=DESIGN, licence_id=LICENCE)
    relabelled = replace(wrapped, recipient=other.public_key().fingerprint)
    with pytest.raises(KeyUnwrapError):
        unwrap_dek(relabelled, other, design_id=DESIGN, licence_id=LICENCE)


def test_a_key_of_the_other_suite_is_not_the_recipient() -> None:
    x = HpkePrivateKey.generate(HpkeSuiteId.X25519)
    pq = HpkePrivateKey.generate(HpkeSuiteId.MLKEM768_X25519)
    wrapped = wrap_dek(DataKey.generate(), x.public_key(), design_id=DESIGN, licence_id=LICENCE)
    with pytest.raises(WrongRecipientError):
        unwrap_dek(wrapped, pq, design_id=DESIGN, licence_id=LICENCE)


def test_any_changed_byte_of_a_wrapped_key_is_rejected(hub_key: HpkePrivateKey) -> None:
    blob = wrap_dek(
        DataKey.generate(), hub_key.public_key(), design_id=DESIGN, licence_id=LICENCE
    ).to_bytes()
    positions = list(range(0, 60)) + list(range(60, len(blob), max(1, len(blob) // 40)))
    for position in positions:
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(KeyWrapError):
            unwrap_dek(bytes(tampered), hub_key, design_id=DESIGN, licence_id=LICENCE)
    with pytest.raises(KeyWrapError):
        WrappedKey.from_bytes(blob[:30])


def test_public_keys_serialize_with_a_suite_tag(hub_key: HpkePrivateKey) -> None:
    public = hub_key.public_key()
    encoded = public.to_bytes()
    assert encoded[:2] == bytes([1, hub_key.suite])
    assert len(encoded) == (34 if hub_key.suite is HpkeSuiteId.X25519 else 2 + 1184 + 32)
    assert HpkePublicKey.from_bytes(encoded) == public
    assert HpkePrivateKey.from_bytes(hub_key.to_bytes()) == hub_key
    assert hub_key.raw.hex() not in repr(hub_key)


def test_malformed_public_keys_are_rejected() -> None:
    for bad in (
        b"",
        b"\x01",
        b"\x02\x01" + bytes(32),
        b"\x01\x09" + bytes(32),
        b"\x01\x01" + bytes(31),
    ):
        with pytest.raises(KeyWrapError):
            HpkePublicKey.from_bytes(bad)


def test_wrap_info_is_domain_separated_and_checks_id_sizes() -> None:
    assert wrap_info(DESIGN, LICENCE) == b"partledger/dek-wrap/v1/licence" + DESIGN + LICENCE
    assert wrap_info(DESIGN, None) == b"partledger/dek-wrap/v1/oem" + DESIGN
    with pytest.raises(KeyWrapError):
        wrap_info(b"short", LICENCE)
    with pytest.raises(KeyWrapError):
        wrap_info(DESIGN, b"short")


def test_suite_labels_round_trip() -> None:
    for suite in HpkeSuiteId:
        assert HpkeSuiteId.from_label(suite.label) is suite
    with pytest.raises(KeyWrapError):
        HpkeSuiteId.from_label("rsa")
