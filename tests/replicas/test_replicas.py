"""Two service processes on one PostgreSQL database, one chain and one store act as one
service: nonces single-use across replicas, tokens valid on either, one unbroken access
log, exactly one relaying leader, and a takeover without a print lost or sent twice."""

from __future__ import annotations

import concurrent.futures
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_utils.crypto import keccak
from replicas.support import (
    Replica,
    postgres_available,
    redeem,
    replica_env,
    scratch_database,
    sign_in_message,
    token,
    wait_for,
)

from helpers.attestations import signed_attestations
from helpers.world import METADATA, STANDARD, World
from partledger.chain.local import LocalChain
from partledger.sdk.ledger import PRINT_LEDGER

pytestmark = pytest.mark.postgres

PRINT_ATTESTED = keccak(text="PrintAttested(bytes32,bytes32,bytes32,bytes32,bytes32,bytes32)").hex()


@pytest.fixture
def replicas(anvil: LocalChain, world: World) -> Iterator[tuple[Replica, Replica]]:
    """Replicas A then B (A migrates the fresh database first), sharing database, token
    secret and blob store; separate data directories."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    with scratch_database() as url:
        env = replica_env(url, world.data_dir / "data" / "blobs")
        record = world.data_dir / "rec.json"
        a = Replica("A", anvil.rpc_url, record, world.data_dir / "replica-a", env)
        b = Replica("B", anvil.rpc_url, record, world.data_dir / "replica-b", env)
        try:
            a.start()
            b.start()
            yield a, b
        finally:
            for replica in (a, b):
                replica.kill()


def leader_of(a: Replica, b: Replica) -> tuple[Replica, Replica]:
    """``(leader, standby)`` once exactly one leads."""
    roles: dict[str, str] = {}

    def settled() -> bool:
        roles.update({r.name: r.role() for r in (a, b)})
        return sorted(roles.values()) == ["leader", "standby"]

    assert wait_for(settled, 10), roles
    return (a, b) if roles["A"] == "leader" else (b, a)


def test_a_nonce_from_one_replica_is_redeemed_once_at_either(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    a, b = replicas
    message, signature = sign_in_message(world.hub.account, a.nonce())
    first = redeem(b, message, signature)
    assert first.status_code == 200, first.text
    assert redeem(b, message, signature).status_code == 401
    assert redeem(a, message, signature).status_code == 401


def test_a_token_issued_by_one_replica_is_accepted_by_the_other(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    a, b = replicas
    headers = token(a, a, world.oem.account)
    for replica in (a, b):
        response = httpx.get(replica.url + "/v1/auth/me", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["address"] == world.oem.address


def test_concurrent_downloads_through_both_replicas_keep_the_access_log_chain_valid(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    a, b = replicas
    design = world.oem.register_design(world.design_file(size=20_000), METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    )  # fmt: skip
    hub = token(a, b, world.hub.account)
    paths = [f"/v1/hub/licences/{licence.licence_id}/{what}" for what in ("container", "key")]

    def fetch(i: int) -> int:
        replica = (a, b)[i % 2]
        return httpx.get(replica.url + paths[i // 2 % 2], headers=hub, timeout=30).status_code

    n = 80
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        assert set(pool.map(fetch, range(n))) == {200}
    for replica in (a, b):
        check = httpx.get(replica.url + "/v1/access-log/verify", headers=hub, timeout=30).json()
        assert check["ok"] is True, check
        assert check["entries"] == n


def test_exactly_one_replica_leads_and_says_so_in_health_and_metrics(
    replicas: tuple[Replica, Replica],
) -> None:
    leader, standby = leader_of(*replicas)
    assert leader.leader_gauge() == 1.0
    assert standby.leader_gauge() == 0.0
    time.sleep(2)  # renewals do not flap
    assert (leader.role(), standby.role()) == ("leader", "standby")


def attested_serials(world: World, licence_id: str) -> dict[str, int]:
    """PrintAttested events per serial of one licence, read from the chain's logs."""
    logs = world.ledger.w3.eth.get_logs(
        {
            "fromBlock": 0,
            "toBlock": "latest",
            "address": world.ledger.deployment.address(PRINT_LEDGER),  # type: ignore[typeddict-item]
            "topics": ["0x" + PRINT_ATTESTED, licence_id],
        }
    )
    counts: dict[str, int] = {}
    for entry in logs:
        serial = "0x" + bytes(entry["topics"][3]).hex()
        counts[serial] = counts.get(serial, 0) + 1
    return counts


