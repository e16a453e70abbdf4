#!/usr/bin/env python
"""Measure the gas of every ledger write operation on a fresh anvil.

Starts its own anvil (``partledger.chain.local.LocalChain``, ephemeral), deploys the ledger,
runs each write once (batches as stated) and prints a table; ``--json`` prints one JSON object
mapping each operation to gas per unit (per print for batches).

    python scripts/bench_gas.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from partledger.chain import ids
from partledger.chain.artifacts import load_artifact
from partledger.chain.connect import connect
from partledger.chain.eip712 import sign_attest_print
from partledger.chain.local import LocalChain, dev_account
from partledger.chain.merkle import MerkleTree

DAY = 86_400
ZERO = b"\x00" * 32
STANDARD = ids.short_code("ISO/ASTM 52920")
TARGETS = {
    "attestPrint": 75_000,
    "attestPrintBySig": 95_000,
    "attestBatch50_per_print": 35_000,
    "merkleAnchor1000_per_print": 150,
}


def h(text: str) -> bytes:
    """A 32-byte benchmark value."""
    return keccak(text=text)


@dataclass
class Measurement:
    """Gas of one operation: the transaction's gas and the number of units it covers."""

    name: str
    gas: int
    units: int = 1
    note: str = ""

    @property
    def per_unit(self) -> int:
        return round(self.gas / self.units)


