"""The end-to-end flow on two EVM implementations: anvil and Hardhat's node (EDR).

Deploy, register a design, issue a licence, fetch the encrypted design as the hub, attest
prints by every path (direct, relayed EIP-712 signature, batch, Merkle-anchored batch checked
by ``verifyAnchoredPrint``, the service relayer's ``tryAttestBatchBySig``), index the events,
reconcile, audit provenance, export and verify the passport bundle (``eth_getProof``), decode
reverts and follow a reorg. Each test runs once per chain of ``EVMS`` (tests/evm/conftest.py);
the tests share the module's deployment and use fresh designs and serials.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from api.support import Service, make_runtime
from api.test_prints_and_audit import signed, wait_final
from eth_account.signers.local import LocalAccount
from evm.chains import Evm
from fastapi.testclient import TestClient

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.api.app import create_app
from partledger.api.services.relayer import Relayer
from partledger.chain.ledger_errors import LicenceExhausted, SerialAlreadyUsed
from partledger.index import Indexer, IndexerConfig, IndexReader, serial_hash
from partledger.passport import export_bundle, verify_bundle
from partledger.reconcile import Options, Reconciler, Severity
from partledger.sdk import PrintInput, load_batch, relay_attestation

pytestmark = pytest.mark.timeout(120)


def _licence(world: World, max_prints: int = 50, **kwargs: object) -> tuple[str, str]:
    """A fresh design and a licence of it for the hub: (design id, licence id)."""
    design = world.oem.register_design(world.design_file(size=20_000), METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=max_prints,
        valid_until=world.now() + ONE_DAY, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
    return design.design_id, issued.licence_id


def _part(world: World, licence_id: str, serial: str, report: bytes | None = None) -> PrintInput:
    return PrintInput(licence_id, serial, world.machine, "LOT-1", report)


def _indexer(world: World, evm: Evm, name: str) -> Indexer:
    config = IndexerConfig.from_deployment(
        world.ledger.deployment, evm.rpc_url, f"sqlite:///{evm.data_dir / f'{name}.db'}"
    )
    return Indexer(config)


def test_a_design_is_fetched_by_the_hub_and_a_direct_print_is_verified(
    evm_world: World, evm: Evm
) -> None:
    world = evm_world
    assert world.ledger.deployment.chain_id == evm.w3.eth.chain_id == 31337
    source = world.design_file("part.stl", 300_000)
    design = world.oem.register_design(source, METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=3,
        valid_until=world.now() + ONE_DAY, required_standard=STANDARD,
    )  # fmt: skip
    fetched = evm.data_dir / "fetched.stl"
    assert world.hub.fetch_design(issued.licence_id, fetched) == design.content_sha256
    assert fetched.read_bytes() == source.read_bytes()

    printed = world.hub.attest_print(_part(world, issued.licence_id, "D-1", b"QA ok"))
    provenance = world.auditor.provenance(design.design_id, "D-1")
    assert provenance.attestation.kind == "direct"
    assert provenance.attestation.tx_hash == printed.tx.tx_hash
    assert provenance.qualification is not None
    assert provenance.licence.printed == 1
    report = world.auditor.verify(provenance)
    assert report.ok, report.claims


def test_relayed_batched_and_merkle_anchored_prints_are_verified(evm_world: World) -> None:
    world = evm_world
    design_id, licence_id = _licence(world)
    relayed = world.hub.sign_attestation(
        _part(world, licence_id, "R-1"), deadline=world.now() + 3600
    )
    relay_attestation(world.ledger, world.certifier.account, relayed)  # any funded account
    provenance = world.auditor.provenance(design_id, "R-1")
    assert provenance.attestation.kind == "relayed"
    assert world.auditor.verify(provenance).ok

    batch = world.hub.attest_prints([_part(world, licence_id, f"B-{i}") for i in range(5)])
    assert len({p.tx.tx_hash for p in batch}) == 1  # one attestBatch transaction
    assert world.auditor.verify(world.auditor.provenance(design_id, "B-3")).ok

    anchored = world.hub.anchor_batch([_part(world, licence_id, f"M-{i}") for i in range(8)])
    assert world.hub.licence(licence_id).printed == 1 + 5 + 8
    rebuilt = load_batch(world.ledger, anchored.batch_blob)
    provenance = world.auditor.provenance(design_id, "M-5", batch=rebuilt)
    assert provenance.attestation.kind == "merkle"
    report = world.auditor.verify(provenance)  # verifyAnchoredPrint is called on-chain
    assert report.ok, report.claims


def test_reverts_are_decoded_into_named_errors(evm_world: World) -> None:
    world = evm_world
    _, licence_id = _licence(world, max_prints=2)
    world.hub.attest_print(_part(world, licence_id, "E-1"))
    with pytest.raises(SerialAlreadyUsed):
        world.hub.attest_print(_part(world, licence_id, "E-1"))
    world.hub.attest_print(_part(world, licence_id, "E-2"))
    with pytest.raises(LicenceExhausted) as refused:
        world.hub.attest_print(_part(world, licence_id, "E-3"))
    assert refused.value.arguments["maxPrints"] == 2


@pytest.fixture
def service(evm: Evm, evm_world: World, dev_accounts: list[LocalAccount]) -> Iterator[Service]:
    """The HTTP service (with its relayer) over the module's chain."""
    runtime = make_runtime(evm.w3, evm_world)
    app = create_app(runtime, custodians=[evm_world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield Service(client, evm_world, dev_accounts, True)


def test_the_relayer_lands_signatures_in_one_try_attest_batch_by_sig(service: Service) -> None:
    world = service.world
    design_id, licence_id = _licence(world)
    hub = service.headers(world.hub.account)
    world.hub.attest_print(_part(world, licence_id, "T-2"))  # taken: skipped inside the batch
    items = [signed(service, licence_id, f"T-{i}") for i in range(4)]
    response = service.client.post("/v1/prints", headers=hub, json={"attestations": items})
    assert response.status_code == 202, response.text
    finals = [wait_final(service, hub, r["receipt_id"]) for r in response.json()["receipts"]]
    assert [f["status"] for f in finals] == ["final", "final", "failed", "final"]
    assert "SerialAlreadyUsed" in finals[2]["error"]  # PrintSkipped's reason, decoded
    assert len({f["tx_hash"] for f in finals}) == 1  # one tryAttestBatchBySig transaction
    assert world.hub.licence(licence_id).printed == 4
    provenance = world.auditor.provenance(design_id, "T-3")
    assert provenance.attestation.tx_hash == finals[3]["tx_hash"]
    assert provenance.attestation.kind == "relayed"  # a tryAttestBatchBySig transaction
    assert world.auditor.verify(provenance).ok


def test_a_batch_that_reverts_whole_is_retried_alone_and_each_print_fails_named(
    service: Service,
) -> None:
    """On Hardhat the relayer's sends are answered with the revert although they are mined:
    the receipts decide, as on anvil."""
    world = service.world
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.relayer.stop()  # this test steps a relayer of its own
    _, licence_id = _licence(world)
    hub = service.headers(world.hub.account)
    items = [signed(service, licence_id, f"W-{i}") for i in range(3)]
    done = ctx.relayer.counts()  # the module's earlier relays share the queue
    done["failed"] = done.get("failed", 0) + 3
    world.admin.pause()
    try:
        response = service.client.post("/v1/prints", headers=hub, json={"attestations": items})
        assert response.status_code == 202, response.text
        relayer = Relayer(
            ctx.engine, ctx.ledger, ctx.relayer.account, batch_size=100, window=0,
            finality=0, metrics=ctx.metrics,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while relayer.counts() != done and time.monotonic() < deadline:
            relayer.step()
            time.sleep(0.02)
        assert relayer.counts() == done
    finally:
        world.admin.unpause()
    finals = [wait_final(service, hub, r["receipt_id"]) for r in response.json()["receipts"]]
    assert all("EnforcedPause" in str(f["error"]) for f in finals), finals
    assert len({f["tx_hash"] for f in finals}) == 3  # each retried alone after the batch
    assert world.hub.licence(licence_id).printed == 0


def test_the_index_and_the_reconciler_agree_with_the_chain(evm_world: World, evm: Evm) -> None:
    world = evm_world
    design_id, licence_id = _licence(world, required_standard=STANDARD)
    world.hub.attest_print(_part(world, licence_id, "I-1", b"report"))
    _, open_licence = _licence(world)  # anchors debit licences that need no qualification
    world.hub.anchor_batch([_part(world, open_licence, f"I-A{i}") for i in range(3)])
    with _indexer(world, evm, "reconcile") as indexer:
        report = indexer.sync_once()
        assert report.reorg is None and report.rows > 0
        reader = IndexReader(indexer.engine)
        [row] = reader.prints_by_serial(serial_hash("I-1"))
        assert row.design_id == design_id
        reconciler = Reconciler(
            world.ledger, indexer, quarantine_dir=evm.data_dir / "quarantine",
            options=Options(orphan_grace=timedelta(days=1), pending_age=timedelta(days=1)),
        )  # fmt: skip
        findings = reconciler.run().findings
        assert [f for f in findings if f.severity > Severity.INFO] == []


def test_the_passport_bundle_verifies_offline_with_the_nodes_state_proofs(
    evm_world: World,
) -> None:
    world = evm_world
    direct_design, licence_id = _licence(world, required_standard=STANDARD)
    world.hub.attest_print(_part(world, licence_id, "P-1", b"QA ok"))
    anchored_design, open_licence = _licence(world)
    world.hub.anchor_batch([_part(world, open_licence, f"P-A{i}") for i in range(4)])
    for design_id, serial in ((direct_design, "P-1"), (anchored_design, "P-A2")):
        provenance = world.auditor.provenance(design_id, serial)
        bundle = export_bundle(world.ledger, provenance, bytes(world.hub.account.key))
        trusted = {
            int(bundle["payload"][key]["header"]["number"], 16): bytes(
                world.ledger.w3.eth.get_block(int(bundle["payload"][key]["header"]["number"], 16))[
                    "hash"
                ]
            )
            for key in ("atPrint", "atExport")
        }
        result = verify_bundle(
            json.dumps(bundle).encode(), trusted=trusted, expect=(design_id, serial)
        )
        assert result.ok, result.claims
        assert {"state.print", "block.print.trusted", "print.record"} <= {
            c.name for c in result.claims
        }


def test_the_indexer_rolls_back_a_reorg_made_by_reverting_the_chain(
    evm_world: World, evm: Evm, tmp_path: Path
) -> None:
    """Runs last: it rewinds the module's chain (both nodes have evm_snapshot/evm_revert;
    only anvil has anvil_reorg)."""
    world = evm_world
    _, licence_id = _licence(world)
    with _indexer(world, evm, "reorg") as indexer:
        indexer.sync_once()
        reader = IndexReader(indexer.engine)
        snapshot = evm.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        world.hub.attest_print(_part(world, licence_id, "G-old"))
        world.hub.attest_print(_part(world, licence_id, "G-old-2"))
        assert indexer.sync_once().reorg is None
        assert len(reader.prints_by_serial(serial_hash("G-old"))) == 1
        assert evm.w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]
        world.ledger._senders.clear()  # the hub's cached nonce was rewound with the chain
        world.hub.attest_print(_part(world, licence_id, "G-new"))
        report = indexer.sync_once()
        assert report.reorg is not None and report.reorg.removed.get("prints") == 2
        assert len(reader.prints_by_serial(serial_hash("G-old"))) == 0
        assert len(reader.prints_by_serial(serial_hash("G-new"))) == 1


def test_a_transaction_that_reverts_when_mined_raises_its_named_error_and_uses_its_nonce(
    evm_world: World, evm: Evm
) -> None:
    """With the gas given, nothing estimates first: anvil answers the send with the hash and
    mines a failed receipt; Hardhat mines it too but answers the send with the revert."""
    world = evm_world
    _, licence_id = _licence(world)
    taken = world.hub.attest_print(_part(world, licence_id, "N-1"))
    sender = world.ledger.sender(world.hub.account)
    prints = world.ledger.prints
    data = prints.get_function_by_name("attestPrint")(taken.record.as_tuple())
    with pytest.raises(SerialAlreadyUsed):
        sender.send({"to": prints.address, "data": data._encode_transaction_data(), "gas": 300_000})
    assert sender._nonce == evm.w3.eth.get_transaction_count(world.hub.address)  # consumed
    world.hub.attest_print(_part(world, licence_id, "N-2"))  # the next one goes straight in
