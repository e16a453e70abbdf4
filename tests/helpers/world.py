"""A deployed ledger with an onboarded OEM, two hubs and a certifier (shared by test folders)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from partledger.chain.deployer import deploy
from partledger.crypto import HpkePrivateKey, HpkeSuiteId, Identity
from partledger.sdk import Admin, Auditor, Certifier, DesignMetadata, Hub, Ledger, Oem, Role

ONE_DAY = 86_400
STANDARD = "ISO/ASTM 52920"


@dataclass
class World:
    ledger: Ledger
    admin: Admin
    oem: Oem
    hub: Hub
    other_hub: Hub
    certifier: Certifier
    auditor: Auditor
    machine: str
    data_dir: Path

    def design_file(self, name: str = "bracket.stl", size: int = 200_000) -> Path:
        path = self.data_dir / name
        path.write_bytes(os.urandom(size))
        return path

    def now(self) -> int:
        return self.ledger.now()


def identity(name: str, account: LocalAccount, suite: HpkeSuiteId = HpkeSuiteId.X25519) -> Identity:
    return Identity(name, bytes(account.key), HpkePrivateKey.generate(suite))


METADATA = DesignMetadata("PN-1001", "A", "Ti-6Al-4V", "L-PBF", title="Bracket")


def build_world(w3: Web3, dev_accounts: list[LocalAccount], tmp_path: Path) -> World:
    """Deploy and onboard everyone (call inside a chain snapshot)."""
    deployment = deploy(w3, dev_accounts[0], tmp_path / "rec.json", network="t")
    ledger = Ledger.open(w3, deployment, tmp_path / "data")
    admin = Admin(ledger, dev_accounts[0])
    oem = Oem(ledger, identity("oem", dev_accounts[1]))
    hub = Hub(ledger, identity("hub-milan", dev_accounts[2]))
    other = Hub(ledger, identity("hub-lyon", dev_accounts[3], HpkeSuiteId.MLKEM768_X25519))
    certifier = Certifier(ledger, dev_accounts[4])
    admin.grant(Role.OEM, oem.address)
    admin.grant(Role.HUB, hub.address)
    admin.grant(Role.HUB, other.address)
    admin.grant(Role.CERTIFIER, certifier.account.address)
    hub.register("Milan micro-factory", "ITMIL")
    other.register("Lyon micro-factory", "FRLYS")
    machine = hub.register_machine("EOS", "M 290", "SN-0042")
    now = ledger.now()
    certifier.qualify_machine(machine, STANDARD, b"certificate pdf", now - 10, now + 30 * ONE_DAY)
    return World(ledger, admin, oem, hub, other, certifier, Auditor(ledger), machine, tmp_path)
