"""``partledger keys``: create, import, list and export identities (encrypted keystores)."""

from __future__ import annotations

from typing import Annotated

import typer
from web3 import Web3

from partledger.cli.app import app, group
from partledger.cli.common import (
    EXIT_INVALID,
    Output,
    fail,
    guarded,
    keystores,
    load_identity,
    open_ledger,
    say,
    settings,
    show_fields,
)
from partledger.cli.identities import known_names
from partledger.crypto import HpkePrivateKey, HpkeSuiteId, Identity

keys_app = group("Identities: Ethereum account key + HPKE key, encrypted at rest.")
app.add_typer(keys_app, name="keys")

Name = Annotated[str, typer.Argument(metavar="NAME", help="Identity name (keystore file name).")]
Suite = Annotated[str, typer.Option(metavar="SUITE", help="HPKE suite: x25519 or mlkem768-x25519.")]
Overwrite = Annotated[bool, typer.Option(help="Replace an existing keystore of that name.")]


@keys_app.command("create")
def create(name: Name, suite: Suite = "x25519", overwrite: Overwrite = False) -> None:
    """Generate a new identity and save it in an encrypted keystore (mode 0600).

    The passphrase is PARTLEDGER_PASSPHRASE, or asked twice on the terminal."""
    with guarded():
        identity = Identity.generate(name, HpkeSuiteId.from_label(suite))
        path = keystores(new=True).save_identity(identity, overwrite=overwrite)
    _show(identity, str(path))


@keys_app.command("import")
def import_key(
    name: Name,
    eth_key: Annotated[
        str, typer.Option(metavar="HEX", help="Hex private key of the Ethereum account.")
    ],
    suite: Suite = "x25519",
    overwrite: Overwrite = False,
) -> None:
    """Import an existing Ethereum key (a fresh HPKE key is generated)."""
    with guarded():
        try:
            raw = bytes.fromhex(eth_key.removeprefix("0x"))
        except ValueError:
            fail("--eth-key is not hex (64 hex digits, optionally after 0x)", EXIT_INVALID)
        if len(raw) != 32:
            fail(f"--eth-key must be 32 bytes (64 hex digits), got {len(raw)}", EXIT_INVALID)
        identity = Identity(name, raw, HpkePrivateKey.generate(HpkeSuiteId.from_label(suite)))
        path = keystores(new=True).save_identity(identity, overwrite=overwrite)
    _show(identity, str(path))


@keys_app.command("show")
def show(name: Name) -> None:
    """Public facts of an identity: address and HPKE public key (never private keys)."""
    with guarded():
        identity = load_identity(name)
        path = keystores().path_of(name)
    _show(identity, str(path) if path.exists() else "(from the environment)")


@keys_app.command("list")
def list_keys() -> None:
    """Names of the keystores in the data directory."""
    names = known_names()
    Output.show({"keystores": names}, lambda: say("\n".join(names) or "no keystores"))


@keys_app.command("fund")
def fund(
    name: Annotated[
        str, typer.Argument(metavar="NAME|ADDRESS", help="Identity name, or any address.")
    ],
    ether: Annotated[float, typer.Option(metavar="ETH", min=0, help="Balance to set.")] = 10.0,
) -> None:
    """Give a local-chain identity some ETH (the embedded dev chain only)."""
    from partledger.cli.identities import label, resolve_address

    if not settings().uses_local_chain:
        fail(
            "funding works on the embedded local chain only",
            EXIT_INVALID,
            "on another chain, send ETH to the identity's address (`partledger keys show NAME`)",
        )
    address = resolve_address(name, "identity")
    with open_ledger() as ledger, guarded():
        wei = Web3.to_wei(ether, "ether")
        ledger.w3.provider.make_request(
            "anvil_setBalance",  # type: ignore[arg-type]
            [address, hex(wei)],
        )
    Output.show({"address": address, "balance_wei": wei},
                lambda: say(f"{label(address)} now holds {ether:g} ETH"))  # fmt: skip


def _show(identity: Identity, path: str) -> None:
    public = identity.hpke_public_key
    key = "0x" + public.to_bytes().hex()
    data = {
        "name": identity.name,
        "address": identity.eth_address,
        "hpke_suite": public.suite.label,
        "hpke_public_key": key,
        "keystore": path,
    }
    shown = key if len(key) < 90 else f"{key[:42]}… ({len(key) // 2 - 1} bytes)"
    rows = [("address", identity.eth_address), ("HPKE suite", public.suite.label),
            ("HPKE public key", shown), ("keystore", path)]  # fmt: skip
    Output.show(data, lambda: show_fields(f"identity {identity.name}", rows))
