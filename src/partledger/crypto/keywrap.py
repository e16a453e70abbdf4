"""Wrap a design's data key to a recipient with HPKE, bound to the design and licence."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from partledger.crypto.datakey import KEY_ID_SIZE, DataKey
from partledger.crypto.errors import KeyUnwrapError, KeyWrapError, WrongRecipientError
from partledger.crypto.hpke_keys import (
    FINGERPRINT_SIZE,
    HpkePrivateKey,
    HpkePublicKey,
    HpkeSuiteId,
)

WRAP_MAGIC = b"PLWK"
WRAP_VERSION = 1
LICENCE_WRAP_LABEL = b"partledger/dek-wrap/v1/licence"
OEM_WRAP_LABEL = b"partledger/dek-wrap/v1/oem"
ID_SIZE = 32
_FIXED = struct.Struct(f">4sBB{KEY_ID_SIZE}s{FINGERPRINT_SIZE}sH")


def wrap_info(design_id: bytes, licence_id: bytes | None) -> bytes:
    """HPKE ``info``: label || design id (32) [|| licence id (32)]; ``None`` = the OEM's wrap."""
    _check_id(design_id, "design id")
    if licence_id is None:
        return OEM_WRAP_LABEL + design_id
    _check_id(licence_id, "licence id")
    return LICENCE_WRAP_LABEL + design_id + licence_id


def _check_id(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != ID_SIZE:
        raise KeyWrapError(f"{what} must be 32 bytes (bytes32)")


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A DEK sealed to one recipient. Stored as a blob, its hash committed on-chain."""

    suite: HpkeSuiteId
    key_id: bytes
    recipient: bytes
    enc: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        """Encode: "PLWK" || version || suite || key id (16) || recipient fp (16)
        || enc length (2, big-endian) || enc || ciphertext."""
        head = _FIXED.pack(
            WRAP_MAGIC, WRAP_VERSION, self.suite, self.key_id, self.recipient, len(self.enc)
        )
        return head + self.enc + self.ciphertext

    @classmethod
    def from_bytes(cls, data: bytes) -> WrappedKey:
        """Parse; raise ``KeyWrapError`` if malformed."""
        if len(data) < _FIXED.size:
            raise KeyWrapError("wrapped key truncated")
        magic, version, suite_id, key_id, recipient, enc_len = _FIXED.unpack_from(data)
        if magic != WRAP_MAGIC or version != WRAP_VERSION:
            raise KeyWrapError("not a PartLedger wrapped key (bad magic or version)")
        try:
            suite = HpkeSuiteId(suite_id)
        except ValueError:
            raise KeyWrapError(f"wrapped key uses unknown suite {suite_id}") from None
        body = data[_FIXED.size :]
        if enc_len != suite.enc_length() or len(body) <= enc_len:
            raise KeyWrapError("wrapped key has a malformed encapsulation or ciphertext")
        return cls(suite, key_id, recipient, bytes(body[:enc_len]), bytes(body[enc_len:]))


def wrap_dek(
    dek: DataKey, recipient: HpkePublicKey, *, design_id: bytes, licence_id: bytes | None
) -> WrappedKey:
    """Seal ``dek`` to ``recipient``; ``licence_id=None`` wraps for the OEM itself."""
    info = wrap_info(design_id, licence_id)
    sealed = recipient.suite.suite().encrypt(dek.key, recipient.key(), info=info)
    split = recipient.suite.enc_length()
    return WrappedKey(
        suite=recipient.suite,
        key_id=dek.key_id,
        recipient=recipient.fingerprint,
        enc=sealed[:split],
        ciphertext=sealed[split:],
    )


def unwrap_dek(
    wrapped: WrappedKey | bytes,
    private_key: HpkePrivateKey,
    *,
    design_id: bytes,
    licence_id: bytes | None,
) -> DataKey:
    """Open a wrapped DEK; the design and licence ids must be those it was wrapped for."""
    if not isinstance(wrapped, WrappedKey):
        wrapped = WrappedKey.from_bytes(wrapped)
    public = private_key.public_key()
    if wrapped.suite is not private_key.suite or wrapped.recipient != public.fingerprint:
        raise WrongRecipientError(
            f"wrapped key is addressed to {wrapped.suite.label} key {wrapped.recipient.hex()}, "
            f"not to this {private_key.suite.label} key {public.fingerprint.hex()}"
        )
    info = wrap_info(design_id, licence_id)
    try:
        raw = wrapped.suite.suite().decrypt(
            wrapped.enc + wrapped.ciphertext, private_key.key(), info=info
        )
    except InvalidTag:
        target = "the OEM" if licence_id is None else f"licence {licence_id.hex()}"
        raise KeyUnwrapError(
            f"wrapped key does not open for design {design_id.hex()} and {target}: "
            "it was wrapped for another design/licence, or altered"
        ) from None
    dek = DataKey(raw)
    if dek.key_id != wrapped.key_id:
        raise KeyUnwrapError("unwrapped key does not match the wrapped key's key id")
    return dek
