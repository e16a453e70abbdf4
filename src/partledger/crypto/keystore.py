"""Passphrase-encrypted keystore files (scrypt + AES-256-GCM, mode 0600, atomic writes)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from partledger.crypto.atomic_file import atomic_write
from partledger.crypto.errors import (
    KeystoreFormatError,
    KeystorePermissionError,
    WrongPassphraseError,
)
from partledger.crypto.hpke_keys import HpkePrivateKey
from partledger.crypto.identity import Identity

KEYSTORE_FORMAT = "partledger-keystore"
KEYSTORE_VERSION = 1
DEFAULT_SCRYPT_N = 2**15
MIN_SCRYPT_N = 2**14
MAX_SCRYPT_N = 2**20
_SALT_SIZE = 16
_NONCE_SIZE = 12


def _derive(passphrase: str | bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def _aad(document: dict[str, Any]) -> bytes:
    public = {k: v for k, v in document.items() if k != "ciphertext"}
    return json.dumps(public, sort_keys=True, separators=(",", ":")).encode()


def encrypt_identity(
    identity: Identity, passphrase: str | bytes, *, scrypt_n: int = DEFAULT_SCRYPT_N
) -> dict[str, Any]:
    """The keystore JSON document for ``identity``; public fields are authenticated too."""
    if not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N or scrypt_n & (scrypt_n - 1):
        raise ValueError(f"scrypt n must be a power of two in [{MIN_SCRYPT_N}, {MAX_SCRYPT_N}]")
    salt, nonce = os.urandom(_SALT_SIZE), os.urandom(_NONCE_SIZE)
    document: dict[str, Any] = {
        "format": KEYSTORE_FORMAT,
        "version": KEYSTORE_VERSION,
        "name": identity.name,
        "eth_address": identity.eth_address,
        "hpke_public_key": identity.hpke_public_key.to_bytes().hex(),
        "kdf": {"name": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": salt.hex()},
        "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex()},
    }
    secret = json.dumps(
        {
            "eth_private_key": identity.eth_private_key.hex(),
            "hpke_private_key": identity.hpke_key.to_bytes().hex(),
        }
    ).encode()
    key = _derive(passphrase, salt, scrypt_n, 8, 1)
    document["ciphertext"] = AESGCM(key).encrypt(nonce, secret, _aad(document)).hex()
    return document


def decrypt_identity(document: dict[str, Any], passphrase: str | bytes) -> Identity:
    """Open a keystore document; ``WrongPassphraseError`` if the passphrase is wrong."""
    try:
        if document["format"] != KEYSTORE_FORMAT or document["version"] != KEYSTORE_VERSION:
            raise KeystoreFormatError("not a PartLedger keystore (format/version)")
        kdf, cipher = document["kdf"], document["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "aes-256-gcm":
            raise KeystoreFormatError("unsupported keystore KDF or cipher")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N or not 1 <= r <= 32 or not 1 <= p <= 16:
            raise KeystoreFormatError("keystore scrypt parameters out of range")
        salt, nonce = bytes.fromhex(kdf["salt"]), bytes.fromhex(cipher["nonce"])
        ciphertext = bytes.fromhex(document["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, KeystoreFormatError):
            raise
        raise KeystoreFormatError(f"malformed keystore: {exc!r}") from None
    key = _derive(passphrase, salt, n, r, p)
    try:
        secret = json.loads(AESGCM(key).decrypt(nonce, ciphertext, _aad(document)))
    except InvalidTag:
        raise WrongPassphraseError(
            f"wrong passphrase for keystore {document.get('name')!r} (or the file was modified)"
        ) from None
    identity = Identity(
        name=document["name"],
        eth_private_key=bytes.fromhex(secret["eth_private_key"]),
        hpke_key=HpkePrivateKey.from_bytes(bytes.fromhex(secret["hpke_private_key"])),
    )
    if identity.eth_address != document["eth_address"]:
        raise KeystoreFormatError("keystore address does not match its private key")
    return identity


def save_keystore(
    path: Path,
    identity: Identity,
    passphrase: str | bytes,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    overwrite: bool = False,
) -> None:
    """Write ``identity`` to ``path`` encrypted, mode 0600, atomically."""
    document = encrypt_identity(identity, passphrase, scrypt_n=scrypt_n)
    with atomic_write(Path(path), mode=0o600, overwrite=overwrite) as out:
        out.write(json.dumps(document, indent=2).encode() + b"\n")


def load_keystore(path: Path, passphrase: str | bytes) -> Identity:
    """Read and decrypt a keystore; refuses files readable by group or others."""
    path = Path(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeystorePermissionError(
            f"keystore {path} has mode {mode:04o}; it must be 0600 (chmod 600 {path})"
        )
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeystoreFormatError(f"keystore {path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise KeystoreFormatError(f"keystore {path} is not a JSON object")
    return decrypt_identity(document, passphrase)
