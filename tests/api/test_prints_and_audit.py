"""Relayed prints (queued, batched, mined exactly once) and provenance over HTTP."""

from __future__ import annotations

import time
from typing import Any

from api.support import Service, both_engines, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import STANDARD, World
from partledger.api.app import create_app
from partledger.api.services.relayer import Relayer
from partledger.sdk import PrintInput
from partledger.sdk.types import hex32


def licensed(service: Service, max_prints: int = 20) -> str:
    world = service.world
    design = world.oem.register_design(world.design_file(), _metadata())
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=max_prints,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    )  # fmt: skip
    return issued.licence_id


def _metadata() -> Any:
    from helpers.world import METADATA

    return METADATA


def signed(service: Service, licence_id: str, serial: str) -> dict[str, Any]:
    world = service.world
    attestation = world.hub.sign_attestation(
        PrintInput(licence_id, serial, world.machine, "LOT-7"), deadline=world.now() + 3600
    )
    r = attestation.record
    return {
        "licence_id": hex32(r.licence_id),
        "serial": hex32(r.serial),
        "machine_id": hex32(r.machine_id),
        "material_lot_hash": hex32(r.material_lot_hash),
        "quality_report_hash": hex32(r.quality_report_hash),
        "deadline": attestation.deadline,
        "signature": "0x" + attestation.signature.hex(),
    }


