"""The CLI on a PostgreSQL index that service replicas share: it writes only while it holds
the index-writer lock the replicas elect their writer with; while a replica holds it, the CLI
reads the index as that replica keeps it, and says so (real PostgreSQL, real anvil)."""

from __future__ import annotations

import json

import pytest

from helpers.cli_runner import Cli
from partledger.api.services.leader import INDEX_LOCK_KEY, Leadership
from partledger.index import open_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(scratch_postgres: str) -> str:
    return scratch_postgres


def test_the_cli_leaves_a_shared_index_to_the_replica_that_writes_it(
    cli: Cli, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTLEDGER_DATABASE_URL", database)
    cli.onboard()
    first = cli.design("first.stl")
    synced = cli.ok("index", "sync")
    assert synced["writer"] == "this command"

    engine = open_database(database)
    replica = Leadership(engine, key=INDEX_LOCK_KEY)  # what a replica's indexer holds
    replica.renew()
    assert replica.is_leader
    try:
        second = cli.design("second.stl")  # on chain, not yet in the index
        kept = cli.ok("index", "sync")
        assert kept == {"writer": "service-replica", "last_block": synced["last_block"]}

        listed = cli.run("--json", "design", "list", "--as", "acme-oem")
        assert listed.exit_code == 0, listed.output
        assert "service replica writes this shared index" in listed.stderr
        ids = {row["design_id"] for row in json.loads(listed.stdout)}
        assert ids == {first["design_id"]}  # read as kept, not synced behind its back

        # the second design's blobs are referenced by blocks the index has not seen yet:
        # read from the chain, not judged orphans, nothing quarantined
        result = cli.run("--json", "reconcile", "--repair", "--grace-hours", "0")
        assert result.exit_code == 0, result.output
        assert "index divergences are reported only" in result.stderr
        report = json.loads(result.stdout)
        assert report["clean"] and report["repairs"] == [], report
    finally:
        replica.stop()
        engine.dispose()

    caught_up = cli.ok("index", "sync")  # the lock is free again: the CLI writes
    assert caught_up["writer"] == "this command"
    assert caught_up["last_block"] > synced["last_block"]
    listed_after = cli.ok("design", "list", "--as", "acme-oem")
    assert {row["design_id"] for row in listed_after} == {first["design_id"], second["design_id"]}
