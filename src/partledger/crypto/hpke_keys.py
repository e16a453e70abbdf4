"""HPKE (RFC 9180) recipient keys with a suite tag: X25519 or hybrid ML-KEM-768 + X25519."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from partledger.crypto.errors import KeyWrapError

KEY_ENCODING_VERSION = 1
FINGERPRINT_SIZE = 16
_X25519_SIZE = 32
_MLKEM768_PUBLIC_SIZE = 1184
_MLKEM768_SEED_SIZE = 64

RecipientPublic = x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey
RecipientPrivate = x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey


class HpkeSuiteId(enum.IntEnum):
    """HPKE suites PartLedger wraps data keys with (all HKDF-SHA256 + AES-256-GCM)."""

    X25519 = 1
    MLKEM768_X25519 = 2

    @property
    def label(self) -> str:
        """Stable text name: ``x25519`` or ``mlkem768-x25519``."""
        return "x25519" if self is HpkeSuiteId.X25519 else "mlkem768-x25519"

    @classmethod
    def from_label(cls, label: str) -> HpkeSuiteId:
        """Inverse of ``label``."""
        for suite in cls:
            if suite.label == label:
                return suite
        raise KeyWrapError(f"unknown HPKE suite {label!r}")

    def suite(self) -> hpke.Suite:
        """The ``cryptography`` HPKE suite object."""
        kem = hpke.KEM.X25519 if self is HpkeSuiteId.X25519 else hpke.KEM.MLKEM768_X25519
        return hpke.Suite(kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

    def enc_length(self) -> int:
        """Length of the KEM encapsulation."""
        kem = hpke.KEM.X25519 if self is HpkeSuiteId.X25519 else hpke.KEM.MLKEM768_X25519
        return kem.enc_length()


def _raw_x25519_public(key: x25519.X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _tagged(suite: HpkeSuiteId, raw: bytes) -> bytes:
    return bytes([KEY_ENCODING_VERSION, suite]) + raw


def _untag(data: bytes, what: str) -> tuple[HpkeSuiteId, bytes]:
    if len(data) < 2 or data[0] != KEY_ENCODING_VERSION:
        raise KeyWrapError(f"malformed HPKE {what}: bad encoding version")
    try:
        suite = HpkeSuiteId(data[1])
    except ValueError:
        raise KeyWrapError(f"malformed HPKE {what}: unknown suite {data[1]}") from None
    return suite, bytes(data[2:])


@dataclass(frozen=True, slots=True)
class HpkePublicKey:
    """A recipient's public key; ``to_bytes()`` is what the contracts store (``hpkePublicKey``).

    Encoding: version (1) || suite id (1) || raw key (X25519: 32 bytes; hybrid:
    ML-KEM-768 encapsulation key (1184) || X25519 (32)).
    """

    suite: HpkeSuiteId
    raw: bytes

    def __post_init__(self) -> None:
        self.key()  # validate

    def to_bytes(self) -> bytes:
        """Suite-tagged encoding."""
        return _tagged(self.suite, self.raw)

    @classmethod
    def from_bytes(cls, data: bytes) -> HpkePublicKey:
        """Parse the suite-tagged encoding."""
        suite, raw = _untag(data, "public key")
        return cls(suite, raw)

    @property
    def fingerprint(self) -> bytes:
        """First 16 bytes of SHA-256 of the encoding."""
        return hashlib.sha256(self.to_bytes()).digest()[:FINGERPRINT_SIZE]

    def key(self) -> RecipientPublic:
        """The ``cryptography`` key object."""
        try:
            if self.suite is HpkeSuiteId.X25519:
                if len(self.raw) != _X25519_SIZE:
                    raise ValueError("bad length")
                return x25519.X25519PublicKey.from_public_bytes(self.raw)
            if len(self.raw) != _MLKEM768_PUBLIC_SIZE + _X25519_SIZE:
                raise ValueError("bad length")
            return hpke.MLKEM768X25519PublicKey(
                mlkem.MLKEM768PublicKey.from_public_bytes(self.raw[:_MLKEM768_PUBLIC_SIZE]),
                x25519.X25519PublicKey.from_public_bytes(self.raw[_MLKEM768_PUBLIC_SIZE:]),
            )
        except ValueError as exc:
            raise KeyWrapError(f"malformed {self.suite.label} public key: {exc}") from None


@dataclass(frozen=True, slots=True)
class HpkePrivateKey:
    """A recipient's private key.

    Encoding: version (1) || suite id (1) || [ML-KEM-768 seed (64) ||] X25519 (32).
    """

    suite: HpkeSuiteId
    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        self.key()  # validate

    @classmethod
    def generate(cls, suite: HpkeSuiteId = HpkeSuiteId.X25519) -> HpkePrivateKey:
        """Fresh random key for ``suite``."""
        x = x25519.X25519PrivateKey.generate().private_bytes_raw()
        if suite is HpkeSuiteId.X25519:
            return cls(suite, x)
        return cls(suite, mlkem.MLKEM768PrivateKey.generate().private_bytes_raw() + x)

    def to_bytes(self) -> bytes:
        """Suite-tagged encoding (secret: keep it in a keystore)."""
        return _tagged(self.suite, self.raw)

    @classmethod
    def from_bytes(cls, data: bytes) -> HpkePrivateKey:
        """Parse the suite-tagged encoding."""
        suite, raw = _untag(data, "private key")
        return cls(suite, raw)

    def key(self) -> RecipientPrivate:
        """The ``cryptography`` key object."""
        try:
            if self.suite is HpkeSuiteId.X25519:
                if len(self.raw) != _X25519_SIZE:
                    raise ValueError("bad length")
                return x25519.X25519PrivateKey.from_private_bytes(self.raw)
            if len(self.raw) != _MLKEM768_SEED_SIZE + _X25519_SIZE:
                raise ValueError("bad length")
            return hpke.MLKEM768X25519PrivateKey(
                mlkem.MLKEM768PrivateKey.from_seed_bytes(self.raw[:_MLKEM768_SEED_SIZE]),
                x25519.X25519PrivateKey.from_private_bytes(self.raw[_MLKEM768_SEED_SIZE:]),
            )
        except ValueError as exc:
            raise KeyWrapError(f"malformed {self.suite.label} private key: {exc}") from None

    def public_key(self) -> HpkePublicKey:
        """The matching public key."""
        x = x25519.X25519PrivateKey.from_private_bytes(self.raw[-_X25519_SIZE:])
        x_public = _raw_x25519_public(x.public_key())
        if self.suite is HpkeSuiteId.X25519:
            return HpkePublicKey(self.suite, x_public)
        seed = self.raw[:_MLKEM768_SEED_SIZE]
        m_public = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()
        return HpkePublicKey(self.suite, m_public + x_public)