def wait_final(service: Service, headers: dict[str, str], receipt_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = service.client.get(
            f"/v1/prints/receipts/{receipt_id}", headers=headers
        ).json()
        if body["status"] in ("final", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"receipt {receipt_id} not final")


@both_engines
def test_signed_attestations_are_relayed_once_and_become_final(service: Service) -> None:
    licence_id = licensed(service)
    hub = service.headers(service.world.hub.account)
    batch = [signed(service, licence_id, f"SN-{i}") for i in range(5)]
    response = service.client.post("/v1/prints", headers=hub, json={"attestations": batch})
    assert response.status_code == 202, response.text
    receipts = response.json()["receipts"]
    again = service.client.post("/v1/prints", headers=hub, json={"attestations": batch})
    assert [r["receipt_id"] for r in again.json()["receipts"]] == [
        r["receipt_id"] for r in receipts
    ]
    finals = [wait_final(service, hub, r["receipt_id"]) for r in receipts]
    assert {f["status"] for f in finals} == {"final"}
    assert len({f["tx_hash"] for f in finals}) == 1  # one attestBatchBySig transaction
    assert service.world.hub.licence(licence_id).printed == 5


@both_engines
def test_one_bad_attestation_fails_alone_and_the_others_land_in_the_same_batch(
    service: Service,
) -> None:
    world = service.world
    licence_id = licensed(service)
    hub = service.headers(world.hub.account)
    world.hub.attest_print(PrintInput(licence_id, "SN-2", world.machine, "another lot"))
    batch = [signed(service, licence_id, f"SN-{i}") for i in range(5)]
    receipts = service.client.post("/v1/prints", headers=hub, json={"attestations": batch})
    finals = [wait_final(service, hub, r["receipt_id"]) for r in receipts.json()["receipts"]]
    assert [f["status"] for f in finals] == ["final", "final", "failed", "final", "final"]
    assert "SerialAlreadyUsed" in finals[2]["error"]
    assert len({f["tx_hash"] for f in finals}) == 1  # skipped inside the batch, not retried
    assert world.hub.licence(licence_id).printed == 5  # 1 direct + 4 relayed


def test_d_a_lifted_signature_cannot_sink_the_relayers_batch(service: Service) -> None:
    """D: a third party submits one queued signature first; the batch still lands."""
    world = service.world
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    relayer: Relayer = ctx.relayer
    relayer.stop()
    licence_id = licensed(service)
    hub = service.headers(world.hub.account)
    items = [signed(service, licence_id, f"SN-D{i}") for i in range(3)]
    receipts = service.client.post("/v1/prints", headers=hub, json={"attestations": items})
    lifted = items[1]
    record = tuple(
        bytes.fromhex(lifted[k][2:])
        for k in ("licence_id", "serial", "machine_id", "material_lot_hash", "quality_report_hash")
    )
    world.ledger.transact(
        world.certifier.account, "PrintLedger", "attestPrintBySig",
        record, lifted["deadline"], bytes.fromhex(lifted["signature"][2:]),
    )  # fmt: skip
    fresh = Relayer(
        ctx.engine, ctx.ledger, relayer.account, batch_size=100, window=0,
        finality=0, metrics=ctx.metrics,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while fresh.counts() != {"mined": 3} and time.monotonic() < deadline:
        fresh.step()
        time.sleep(0.02)
    finals = [wait_final(service, hub, r["receipt_id"]) for r in receipts.json()["receipts"]]
    assert [f["status"] for f in finals] == ["final"] * 3
    assert "another transaction" in finals[1]["error"]
    assert finals[0]["tx_hash"] == finals[2]["tx_hash"]  # the batch landed, no solo retries
    assert world.hub.licence(licence_id).printed == 3


def test_a_hub_cannot_submit_or_see_another_hubs_prints(service: Service) -> None:
    licence_id = licensed(service)
    item = signed(service, licence_id, "SN-X")
    other = service.headers(service.world.other_hub.account)
    assert (
        service.client.post("/v1/prints", headers=other, json={"attestations": [item]})
    ).status_code == 403
    hub = service.headers(service.world.hub.account)
    receipt = service.client.post("/v1/prints", headers=hub, json={"attestations": [item]})
    rid = receipt.json()["receipts"][0]["receipt_id"]
    assert service.client.get(f"/v1/prints/receipts/{rid}", headers=other).status_code == 403
    oem = service.headers(service.world.oem.account)
    assert (
        service.client.post("/v1/prints", headers=oem, json={"attestations": [item]})
    ).status_code == 403


def test_a_tampered_attestation_is_refused(service: Service) -> None:
    licence_id = licensed(service)
    item = signed(service, licence_id, "SN-T")
    item["material_lot_hash"] = "0x" + "11" * 32
    hub = service.headers(service.world.hub.account)
    response = service.client.post("/v1/prints", headers=hub, json={"attestations": [item]})
    assert response.status_code == 403
    assert "signature" in response.json()["detail"]


@both_engines
def test_queued_attestations_survive_a_restart_and_are_sent_once(service: Service) -> None:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    relayer: Relayer = ctx.relayer
    relayer.stop()  # a crash before the worker picked them up
    licence_id = licensed(service)
    hub = service.headers(service.world.hub.account)
    items = [signed(service, licence_id, f"SN-R{i}") for i in range(3)]
    receipts = service.client.post("/v1/prints", headers=hub, json={"attestations": items}).json()[
        "receipts"
    ]
    batch = relayer._take_batch()
    relayer._sign_and_persist(batch)  # signed and persisted, then "killed" before broadcast
    fresh = Relayer(
        ctx.engine, ctx.ledger, relayer.account, batch_size=100, window=0,
        finality=0, metrics=ctx.metrics,
    )  # fmt: skip
    fresh._broadcast()
    deadline = time.monotonic() + 30
    while fresh.counts() != {"mined": 3} and time.monotonic() < deadline:
        fresh.step()
        time.sleep(0.02)
    finals = [wait_final(service, hub, r["receipt_id"]) for r in receipts]
    assert {f["status"] for f in finals} == {"final"}
    assert service.world.hub.licence(licence_id).printed == 3
    assert fresh.counts() == {"mined": 3}


def test_provenance_is_public_and_verifies_every_claim(service: Service) -> None:
    world = service.world
    licence_id = licensed(service)
    part = world.hub.attest_print(PrintInput(licence_id, "SN-P", world.machine, "LOT-1"))
    design_id = world.hub.licence(licence_id).design_id
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = world.ledger.w3.eth.block_number
    response = service.client.get(f"/v1/audit/provenance/SN-P?design_id={design_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["attestation"]["tx_hash"] == part.tx.tx_hash
    assert {c["name"] for c in body["claims"]} >= {"print.record", "machine.qualification"}
    missing = service.client.get(f"/v1/audit/provenance/SN-NONE?design_id={design_id}")
    assert missing.status_code == 404
    assert "not on the ledger — NOT VERIFIED" in missing.json()["detail"]
    events = service.client.get(
        f"/v1/audit/events?licence_id={licence_id}", headers=service.headers(world.hub.account)
    ).json()
    assert [e["event"] for e in events["events"]][:1] == ["LicenceIssued"]


@both_engines
def test_ready_and_metrics_report_the_service(service: Service) -> None:
    ready = service.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["chain"] == "ok"
    service.client.get("/health")
    metrics = service.client.get("/metrics").text
    assert "partledger_http_request_duration_seconds" in metrics
    assert "partledger_relayer_queue_depth" in metrics
    assert service.client.get("/health").headers["x-request-id"]


def test_reconciliation_report_needs_a_token_and_names_a_deleted_container(
    w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> None:
    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        service = Service(client, world, dev_accounts, True)
        licence_id = licensed(service)
        headers = service.headers(world.hub.account)
        assert client.get("/v1/audit/reconciliation").status_code == 401
        index = client.app.state.context.index  # type: ignore[attr-defined]
        head = w3.eth.block_number
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the service's own indexer follows the chain
            status = index.status()
            if status is not None and status.last_block >= head:
                break
            time.sleep(0.1)
        body = client.get("/v1/audit/reconciliation", headers=headers).json()
        assert body["clean"], body
        design_id = world.hub.licence(licence_id).design_id
        container = world.ledger.view("DesignRegistry", "design", bytes.fromhex(design_id[2:]))[4]
        world.ledger.store.delete(bytes(container).hex())
        broken = client.get("/v1/audit/reconciliation?deep=true", headers=headers).json()
        assert [f["check"] for f in broken["findings"]] == ["design.container.missing"]
        assert "partledger_reconciliation_findings 1.0" in client.get("/metrics").text


def test_events_feed_from_the_index_equals_the_full_chain_scan(
    w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> None:
    from partledger.api.services.audit import AuditService

    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        service = Service(client, world, dev_accounts, True)
        licence_id = licensed(service)
        design_id = world.hub.licence(licence_id).design_id
        for i in range(3):
            world.hub.attest_print(PrintInput(licence_id, f"EV-{i}", world.machine, "L"))
        world.oem.suspend_licence(licence_id, b"audit")
        index = client.app.state.context.index  # type: ignore[attr-defined]
        head = w3.eth.block_number
        deadline = time.monotonic() + 20
        while (status := index.status()) is None or status.last_block < head:
            assert time.monotonic() < deadline, "the service's indexer did not catch up"
            time.sleep(0.1)
        headers = service.headers(world.hub.account)
        scan = AuditService(world.ledger, None)
        for query in ({"licence_id": licence_id}, {"design_id": design_id}):
            served = client.get("/v1/audit/events", params=query, headers=headers).json()
            expected = scan.events(
                design_id=query.get("design_id"), licence_id=query.get("licence_id"),
                after_block=0, limit=1000,
            )  # fmt: skip
            assert served["events"] == expected
        kinds = [e["event"] for e in expected]
        assert kinds.count("PrintAttested") == 3 and "LicenceSuspended" in kinds


def test_a_validly_signed_attestation_with_a_huge_deadline_is_422_not_a_server_error(
    service: Service,
) -> None:
    world = service.world
    licence_id = licensed(service)
    attestation = world.hub.sign_attestation(
        PrintInput(licence_id, "SN-FAR", world.machine, "LOT-7"), deadline=2**63
    )
    r = attestation.record
    body = {
        "licence_id": hex32(r.licence_id), "serial": hex32(r.serial),
        "machine_id": hex32(r.machine_id), "material_lot_hash": hex32(r.material_lot_hash),
        "quality_report_hash": hex32(r.quality_report_hash), "deadline": attestation.deadline,
        "signature": "0x" + attestation.signature.hex(),
    }  # fmt: skip
    response = service.client.post(
        "/v1/prints",
        json={"attestations": [body]},
        headers=service.headers(world.hub.account),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] == "deadline"
