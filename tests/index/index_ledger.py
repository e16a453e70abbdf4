"""Drive the deployed ledger from the indexer tests: a small world and fast raw transactions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from partledger.chain import ids
from partledger.chain.artifacts import load_artifact
from partledger.chain.deployer import Deployment, deploy

DAY = 86_400
ZERO = bytes(32)
STANDARD = ids.short_code("ISO/ASTM 52920")
HPKE_KEY = bytes(range(32))


def b32(text: str) -> bytes:
    return keccak(text=text)


def rpc(w3: Web3, method: str, params: Sequence[Any] = ()) -> Any:
    reply = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


class Reverted(AssertionError):
    pass


@dataclass
class Ledger:
    """The deployed ledger with roles, two hubs, machines, a qualified machine, a design and
    two licences (one open, one requiring the qualified machine)."""

    w3: Web3
    deployment: Deployment
    registry: Contract
    ledger: Contract
    admin: LocalAccount
    oem: LocalAccount
    hub: LocalAccount
    hub2: LocalAccount
    certifier: LocalAccount
    chain_id: int = 0
    design: bytes = b""
    content: bytes = b""
    machine: bytes = b""
    machine2: bytes = b""
    licence: bytes = b""
    licence_qualified: bytes = b""
    serials: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> dict[str, str]:
        return {name: c.address for name, c in self.deployment.contracts.items()}

    def tx(
        self,
        account: LocalAccount,
        contract: Contract,
        fn: str,
        *args: Any,
        wait: bool = True,
        nonce: int | None = None,
        gas: int = 8_000_000,
    ) -> Any:
        data = contract.encode_abi(fn, args=list(args))
        if nonce is None:
            nonce = self.w3.eth.get_transaction_count(account.address, "pending")
        signed = account.sign_transaction(
            {
                "to": contract.address,
                "data": data,
                "gas": gas,
                "nonce": nonce,
                "chainId": self.chain_id,
                "maxFeePerGas": 50 * 10**9,
                "maxPriorityFeePerGas": 1,
                "value": 0,
            }
        )
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        if not wait:
            return tx_hash
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.005)
        if receipt["status"] != 1:
            raise Reverted(f"{fn} reverted")
        return receipt

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def register_design(self, content: bytes, revises: bytes = ZERO) -> bytes:
        salt = b32("salt" + content.hex())
        self.tx(
            self.oem,
            self.registry,
            "commitDesign",
            ids.design_commitment(self.oem.address, content, salt),
        )
        self.tx(
            self.oem,
            self.registry,
            "registerDesign",
            content,
            b32("c" + content.hex()),
            b32("m" + content.hex()),
            revises,
            salt,
        )
        return ids.design_id(self.oem.address, content)

    def issue(
        self,
        design: bytes | None = None,
        hub: LocalAccount | None = None,
        max_prints: int = 1_000_000,
        standard: bytes = ZERO,
        refund: bool = False,
    ) -> bytes:
        design = design or self.design
        hub = hub or self.hub
        now = self.now()
        index = self.ledger.functions.licenceCount(design).call()
        terms = (
            design,
            hub.address,
            max_prints,
            now - 3600,
            now + 365 * DAY,
            standard,
            b32("terms"),
            b32("wrapped"),
            refund,
        )
        self.tx(self.oem, self.ledger, "issueLicence", terms)
        return ids.licence_id(design, hub.address, index)

    def print_record(
        self, serial: str, licence: bytes | None = None, machine: bytes | None = None
    ) -> tuple[bytes, ...]:
        return ids.PrintRecord(
            licence or self.licence,
            ids.serial_hash(serial),
            machine or self.machine,
            b32("lot " + serial),
            b32("qa " + serial),
        ).as_tuple()

    def attest(self, serial: str, licence: bytes | None = None, **kw: Any) -> Any:
        return self.tx(
            self.hub, self.ledger, "attestPrint", self.print_record(serial, licence), **kw
        )

    def attest_batch(
        self,
        serials: Sequence[str],
        licence: bytes | None = None,
        hub: LocalAccount | None = None,
        **kw: Any,
    ) -> Any:
        records = [self.print_record(s, licence) for s in serials]
        return self.tx(hub or self.hub, self.ledger, "attestBatch", records, **kw)


def build_ledger(w3: Web3, accounts: Sequence[LocalAccount], record: Path) -> Ledger:
    """Deploy the ledger (``partledger.chain.deployer``) and populate a small world."""
    admin, oem, hub, hub2, certifier = accounts[:5]
    deployment = deploy(w3, admin, record, network="t", redeploy=True)
    registry = w3.eth.contract(
        address=deployment.address("DesignRegistry"), abi=load_artifact("DesignRegistry").abi
    )
    ledger_c = w3.eth.contract(
        address=deployment.address("PrintLedger"), abi=load_artifact("PrintLedger").abi
    )
    world = Ledger(
        w3,
        deployment,
        registry,
        ledger_c,
        admin,
        oem,
        hub,
        hub2,
        certifier,
        chain_id=w3.eth.chain_id,
    )
    world.tx(admin, registry, "grantRole", registry.functions.OEM_ROLE().call(), oem.address)
    hub_role = ledger_c.functions.HUB_ROLE().call()
    for account in (hub, hub2):
        world.tx(admin, ledger_c, "grantRole", hub_role, account.address)
    world.tx(
        admin, ledger_c, "grantRole", ledger_c.functions.CERTIFIER_ROLE().call(), certifier.address
    )
    world.tx(hub, ledger_c, "registerHub", "Hub Torino", b"ITTRN", HPKE_KEY)
    world.tx(hub2, ledger_c, "registerHub", "Hub Rotterdam", b"NLRTM", HPKE_KEY)
    machine_hash = ids.machine_hash("EOS", "M 290", "M-1")
    world.tx(hub, ledger_c, "registerMachine", machine_hash)
    world.machine = ids.machine_id(hub.address, machine_hash)
    machine_hash2 = ids.machine_hash("EOS", "M 290", "M-2")
    world.tx(hub2, ledger_c, "registerMachine", machine_hash2)
    world.machine2 = ids.machine_id(hub2.address, machine_hash2)
    now = world.now()
    world.tx(
        certifier,
        ledger_c,
        "recordQualification",
        world.machine,
        STANDARD,
        b32("certificate"),
        now - DAY,
        now + 365 * DAY,
    )
    world.content = b32("design file v1")
    world.design = world.register_design(world.content)
    world.licence = world.issue()
    world.licence_qualified = world.issue(max_prints=5, standard=STANDARD, refund=True)
    return world