class Bench:
    """Raw signed transactions against the benchmark chain, recording gas used."""

    def __init__(self, w3: Web3, accounts: list[LocalAccount]) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self.accounts = accounts
        self.results: list[Measurement] = []

    def _send(self, account: LocalAccount, to: str | None, data: str) -> Any:
        tx: dict[str, Any] = {
            "data": data,
            "gas": 25_000_000,
            "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": self.chain_id,
            "maxFeePerGas": 50 * 10**9,
            "maxPriorityFeePerGas": 1,
        }
        if to:
            tx["to"] = to
        raw = account.sign_transaction(tx).raw_transaction
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(raw), poll_latency=0.005
        )
        if receipt.status != 1:
            raise RuntimeError(f"transaction to {to} reverted")
        return receipt

    def deploy(self, account: LocalAccount, name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(*args)._build_transaction({"gas": 1})["data"]
        receipt = self._send(account, None, data)
        self.results.append(Measurement(f"deploy {name}", receipt.gasUsed))
        return self.w3.eth.contract(address=receipt.contractAddress, abi=artifact.abi)

    def call(
        self,
        account: LocalAccount,
        contract: Contract,
        fn: str,
        *args: Any,
        record: str | None = None,
        units: int = 1,
        note: str = "",
    ) -> Any:
        receipt = self._send(account, contract.address, contract.encode_abi(fn, args=list(args)))
        if record:
            self.results.append(Measurement(record, receipt.gasUsed, units, note))
        return receipt


def run(w3: Web3, accounts: list[LocalAccount]) -> list[Measurement]:
    """Deploy and exercise every write operation once; return the measurements."""
    b = Bench(w3, accounts)
    admin, oem, oem2, hub, certifier, relayer = accounts[:6]
    registry = b.deploy(admin, "DesignRegistry", admin.address)
    ledger = b.deploy(admin, "PrintLedger", admin.address, registry.address)
    b.call(admin, registry, "setPrintLedger", ledger.address, record="setPrintLedger")
    oem_role = registry.functions.OEM_ROLE().call()
    b.call(admin, registry, "grantRole", oem_role, oem.address, record="grantRole")
    b.call(admin, registry, "grantRole", oem_role, oem2.address)
    b.call(admin, ledger, "grantRole", ledger.functions.HUB_ROLE().call(), hub.address)
    b.call(admin, ledger, "grantRole", ledger.functions.CERTIFIER_ROLE().call(), certifier.address)

    key = bytes(range(32))
    b.call(hub, ledger, "registerHub", "Hub Torino", b"ITTRN", key, record="registerHub")
    b.call(hub, ledger, "updateHubDetails", "Hub Torino 2", b"ITTRN", record="updateHubDetails")
    b.call(hub, ledger, "rotateHubKey", bytes(range(1, 33)), record="rotateHubKey")
    machine_hash = ids.machine_hash("EOS", "M 290", "SN-1")
    b.call(hub, ledger, "registerMachine", machine_hash, record="registerMachine")
    machine = ids.machine_id(hub.address, machine_hash)
    spare_hash = ids.machine_hash("EOS", "M 290", "SN-2")
    b.call(hub, ledger, "registerMachine", spare_hash)
    spare = ids.machine_id(hub.address, spare_hash)
    b.call(hub, ledger, "retireMachine", spare, record="retireMachine")
    now = int(w3.eth.get_block("latest")["timestamp"])
    b.call(
        certifier,
        ledger,
        "recordQualification",
        machine,
        STANDARD,
        h("cert"),
        now - DAY,
        now + 365 * DAY,
        record="recordQualification",
    )
    b.call(
        certifier,
        ledger,
        "recordQualification",
        spare,
        STANDARD,
        h("cert"),
        now - DAY,
        now + 365 * DAY,
    )
    b.call(
        certifier,
        ledger,
        "revokeQualification",
        spare,
        STANDARD,
        h("reason"),
        record="revokeQualification",
    )

    def register(
        owner: LocalAccount, content: bytes, revises: bytes = ZERO, rec: bool = False
    ) -> bytes:
        salt = h("salt")
        commitment = ids.design_commitment(owner.address, content, salt)
        committed = "commitDesign" if rec and revises == ZERO else None
        b.call(owner, registry, "commitDesign", commitment, record=committed)
        b.call(
            owner,
            registry,
            "registerDesign",
            content,
            h("container"),
            h("metadata"),
            revises,
            salt,
            record=("registerDesign (revision)" if revises != ZERO else "registerDesign")
            if rec
            else None,
        )
        return ids.design_id(owner.address, content)

    design = register(oem, h("design v1"), rec=True)
    revision = register(oem, h("design v2"), design, rec=True)

    def terms(design_id: bytes, max_prints: int, standard: bytes = ZERO) -> tuple[Any, ...]:
        return (
            design_id,
            hub.address,
            max_prints,
            now - 3600,
            now + 30 * DAY,
            standard,
            h("terms"),
            h("wrapped"),
            False,
        )

    def issue(design_id: bytes, max_prints: int, standard: bytes = ZERO, rec: str = "") -> bytes:
        index = ledger.functions.licenceCount(design_id).call()
        b.call(oem, ledger, "issueLicence", terms(design_id, max_prints, standard), record=rec)
        return ids.licence_id(design_id, hub.address, index)

    licence = issue(design, 1000, STANDARD, rec="issueLicence")
    b.call(
        oem,
        ledger,
        "amendLicence",
        licence,
        100,
        now + 60 * DAY,
        h("terms 2"),
        record="amendLicence",
    )
    b.call(oem, ledger, "suspendLicence", licence, h("why"), record="suspendLicence")
    b.call(oem, ledger, "resumeLicence", licence, record="resumeLicence")

    def record(licence_id: bytes, serial: str, machine_id: bytes = machine) -> tuple[bytes, ...]:
        return ids.PrintRecord(
            licence_id, ids.serial_hash(serial), machine_id, h("lot " + serial), h("qa " + serial)
        ).as_tuple()

    b.call(hub, ledger, "attestPrint", record(licence, "P-0"))  # warm-up: first print
    b.call(
        hub,
        ledger,
        "attestPrint",
        record(licence, "P-1"),
        record="attestPrint",
        note="licence requires ISO/ASTM 52920 on the machine",
    )
    open_licence = issue(revision, 1000)
    b.call(hub, ledger, "attestPrint", record(open_licence, "O-0"))
    b.call(
        hub,
        ledger,
        "attestPrint",
        record(open_licence, "O-1"),
        record="attestPrint (no qualification)",
    )

    deadline = now + DAY
    signed = ids.PrintRecord(*record(licence, "SIG-1"))
    signature = sign_attest_print(hub, signed, 0, deadline, b.chain_id, ledger.address)
    b.call(
        relayer,
        ledger,
        "attestPrintBySig",
        signed.as_tuple(),
        deadline,
        signature,
        record="attestPrintBySig",
        note="relayed; 65-byte ECDSA",
    )

    relayed = [ids.PrintRecord(*record(licence, f"RB-{i}")) for i in range(50)]
    b.call(
        relayer,
        ledger,
        "attestBatchBySig",
        [r.as_tuple() for r in relayed],
        [deadline] * 50,
        [sign_attest_print(hub, r, 0, deadline, b.chain_id, ledger.address) for r in relayed],
        record="attestBatchBySig50_per_print",
        units=50,
        note="50 hub-signed prints relayed in one tx",
    )

    tolerant = [ids.PrintRecord(*record(licence, f"TB-{i}")) for i in range(50)]
    b.call(
        relayer,
        ledger,
        "tryAttestBatchBySig",
        [r.as_tuple() for r in tolerant],
        [deadline] * 50,
        [sign_attest_print(hub, r, 0, deadline, b.chain_id, ledger.address) for r in tolerant],
        record="tryAttestBatchBySig50_per_print",
        units=50,
        note="the relayer's batch: an item that would revert is skipped",
    )

    batch = [record(licence, f"B-{i}") for i in range(50)]
    b.call(
        hub,
        ledger,
        "attestBatch",
        batch,
        record="attestBatch50_per_print",
        units=50,
        note="50 prints, one licence, qualified machine",
    )

    designs = [register(oem2 if i % 2 else oem, h(f"merkle design {i}")) for i in range(10)]
    anchor_licences: list[tuple[bytes, bytes]] = []
    for i, design_id in enumerate(designs):
        owner = oem2 if i % 2 else oem
        index = ledger.functions.licenceCount(design_id).call()
        b.call(owner, ledger, "issueLicence", terms(design_id, 1000))
        anchor_licences.append((design_id, ids.licence_id(design_id, hub.address, index)))
    # leaves laid out licence by licence: entry i owns 100 consecutive positions
    prints = [ids.PrintRecord(*record(anchor_licences[i // 100][1], f"M-{i}")) for i in range(1000)]
    tree = MerkleTree.of_prints(prints)
    entries = [(design_id, 0, 100) for design_id, _ in anchor_licences]
    b.call(
        hub,
        ledger,
        "anchorBatch",
        tree.root,
        entries,
        h("batch document"),
        record="merkleAnchor1000_per_print",
        units=1000,
        note="1,000 prints over 10 licences of 10 designs",
    )
    anchored_at = int(w3.eth.get_block("latest")["timestamp"])
    licence_ids = [lid for _, lid in anchor_licences]
    proof = (707, anchored_at, licence_ids, [100] * 10, tree.proof(707))
    assert ledger.functions.verifyAnchoredPrint(tree.root, prints[707].as_tuple(), proof).call()

    spread = [record(anchor_licences[i % 10][1], f"S-{i}") for i in range(50)]
    b.call(
        hub,
        ledger,
        "attestBatch",
        spread,
        record="attestBatch50 (10 licences)",
        units=50,
        note="per print; 10 licences of 10 designs",
    )

    b.call(
        hub,
        ledger,
        "invalidatePrint",
        record(licence, "P-1"),
        h("scrap"),
        record="invalidatePrint (hub)",
    )
    b.call(hub, ledger, "cancelSignatures", record="cancelSignatures")
    b.call(oem, ledger, "revokeLicence", open_licence, h("why"), record="revokeLicence")
    b.call(oem, registry, "deprecateDesign", design, record="deprecateDesign")
    b.call(
        oem,
        registry,
        "recallDesign",
        revision,
        h("recall"),
        record="recallDesign",
        note="includes the call into PrintLedger",
    )
    b.call(
        oem,
        registry,
        "transferDesignOwnership",
        design,
        oem2.address,
        record="transferDesignOwnership",
    )
    b.call(oem2, registry, "acceptDesignOwnership", design, record="acceptDesignOwnership")
    b.call(admin, ledger, "pause", record="pause")
    b.call(admin, ledger, "unpause", record="unpause")
    return b.results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print gas per unit as JSON")
    args = parser.parse_args(argv)
    accounts = [dev_account(i) for i in range(10)]
    with LocalChain(None) as chain:
        results = run(connect(chain.rpc_url), accounts)
    if args.json:
        print(json.dumps({m.name: m.per_unit for m in results}, indent=1))
        return 0
    print(f"{'operation':<34} {'gas (tx)':>10} {'units':>6} {'gas/unit':>9} {'target':>8}  note")
    for m in results:
        target = TARGETS.get(m.name)
        mark = "" if target is None else f"{target:>8}"
        print(f"{m.name:<34} {m.gas:>10,} {m.units:>6} {m.per_unit:>9,} {mark:>8}  {m.note}")
    failed = [m.name for m in results if m.name in TARGETS and m.per_unit > TARGETS[m.name]]
    if failed:
        print(f"\nover target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
