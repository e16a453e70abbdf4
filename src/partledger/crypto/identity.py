"""An identity's private keys: the Ethereum account key and the HPKE recipient key."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from eth_account import Account

from partledger.crypto.errors import KeystoreFormatError
from partledger.crypto.hpke_keys import HpkePrivateKey, HpkePublicKey, HpkeSuiteId

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def check_name(name: str) -> str:
    """Identity names: 1-64 chars of letters, digits, ``_`` and ``-`` (safe as file names)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise KeystoreFormatError(f"invalid identity name {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Identity:
    """An OEM's or hub's keys. ``repr`` never shows private material."""

    name: str
    eth_private_key: bytes = field(repr=False)
    hpke_key: HpkePrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_name(self.name)
        scalar = int.from_bytes(self.eth_private_key, "big")
        if len(self.eth_private_key) != 32 or not 0 < scalar < _SECP256K1_ORDER:
            raise KeystoreFormatError("Ethereum private key must be a valid 32-byte secp256k1 key")

    @classmethod
    def generate(cls, name: str, suite: HpkeSuiteId = HpkeSuiteId.X25519) -> Identity:
        """Fresh random keys."""
        while True:
            eth = os.urandom(32)
            if 0 < int.from_bytes(eth, "big") < _SECP256K1_ORDER:
                return cls(name, eth, HpkePrivateKey.generate(suite))

    @property
    def eth_address(self) -> str:
        """Checksummed Ethereum address of the account key."""
        return str(Account.from_key(self.eth_private_key).address)

    @property
    def hpke_public_key(self) -> HpkePublicKey:
        """The HPKE public key to publish on-chain."""
        return self.hpke_key.public_key()
