"""Backup and restore, as docs/deploy.md tells an operator to do it.

A service runs with the index and its own tables in one PostgreSQL database, does real work
(sign-in, a server-side encrypted design, a licence, licensed downloads in the hash-chained
access log and its on-chain anchor, relayed prints, a public product record, an index in
sync), and is stopped. The database is dumped with ``pg_dump -Fc`` and restored into a new
database with ``pg_restore``; the intent journal (SQLite) is copied with SQLite's online
backup. A service on a fresh data directory over the restored database, with the same token
secret and the same blob store, then serves everything as before.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api.support import Service, make_runtime
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import STANDARD, World
from partledger.api.app import create_app
from partledger.index import IndexReader, open_database
from partledger.sdk import PrintInput
from partledger.sdk.types import hex32

pytestmark = pytest.mark.postgres

TOKEN_SECRET = "backup-restore-test-token-secret-7f3a9c"  # PARTLEDGER_API_TOKEN_SECRET
METADATA = '{"part_number": "PN-1001", "revision": "A", "material": "Ti-6Al-4V", "process": "x"}'
PRODUCT = {"gtin": "09506000134352", "name": "Bracket", "part_number": "PN-1001"}


def client_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (PostgreSQL client tools: postgresql-client)")
    return path


def start(w3: Web3, world: World, accounts: list[LocalAccount], **settings: Any) -> TestClient:
    runtime = make_runtime(
        w3, world, api_indexer=True, api_token_secret=TOKEN_SECRET, api_anchor_seconds=0,
        **settings,
    )  # fmt: skip
    return TestClient(create_app(runtime, custodians=[world.oem.identity], relayer=accounts[9]))


def signed_in(service: Service, account: LocalAccount) -> tuple[dict[str, str], dict[str, str]]:
    """A bearer header, and the exact sign-in request (message + signature) that got it."""
    text = service.message(account)
    signature = "0x" + bytes(account.sign_message(encode_defunct(text=text)).signature).hex()
    request = {"message": text, "signature": signature}
    response = service.client.post("/v1/auth/token", json=request)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}, request


def wait_until(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def do_work(service: Service) -> dict[str, Any]:
    """Everything whose state lives in the database; returns what a client saw."""
    world, client = service.world, service.client
    ctx = client.app.state.context  # type: ignore[attr-defined]
    hub, hub_sign_in = signed_in(service, world.hub.account)
    oem, _ = signed_in(service, world.oem.account)
    design = client.post(
        "/v1/designs", headers=oem, files={"file": ("part.stl", os.urandom(50_000))},
        data={"metadata": METADATA},
    )  # fmt: skip
    assert design.status_code == 201, design.text
    design_id = design.json()["design_id"]
    licence = client.post(
        "/v1/licences", headers=oem,
        json={"design_id": design_id, "hub": world.hub.address, "max_prints": 5,
              "valid_until": world.now() + 86_400, "required_standard": STANDARD},
    )  # fmt: skip
    assert licence.status_code == 201, licence.text
    licence_id = licence.json()["licence_id"]
    for what in ("container", "key"):  # two access-log entries
        assert client.get(f"/v1/hub/licences/{licence_id}/{what}", headers=hub).status_code == 200
    assert ctx.access.anchor(ctx.anchoring()) is not None  # the head anchored on-chain

    attestations = []
    for i in range(3):
        signed = world.hub.sign_attestation(
            PrintInput(licence_id, f"SN-BK{i}", world.machine, "LOT-9"),
            deadline=world.now() + 3600,
        )
        r = signed.record
        attestations.append(
            {"licence_id": hex32(r.licence_id), "serial": hex32(r.serial),
             "machine_id": hex32(r.machine_id), "material_lot_hash": hex32(r.material_lot_hash),
             "quality_report_hash": hex32(r.quality_report_hash), "deadline": signed.deadline,
             "signature": "0x" + signed.signature.hex()}
        )  # fmt: skip
    queued = client.post("/v1/prints", headers=hub, json={"attestations": attestations})
    assert queued.status_code == 202, queued.text
    receipt_ids = [r["receipt_id"] for r in queued.json()["receipts"]]

    def receipts() -> list[dict[str, Any]]:
        return [client.get(f"/v1/prints/receipts/{r}", headers=hub).json() for r in receipt_ids]

    wait_until(lambda: all(r["status"] == "final" for r in receipts()), "prints not final")
    declared = client.put(f"/v1/designs/{design_id}/public", headers=oem, json=PRODUCT)
    assert declared.status_code == 200, declared.text

    head = world.ledger.w3.eth.block_number
    wait_until(lambda: (s := ctx.index.status()) is not None and s.last_block >= head, "index")
    return {
        "hub": hub, "oem": oem, "hub_sign_in": hub_sign_in, "design_id": design_id,
        "licence_id": licence_id, "receipt_ids": receipt_ids, "seen": seen(service, hub, oem,
        design_id, licence_id, receipt_ids),
    }  # fmt: skip


def seen(
    service: Service,
    hub: dict[str, str],
    oem: dict[str, str],
    design_id: str,
    licence_id: str,
    receipt_ids: list[str],
) -> dict[str, Any]:
    """What clients read back: compared before the backup and after the restore."""
    client = service.client
    ctx = client.app.state.context  # type: ignore[attr-defined]
    head = service.world.ledger.w3.eth.block_number
    wait_until(lambda: ctx.audit.head >= head, "the service has not seen the chain head")
    return {
        "me": client.get("/v1/auth/me", headers=hub).json(),
        "access_log": client.get("/v1/access-log", headers=oem).json(),
        "verify": client.get("/v1/access-log/verify", headers=hub).json(),
        "product": client.get(f"/v1/designs/{design_id}/public").json(),
        "receipts": [
            client.get(f"/v1/prints/receipts/{r}", headers=hub).json() for r in receipt_ids
        ],
        "provenance": client.get(f"/v1/audit/provenance/SN-BK1?design_id={design_id}").json(),
        "events": client.get(
            "/v1/audit/events", params={"licence_id": licence_id}, headers=hub
        ).json(),
    }


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every table of the database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        digests = {}
        for name in names:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(sql.Identifier(name))
            row = conn.execute(query).fetchone()
            assert row is not None
            digests[name] = (int(row[0]), str(row[1]))
    return digests


def test_a_service_restored_from_pg_dump_keeps_tokens_log_products_index_and_used_nonces(
    w3: Web3,
    world: World,
    dev_accounts: list[LocalAccount],
    scratch_databases: Callable[[str], str],
    tmp_path: Path,
) -> None:
    pg_dump, pg_restore = client_tool("pg_dump"), client_tool("pg_restore")
    source = scratch_databases("live")
    bucket = tmp_path / "bucket"  # stands in for the S3 bucket (backed up on its own)
    replica_a, replica_b = tmp_path / "replica-a", tmp_path / "replica-b"

    with start(
        w3, world, dev_accounts, data_dir=replica_a, blob_url=str(bucket),
        database_url=source, service_database_url=source,
    ) as client:  # fmt: skip
        work = do_work(Service(client, world, dev_accounts, True))
    before = work["seen"]
    assert before["verify"] == {**before["verify"], "ok": True, "entries": 2, "anchored_seq": 2}
    assert [r["status"] for r in before["receipts"]] == ["final"] * 3
    assert before["provenance"]["verified"] is True
    index_before = IndexReader(engine := open_database(source)).status()
    engine.dispose()

    # -- the backup: the database (index + service tables), the intent journal --------------
    dump = tmp_path / "partledger.pgdump"
    subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--no-acl", f"--file={dump}", source],
        check=True,
    )
    journal = replica_b / "journal.sqlite3"
    replica_b.mkdir()
    with sqlite3.connect(replica_a / "journal.sqlite3") as live, sqlite3.connect(journal) as copy:
        live.backup(copy)

    # -- the restore into a new, empty database ----------------------------------------------
    restored = scratch_databases("restored")
    subprocess.run(
        [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", f"--dbname={restored}", dump],
        check=True,
    )
    assert table_digests(restored) == table_digests(source)
    index_after = IndexReader(engine := open_database(restored)).status()
    engine.dispose()
    assert index_after == index_before  # status, heights, reorg count: identical

    with start(
        w3, world, dev_accounts, data_dir=replica_b, blob_url=str(bucket),
        database_url=restored, service_database_url=restored,
    ) as client:  # fmt: skip
        service = Service(client, world, dev_accounts, True)
        after = seen(
            service, work["hub"], work["oem"], work["design_id"], work["licence_id"],
            work["receipt_ids"],
        )  # fmt: skip
        # tokens issued before the backup are still valid (same secret), the access log still
        # verifies up to its anchor, the product record, receipts, provenance and the event
        # feed from the index are what they were
        assert after == before
        # a sign-in whose nonce was used before the backup stays used
        replay = client.post("/v1/auth/token", json=work["hub_sign_in"])
        assert replay.status_code == 401, replay.text
        # the restored service carries on: the hash chain grows from the restored head, and
        # the custodial OEM licenses another hub (its wrapped design key is in the journal)
        hub = work["hub"]
        assert client.get(f"/v1/hub/licences/{work['licence_id']}/key", headers=hub).is_success
        check = client.get("/v1/access-log/verify", headers=hub).json()
        assert check == {**check, "ok": True, "entries": 3, "anchored_seq": 2}
        another = client.post(
            "/v1/licences", headers=work["oem"],
            json={"design_id": work["design_id"], "hub": world.other_hub.address,
                  "max_prints": 1, "valid_until": world.now() + 86_400,
                  "required_standard": STANDARD},
        )  # fmt: skip
        assert another.status_code == 201, another.text
