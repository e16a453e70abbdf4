"""Identities on the command line: keystore names wherever an account is meant.

``--as NAME`` loads a private identity (keystore, or ``PARTLEDGER_KEY_<NAME>_*``);
a positional or option that names an account (a hub, a new owner, a role holder)
takes either an address or such a name, resolved to its address without any
passphrase (keystores record their address in clear).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from functools import cache

from eth_account import Account
from eth_utils.address import is_checksum_address, to_checksum_address

from partledger.cli.format import fail
from partledger.config import Settings
from partledger.crypto import ChainedKeyProvider, EnvKeyProvider, Identity, KeystoreDirectory
from partledger.crypto.errors import KeystoreFormatError
from partledger.crypto.identity import check_name

EXIT_INVALID = 1
EXIT_USAGE = 2
PASSPHRASE_ENV = "PARTLEDGER_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

acting: list[str] = []
"""Names of the identities this invocation loaded, in order (for hints: who must be funded,
who lacks a role)."""


def settings() -> Settings:
    return Settings()


# -- private identities (--as) -----------------------------------------------------------
def _ask(prompt: str) -> str:
    if os.environ.get(PASSPHRASE_ENV) is not None:
        return os.environ[PASSPHRASE_ENV]
    if sys.stdin is None or not sys.stdin.isatty():
        fail(
            f"no passphrase for the keystore: set {PASSPHRASE_ENV} (there is no terminal to "
            "ask on)",
            EXIT_USAGE,
            f"export {PASSPHRASE_ENV}=...; servers can use PARTLEDGER_KEY_<NAME>_ETH and "
            "PARTLEDGER_KEY_<NAME>_HPKE instead of keystores",
        )
    return getpass.getpass(prompt)


def passphrase(name: str) -> str:
    """The keystore passphrase: ``PARTLEDGER_PASSPHRASE``, else asked on the terminal."""
    return _ask(f"passphrase for {name}: ")


def new_passphrase(name: str) -> str:
    """A passphrase for a new keystore: the environment's, or asked twice on the terminal."""
    first = _ask(f"new passphrase for {name}: ")
    if os.environ.get(PASSPHRASE_ENV) is None and getpass.getpass("again: ") != first:
        fail("the two passphrases differ; nothing was saved", EXIT_INVALID)
    return first


def keystores(*, new: bool = False) -> KeystoreDirectory:
    return KeystoreDirectory(settings().keystore_dir, new_passphrase if new else passphrase)


def load_identity(name: str) -> Identity:
    """An identity from the environment (``PARTLEDGER_KEY_<NAME>_*``) or its keystore."""
    identity = ChainedKeyProvider(EnvKeyProvider(), keystores()).load_identity(name)
    acting.append(name)
    return identity


# -- public addresses (names or 0x addresses) ---------------------------------------------
def known_names() -> list[str]:
    """Identity names of the keystores in the data directory."""
    directory = settings().keystore_dir
    return sorted(p.stem for p in directory.glob("*.json")) if directory.is_dir() else []


def address_of_name(name: str) -> str | None:
    """The address of identity ``name`` (keystore or environment), without its passphrase."""
    try:
        check_name(name)
    except KeystoreFormatError:
        return None
    path = settings().keystore_dir / f"{name}.json"
    if path.is_file():
        try:
            address = json.loads(path.read_text())["eth_address"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return to_checksum_address(address) if isinstance(address, str) else None
    eth_var, _ = EnvKeyProvider.variable_names(name)
    if key := os.environ.get(eth_var):
        try:
            return str(Account.from_key(key).address)
        except (ValueError, TypeError):
            return None
    return None


def resolve_address(value: str, what: str = "account") -> str:
    """A checksummed address from an address or an identity name; a clear error otherwise."""
    text = value.strip()
    if _HEX_ADDRESS.fullmatch(text):
        digits = text[2:]
        if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(text):
            fail(f"{what} {value} has a wrong checksum (mistyped?)", EXIT_INVALID)
        return to_checksum_address(text)
    if text.lower().startswith("0x"):
        fail(
            f"{what} {value!r} is not an address (0x followed by 40 hex digits)",
            EXIT_INVALID,
        )
    if (address := address_of_name(text)) is not None:
        return address
    names = known_names()
    known = f"known identities: {', '.join(names)}" if names else "no identities yet"
    fail(
        f"{what} {value!r} is neither an address nor a known identity name",
        EXIT_INVALID,
        f"{known} (`partledger keys list`); create one with `partledger keys create NAME`",
    )


def name_of(address: str) -> str | None:
    """The local identity name of ``address``, if a keystore here holds it."""
    directory = settings().keystore_dir
    try:
        version = directory.stat().st_mtime_ns
    except OSError:
        return None
    return _names_by_address(str(directory), version).get(address.lower())


@cache
def _names_by_address(directory: str, version: int) -> dict[str, str]:
    """Address -> name of the keystores of ``directory`` (as of its mtime ``version``)."""
    out: dict[str, str] = {}
    for name in known_names():
        if (address := address_of_name(name)) is not None:
            out.setdefault(address.lower(), name)
    return out


def brief(address: str) -> str:
    """An account in a crowded table: its local name, else the shortened address."""
    try:
        shown = to_checksum_address(address)
    except ValueError:
        return address
    return name_of(shown) or f"{shown[:8]}…{shown[-6:]}"


def label(address: str) -> str:
    """``0xAbC…full (acme-oem)``: an address with its local name when there is one."""
    try:
        shown = to_checksum_address(address)
    except ValueError:
        return address
    name = name_of(shown)
    return f"{shown} ({name})" if name else shown
