"""The ledger deployed with a populated world (roles, hubs, machines, a design, licences)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from ledger_helpers import Chain, RevertDecoder, b32
from web3 import Web3
from web3.contract import Contract

from partledger.chain import ids
from partledger.chain.artifacts import load_artifact

STANDARD = ids.short_code("ISO/ASTM 52920")
OTHER_STANDARD = ids.short_code("ISO/ASTM 52941")
HPKE_KEY = bytes(range(32))
DAY = 86_400


@dataclass
class World:
    """Deployed contracts, actors and a few registered objects shared by the tests."""

    chain: Chain
    registry: Contract
    ledger: Contract
    admin: LocalAccount
    oem: LocalAccount
    oem2: LocalAccount
    hub: LocalAccount
    hub2: LocalAccount
    certifier: LocalAccount
    attacker: LocalAccount
    relayer: LocalAccount
    design: bytes
    content: bytes
    machine: bytes
    machine_unqualified: bytes
    machine_hub2: bytes
    licence_open: bytes
    licence_qualified: bytes
    start: int

    def terms(self, **overrides: Any) -> tuple[Any, ...]:
        """``LicenceTerms`` for the world's design and hub, with overrides."""
        now = self.chain.timestamp()
        values: dict[str, Any] = {
            "designId": self.design,
            "hub": self.hub.address,
            "maxPrints": 10,
            "validFrom": now - 3600,
            "validUntil": now + 30 * DAY,
            "requiredStandard": b"\x00" * 32,
            "termsHash": b32("terms"),
            "wrappedKeyHash": b32("wrapped key"),
            "refundOnInvalidate": False,
        }
        values.update(overrides)
        return tuple(values.values())

    def issue(self, **overrides: Any) -> bytes:
        """Issue a licence (as the OEM) and return its id."""
        terms = self.terms(**overrides)
        design = terms[0]
        index = self.ledger.functions.licenceCount(design).call()
        self.chain.send(self.oem, self.ledger, "issueLicence", terms)
        return ids.licence_id(design, terms[1], index)

    def register_design(
        self, oem: LocalAccount, content: bytes, revises: bytes = b"\0" * 32
    ) -> bytes:
        """Commit, then reveal a design; returns its id."""
        salt = b32("salt" + content.hex())
        commitment = ids.design_commitment(oem.address, content, salt)
        self.chain.send(oem, self.registry, "commitDesign", commitment)
        self.chain.send(
            oem,
            self.registry,
            "registerDesign",
            content,
            b32("container" + content.hex()),
            b32("metadata" + content.hex()),
            revises,
            salt,
        )
        return ids.design_id(oem.address, content)

    def print(self, licence: bytes, serial: str, machine: bytes | None = None) -> ids.PrintRecord:
        """A print record for the world's default machine."""
        return ids.PrintRecord(
            licence,
            ids.serial_hash(serial),
            machine or self.machine,
            b32("lot " + serial),
            b32("qa " + serial),
        )


def deploy_world(w3: Web3, accounts: list[LocalAccount]) -> World:
    decoder = RevertDecoder(
        [load_artifact(n).abi for n in ("DesignRegistry", "PrintLedger", "test/SmartWalletHub")]
    )
    chain = Chain(w3, decoder)
    admin, oem, oem2, hub, hub2, certifier, attacker, relayer = accounts[:8]
    registry = chain.deploy(admin, "DesignRegistry", admin.address)
    ledger = chain.deploy(admin, "PrintLedger", admin.address, registry.address)
    chain.send(admin, registry, "setPrintLedger", ledger.address)
    oem_role = registry.functions.OEM_ROLE().call()
    hub_role = ledger.functions.HUB_ROLE().call()
    certifier_role = ledger.functions.CERTIFIER_ROLE().call()
    for account in (oem, oem2):
        chain.send(admin, registry, "grantRole", oem_role, account.address)
    for account in (hub, hub2):
        chain.send(admin, ledger, "grantRole", hub_role, account.address)
    chain.send(admin, ledger, "grantRole", certifier_role, certifier.address)
    chain.send(hub, ledger, "registerHub", "Hub Torino", b"ITTRN", HPKE_KEY)
    chain.send(hub2, ledger, "registerHub", "Hub Rotterdam", b"NLRTM", HPKE_KEY)
    machines = []
    for owner, serial in ((hub, "M-1"), (hub, "M-2"), (hub2, "M-3")):
        machine_hash = ids.machine_hash("EOS", "M 290", serial)
        chain.send(owner, ledger, "registerMachine", machine_hash)
        machines.append(ids.machine_id(owner.address, machine_hash))
    now = chain.timestamp()
    for machine in (machines[0], machines[2]):
        chain.send(
            certifier,
            ledger,
            "recordQualification",
            machine,
            STANDARD,
            b32("certificate"),
            now - DAY,
            now + 365 * DAY,
        )
    world = World(
        chain=chain,
        registry=registry,
        ledger=ledger,
        admin=admin,
        oem=oem,
        oem2=oem2,
        hub=hub,
        hub2=hub2,
        certifier=certifier,
        attacker=attacker,
        relayer=relayer,
        design=b"",
        content=b32("design file v1"),
        machine=machines[0],
        machine_unqualified=machines[1],
        machine_hub2=machines[2],
        licence_open=b"",
        licence_qualified=b"",
        start=now,
    )
    world.design = world.register_design(oem, world.content)
    world.licence_open = world.issue()
    world.licence_qualified = world.issue(
        maxPrints=5, requiredStandard=STANDARD, refundOnInvalidate=True
    )
    return world
