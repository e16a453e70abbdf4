"""``partledger keys``: create, import, list and export identities (encrypted keystores)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from web3 import Web3

from partledger.cli.app import app
from partledger.cli.common import Output, console, guarded, keystores, load_identity, settings
from partledger.crypto import HpkePrivateKey, HpkeSuiteId, Identity

keys_app = typer.Typer(help="Identities: Ethereum account key + HPKE key, encrypted at rest.")
app.add_typer(keys_app, name="keys")

Suite = Annotated[str, typer.Option(help="HPKE suite: x25519 or mlkem768-x25519.")]


@keys_app.command("create")
def create(name: str, suite: Suite = "x25519", overwrite: bool = False) -> None:
    """Generate a new identity and save it in an encrypted keystore (mode 0600)."""
    with guarded():
        identity = Identity.generate(name, HpkeSuiteId.from_label(suite))
        path = keystores().save_identity(identity, overwrite=overwrite)
    _show(identity, str(path))


@keys_app.command("import")
def import_key(
    name: str,
    eth_key: Annotated[str, typer.Option(help="Hex private key of the Ethereum account.")],
    suite: Suite = "x25519",
    overwrite: bool = False,
) -> None:
    """Import an existing Ethereum key (a fresh HPKE key is generated)."""
    with guarded():
        raw = bytes.fromhex(eth_key.removeprefix("0x"))
        identity = Identity(name, raw, HpkePrivateKey.generate(HpkeSuiteId.from_label(suite)))
        path = keystores().save_identity(identity, overwrite=overwrite)
    _show(identity, str(path))


@keys_app.command("show")
def show(name: str) -> None:
    """Public facts of an identity: address and HPKE public key (never private keys)."""
    identity = load_identity(name)
    _show(identity, str(keystores().path_of(name)))


@keys_app.command("list")
def list_keys() -> None:
    """Names of the keystores in the data directory."""
    directory = settings().keystore_dir
    names = sorted(p.stem for p in directory.glob("*.json")) if directory.exists() else []
    Output.show({"keystores": names}, lambda: console.print("\n".join(names) or "no keystores"))


@keys_app.command("fund")
def fund(name: str, ether: float = 10.0) -> None:
    """Give a local-chain identity some ETH (the embedded dev chain only)."""
    from partledger.cli.common import open_ledger

    identity = load_identity(name)
    with open_ledger() as ledger:
        if ledger.w3.eth.chain_id != settings().chain_id or not settings().uses_local_chain:
            raise typer.BadParameter("funding works on the embedded local chain only")
        wei = Web3.to_wei(ether, "ether")
        ledger.w3.provider.make_request(
            "anvil_setBalance",  # type: ignore[arg-type]
            [identity.eth_address, hex(wei)],
        )
    Output.show({"address": identity.eth_address, "balance_wei": wei},
                lambda: console.print(f"{identity.eth_address} now holds {ether} ETH"))  # fmt: skip


def _show(identity: Identity, path: str) -> None:
    public = identity.hpke_public_key
    data = {
        "name": identity.name,
        "address": identity.eth_address,
        "hpke_suite": public.suite.label,
        "hpke_public_key": "0x" + public.to_bytes().hex(),
        "keystore": path,
    }

    def human() -> None:
        table = Table(show_header=False)
        for key, value in data.items():
            table.add_row(key, value if len(value) < 90 else value[:86] + "...")
        console.print(table)

    Output.show(data, human)
