"""Where servers get identities from: keystore files, environment variables, or a KMS hook."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from partledger.crypto.errors import KeyNotFoundError, KeystoreFormatError
from partledger.crypto.hpke_keys import HpkePrivateKey
from partledger.crypto.identity import Identity, check_name
from partledger.crypto.keystore import load_keystore, save_keystore

ENV_PREFIX = "PARTLEDGER_KEY_"


@runtime_checkable
class KeyProvider(Protocol):
    """Anything that can produce a named identity (implement it to plug in a KMS)."""

    def load_identity(self, name: str) -> Identity:
        """Return the identity ``name`` or raise ``KeyNotFoundError``."""
        ...


class KeystoreDirectory:
    """Keystores as ``<directory>/<name>.json``; the passphrase is a string or a callback."""

    def __init__(self, directory: Path, passphrase: str | Callable[[str], str]) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase

    def path_of(self, name: str) -> Path:
        """Keystore file of identity ``name``."""
        return self.directory / f"{check_name(name)}.json"

    def _secret(self, name: str) -> str:
        return self._passphrase(name) if callable(self._passphrase) else self._passphrase

    def load_identity(self, name: str) -> Identity:
        """Decrypt the keystore of ``name``."""
        path = self.path_of(name)
        if not path.exists():
            raise KeyNotFoundError(f"no keystore for identity {name!r} in {self.directory}")
        return load_keystore(path, self._secret(name))

    def save_identity(self, identity: Identity, *, overwrite: bool = False) -> Path:
        """Encrypt ``identity`` into its keystore file (mode 0600) and return the path."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.path_of(identity.name)
        save_keystore(path, identity, self._secret(identity.name), overwrite=overwrite)
        return path


class EnvKeyProvider:
    """Keys from ``PARTLEDGER_KEY_<NAME>_ETH`` and ``PARTLEDGER_KEY_<NAME>_HPKE`` (hex).

    ``<NAME>`` is the identity name upper-cased with ``-`` replaced by ``_``; the HPKE
    value is the suite-tagged private key encoding (``HpkePrivateKey.to_bytes().hex()``).
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    @staticmethod
    def variable_names(name: str) -> tuple[str, str]:
        """The two environment variable names for identity ``name``."""
        stem = ENV_PREFIX + check_name(name).upper().replace("-", "_")
        return f"{stem}_ETH", f"{stem}_HPKE"

    @staticmethod
    def export(identity: Identity) -> dict[str, str]:
        """Environment variables that make this provider return ``identity``."""
        eth_var, hpke_var = EnvKeyProvider.variable_names(identity.name)
        return {
            eth_var: "0x" + identity.eth_private_key.hex(),
            hpke_var: identity.hpke_key.to_bytes().hex(),
        }

    def load_identity(self, name: str) -> Identity:
        """Build the identity from the environment."""
        eth_var, hpke_var = self.variable_names(name)
        eth_hex, hpke_hex = self._environ.get(eth_var), self._environ.get(hpke_var)
        if eth_hex is None or hpke_hex is None:
            raise KeyNotFoundError(f"identity {name!r} needs both {eth_var} and {hpke_var}")
        try:
            eth = bytes.fromhex(eth_hex.removeprefix("0x"))
            hpke = HpkePrivateKey.from_bytes(bytes.fromhex(hpke_hex.removeprefix("0x")))
        except ValueError as exc:
            raise KeystoreFormatError(f"malformed key in {eth_var}/{hpke_var}: {exc}") from None
        return Identity(name, eth, hpke)


class ChainedKeyProvider:
    """Ask each provider in turn; the first that knows the name wins."""

    def __init__(self, *providers: KeyProvider) -> None:
        self.providers = providers

    def load_identity(self, name: str) -> Identity:
        """Return the first provider's identity ``name``."""
        for provider in self.providers:
            try:
                return provider.load_identity(name)
            except KeyNotFoundError:
                continue
        raise KeyNotFoundError(f"no key provider has identity {name!r}")
