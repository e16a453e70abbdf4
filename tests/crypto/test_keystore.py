"""Passphrase keystores (0600, atomic, authenticated) and key providers."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account

from partledger.crypto import (
    ChainedKeyProvider,
    EnvKeyProvider,
    HpkeSuiteId,
    Identity,
    KeyNotFoundError,
    KeyProvider,
    KeystoreDirectory,
    KeystoreFormatError,
    KeystorePermissionError,
    WrongPassphraseError,
    load_keystore,
    save_keystore,
)
from partledger.crypto.keystore import MIN_SCRYPT_N

FAST = MIN_SCRYPT_N


@pytest.fixture(scope="module")
def hub() -> Identity:
    return Identity.generate("hub-milano", HpkeSuiteId.MLKEM768_X25519)


def test_a_keystore_round_trips_and_is_private(tmp_path: Path, hub: Identity) -> None:
    path = tmp_path / "hub.json"
    save_keystore(path, hub, "correct horse", scrypt_n=FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keystore(path, "correct horse") == hub
    text = path.read_text()
    assert hub.eth_private_key.hex() not in text
    assert hub.hpke_key.raw.hex() not in text
    assert json.loads(text)["eth_address"] == Account.from_key(hub.eth_private_key).address
    assert [p.name for p in tmp_path.iterdir()] == ["hub.json"]


def test_the_default_scrypt_cost_is_at_least_2_to_the_15(tmp_path: Path, hub: Identity) -> None:
    save_keystore(tmp_path / "hub.json", hub, "pw")
    kdf = json.loads((tmp_path / "hub.json").read_text())["kdf"]
    assert kdf["name"] == "scrypt" and kdf["n"] >= 2**15 and kdf["r"] == 8 and kdf["p"] == 1


def test_a_wrong_passphrase_fails_clearly(tmp_path: Path, hub: Identity) -> None:
    save_keystore(tmp_path / "hub.json", hub, "right", scrypt_n=FAST)
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        load_keystore(tmp_path / "hub.json", "wrong")


def test_edited_public_fields_are_detected(tmp_path: Path, hub: Identity) -> None:
    path = tmp_path / "hub.json"
    save_keystore(path, hub, "pw", scrypt_n=FAST)
    document = json.loads(path.read_text())
    document["eth_address"] = Identity.generate("x").eth_address
    path.write_text(json.dumps(document))
    with pytest.raises(WrongPassphraseError):
        load_keystore(path, "pw")


def test_a_group_readable_keystore_is_refused(tmp_path: Path, hub: Identity) -> None:
    path = tmp_path / "hub.json"
    save_keystore(path, hub, "pw", scrypt_n=FAST)
    os.chmod(path, 0o644)
    with pytest.raises(KeystorePermissionError, match="0600"):
        load_keystore(path, "pw")


def test_an_existing_keystore_is_not_overwritten_by_default(tmp_path: Path, hub: Identity) -> None:
    path = tmp_path / "hub.json"
    save_keystore(path, hub, "pw", scrypt_n=FAST)
    with pytest.raises(FileExistsError):
        save_keystore(path, Identity.generate("hub-milano"), "pw", scrypt_n=FAST)
    assert load_keystore(path, "pw") == hub


def test_garbage_is_not_a_keystore(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    for content in (b"not json", b"[]", b'{"format": "other"}'):
        path.write_bytes(content)
        os.chmod(path, 0o600)
        with pytest.raises(KeystoreFormatError):
            load_keystore(path, "pw")


def test_identities_hide_keys_and_validate_names() -> None:
    identity = Identity.generate("oem-1")
    assert identity.eth_private_key.hex() not in repr(identity)
    with pytest.raises(KeystoreFormatError):
        Identity.generate("../etc/passwd")
    with pytest.raises(KeystoreFormatError):
        Identity("oem", bytes(32), identity.hpke_key)


def test_the_env_provider_reads_hex_keys(hub: Identity) -> None:
    environ = EnvKeyProvider.export(hub)
    assert set(environ) == {"PARTLEDGER_KEY_HUB_MILANO_ETH", "PARTLEDGER_KEY_HUB_MILANO_HPKE"}
    provider = EnvKeyProvider(environ)
    assert isinstance(provider, KeyProvider)
    assert provider.load_identity("hub-milano") == hub
    with pytest.raises(KeyNotFoundError):
        provider.load_identity("oem")
    broken = dict(environ, PARTLEDGER_KEY_HUB_MILANO_HPKE="zz")
    with pytest.raises(KeystoreFormatError):
        EnvKeyProvider(broken).load_identity("hub-milano")


def test_providers_chain_and_keystore_directories_work(tmp_path: Path, hub: Identity) -> None:
    directory = KeystoreDirectory(tmp_path / "keys", lambda name: f"pw-{name}")
    oem = Identity.generate("oem")
    path = directory.save_identity(oem)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    chained = ChainedKeyProvider(EnvKeyProvider(EnvKeyProvider.export(hub)), directory)
    assert chained.load_identity("oem") == oem
    assert chained.load_identity("hub-milano") == hub
    with pytest.raises(KeyNotFoundError):
        chained.load_identity("certifier")