def test_killing_the_leader_mid_stream_hands_over_without_losing_or_repeating_a_print(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    a, b = replicas
    leader, standby = leader_of(a, b)
    n, chunk = 60, 6
    _, licence_id, items = signed_attestations(world, n, "SN-R-")
    heads = {r.name: token(r, r, world.hub.account) for r in (a, b)}
    receipts: list[str] = []

    def submit(replica: Replica, part: list[dict[str, Any]]) -> None:
        response = httpx.post(
            replica.url + "/v1/prints", headers=heads[replica.name],
            json={"attestations": part}, timeout=30,
        )  # fmt: skip
        assert response.status_code in (200, 201, 202), response.text
        receipts.extend(r["receipt_id"] for r in response.json()["receipts"])

    chunks = [items[i : i + chunk] for i in range(0, n, chunk)]
    for i, part in enumerate(chunks[: len(chunks) // 2]):  # to both replicas, alternately
        submit((a, b)[i % 2], part)
    killed_at = time.monotonic()
    leader.kill()  # SIGKILL, mid-stream: some sent, some queued
    for part in chunks[len(chunks) // 2 :]:
        submit(standby, part)
    assert wait_for(lambda: standby.role() == "leader", 5, 0.05)
    takeover = time.monotonic() - killed_at
    assert takeover <= 5.0

    statuses: list[str] = []

    def all_final() -> bool:
        statuses[:] = [
            httpx.get(
                f"{standby.url}/v1/prints/receipts/{rid}", headers=heads[standby.name], timeout=10
            ).json()["status"]
            for rid in receipts
        ]
        return all(s == "final" for s in statuses)

    assert wait_for(all_final, 90, 0.5), sorted(set(statuses))
    assert len(receipts) == n
    counts = attested_serials(world, licence_id)
    assert len(counts) == n  # none missing
    assert set(counts.values()) == {1}  # none twice
    assert world.hub.licence(licence_id).printed == n


def test_a_paused_leader_is_fenced_off_and_steps_down_when_it_wakes(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    a, b = replicas
    leader, standby = leader_of(a, b)
    assert leader.process is not None
    n = 30
    _, licence_id, items = signed_attestations(world, n, "SN-P-")
    headers = token(standby, standby, world.hub.account)
    receipts: list[str] = []

    def submit(part: list[dict[str, Any]]) -> None:
        response = httpx.post(
            standby.url + "/v1/prints", headers=headers, json={"attestations": part}, timeout=30
        )
        assert response.status_code in (200, 201, 202), response.text
        receipts.extend(r["receipt_id"] for r in response.json()["receipts"])

    submit(items[:10])
    leader.process.send_signal(signal.SIGSTOP)  # paused, its lock connection still open
    try:
        stopped_at = time.monotonic()
        submit(items[10:20])
        assert wait_for(lambda: standby.role() == "leader", 10, 0.1)
        takeover = time.monotonic() - stopped_at
        assert takeover <= 8.0  # the TTL (4 s idle session) plus a poll
    finally:
        leader.process.send_signal(signal.SIGCONT)
    submit(items[20:])
    assert wait_for(lambda: leader.role() == "standby", 10, 0.1)
    assert standby.role() == "leader"

    def all_final() -> bool:
        return all(
            httpx.get(f"{standby.url}/v1/prints/receipts/{rid}", headers=headers, timeout=10)
            .json()["status"] == "final"
            for rid in receipts
        )  # fmt: skip

    assert wait_for(all_final, 90, 0.5)
    counts = attested_serials(world, licence_id)
    assert len(counts) == n
    assert set(counts.values()) == {1}
