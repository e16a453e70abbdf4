"""Replicas sharing one PostgreSQL index with the indexer on each: exactly one writes it (the
holder of the index lock), every replica serves it, and a killed writer is replaced within
seconds; a writer that fell behind cannot move the checkpoint under the current one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from replicas.support import (
    Replica,
    replica_env,
    token,
    wait_for,
)
from sqlalchemy import text

from helpers.world import METADATA, STANDARD, World
from partledger.api.services.leader import LeadershipLost
from partledger.chain.local import LocalChain
from partledger.index import Indexer, IndexerConfig, open_database
from partledger.index.indexer import CheckpointMoved
from partledger.sdk import PrintInput

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(scratch_postgres: str) -> str:
    return scratch_postgres


@pytest.fixture
def replicas(anvil: LocalChain, world: World, database: str) -> Iterator[tuple[Replica, Replica]]:
    """Replicas A then B, the indexer on in both, index and service tables in one database."""
    env = {
        **replica_env(database, world.data_dir / "data" / "blobs"),
        "PARTLEDGER_API_INDEXER": "true",
        "PARTLEDGER_DATABASE_URL": database,
    }
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


def index_role(replica: Replica) -> str:
    return str(httpx.get(replica.url + "/health", timeout=5).json()["indexer"])


def writer_of(a: Replica, b: Replica) -> tuple[Replica, Replica]:
    """``(writer, reader)`` once exactly one replica writes the index."""
    roles: dict[str, str] = {}

    def settled() -> bool:
        roles.update({r.name: index_role(r) for r in (a, b)})
        return sorted(roles.values()) == ["reader", "writer"]

    assert wait_for(settled, 10), roles
    return (a, b) if roles["A"] == "writer" else (b, a)


def hub_token(replica: Replica, world: World) -> dict[str, str]:
    return token(replica, replica, world.hub.account)


def attested(replica: Replica, headers: dict[str, str], licence_id: str) -> list[dict[str, Any]]:
    """The licence's PrintAttested events as the replica's events feed (the index) has them."""
    response = httpx.get(
        replica.url + "/v1/audit/events", headers=headers,
        params={"licence_id": licence_id, "limit": 1000}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if e["event"] == "PrintAttested"]


def index_lag(replica: Replica) -> Any:
    return httpx.get(replica.url + "/ready", timeout=10).json().get("indexer_lag")


def new_licence(world: World, n: int) -> str:
    design = world.oem.register_design(world.design_file(size=2_000), METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=n,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    )  # fmt: skip
    return licence.licence_id


def test_exactly_one_replica_writes_the_index_and_both_serve_it(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    writer, reader = writer_of(*replicas)
    licence_id = new_licence(world, 3)
    for i in range(3):
        world.hub.attest_print(PrintInput(licence_id, f"SN-IX-{i}", world.machine, "LOT"))
    heads = {r.name: hub_token(r, world) for r in (writer, reader)}
    for replica in (writer, reader):
        assert wait_for(lambda r=replica: len(attested(r, heads[r.name], licence_id)) == 3, 15)
    assert attested(writer, heads[writer.name], licence_id) == attested(
        reader, heads[reader.name], licence_id
    )
    assert wait_for(lambda: index_lag(writer) == 0 and index_lag(reader) == 0, 10)
    time.sleep(2)  # renewals do not flap
    assert (index_role(writer), index_role(reader)) == ("writer", "reader")


def test_killing_the_index_writer_hands_the_index_to_the_other_replica(
    replicas: tuple[Replica, Replica], world: World
) -> None:
    writer, reader = writer_of(*replicas)
    licence_id = new_licence(world, 4)
    world.hub.attest_print(PrintInput(licence_id, "SN-IK-0", world.machine, "LOT"))
    headers = hub_token(reader, world)
    assert wait_for(lambda: len(attested(reader, headers, licence_id)) == 1, 15)

    killed_at = time.monotonic()
    writer.kill()  # SIGKILL: its sessions end, the index lock is free at once
    for i in range(1, 4):  # attested after the kill: only the survivor can index them
        world.hub.attest_print(PrintInput(licence_id, f"SN-IK-{i}", world.machine, "LOT"))
    assert wait_for(lambda: index_role(reader) == "writer", 5, 0.05)
    takeover = time.monotonic() - killed_at
    assert wait_for(lambda: len(attested(reader, headers, licence_id)) == 4, 5, 0.1)
    caught_up = time.monotonic() - killed_at
    assert wait_for(lambda: index_lag(reader) == 0, 5)
    print(f"index writer takeover {takeover:.2f}s, new prints indexed {caught_up:.2f}s after kill")


# -- fencing, in process: two indexers on one PostgreSQL index --------------------------------
def indexer(anvil: LocalChain, world: World, database: str, **options: Any) -> Indexer:
    config = IndexerConfig.from_deployment(
        world.ledger.deployment, anvil.rpc_url, database, prefetch=False
    )
    return Indexer(config, **options)


def checkpoint(database: str) -> tuple[int, int]:
    engine = open_database(database)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT last_block, chain_head FROM sync_state")).one()
        return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def test_a_writer_that_fell_behind_cannot_move_the_checkpoint(
    anvil: LocalChain, world: World, database: str
) -> None:
    current = indexer(anvil, world, database)
    stale = indexer(anvil, world, database)
    try:
        current.sync_once()
        was = stale.state()  # the paused writer's view
        assert was is not None
        licence_id = new_licence(world, 1)
        world.hub.attest_print(PrintInput(licence_id, "SN-F-0", world.machine, "LOT"))
        current.sync_once()  # the current writer moves on
        now = checkpoint(database)
        with pytest.raises(CheckpointMoved), stale._writing(was) as conn:
            conn.execute(text("DELETE FROM prints"))  # never committed
        assert checkpoint(database) == now
        with open_database(database).connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM prints")).scalar() == 1
        stale.sync_once()  # re-reads the checkpoint: nothing to redo
        assert checkpoint(database)[0] == now[0]
    finally:
        current.close()
        stale.close()


def test_a_fenced_writer_writes_nothing(anvil: LocalChain, world: World, database: str) -> None:
    leading = [True]

    def fence() -> None:
        if not leading[0]:
            raise LeadershipLost("another replica writes the index")

    writer = indexer(anvil, world, database, fence=fence)
    try:
        writer.sync_once()
        before = checkpoint(database)
        licence_id = new_licence(world, 1)
        world.hub.attest_print(PrintInput(licence_id, "SN-F-1", world.machine, "LOT"))
        leading[0] = False
        with pytest.raises(LeadershipLost):
            writer.sync_once()
        assert checkpoint(database) == before
        leading[0] = True
        assert writer.sync_once().rows > 0
    finally:
        writer.close()
