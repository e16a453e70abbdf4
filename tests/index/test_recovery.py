"""Resumability: a crash inside a range's transaction, SIGKILL mid-ingest, the node going away."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from index_ledger import Ledger, build_ledger
from sqlalchemy import inspect
from test_ingest import dump, make_indexer

from partledger.chain.connect import connect
from partledger.chain.local import LocalChain, free_port
from partledger.index import Indexer, IndexerConfig, RpcUnavailable
from partledger.index.db import create_index_engine
from partledger.index.store import Store


def has_state(conn: Any) -> bool:
    return "sync_state" in inspect(conn).get_table_names()


def fill_blocks(world: Ledger, blocks: int, per_block: int, prefix: str) -> None:
    """``blocks`` blocks of ``per_block`` prints, sent without waiting (automine: one per tx)."""
    nonce = world.w3.eth.get_transaction_count(world.hub.address, "pending")
    last = None
    for b in range(blocks):
        serials = [f"{prefix}-{b}-{i}" for i in range(per_block)]
        last = world.attest_batch(serials, wait=False, nonce=nonce + b)
    assert last is not None
    world.w3.eth.wait_for_transaction_receipt(last, timeout=60, poll_latency=0.01)


def reference(world: Ledger, tmp_path: Path) -> dict[str, Any]:
    with make_indexer(world, f"sqlite:///{tmp_path / 'reference.db'}") as indexer:
        indexer.sync_once()
        return dump(indexer)


def test_a_crash_before_the_checkpoint_commit_leaves_nothing_half_written(
    world: Ledger, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_blocks(world, 6, 5, "CR")
    expected = reference(world, tmp_path)
    with make_indexer(world, db_url, initial_span=4, max_span=4) as indexer:
        calls = {"n": 0}
        real = Store.save_state

        def crash_on_third(self: Store, conn: Any, state: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt("simulated crash after the rows, before the checkpoint")
            real(self, conn, state)

        monkeypatch.setattr(Store, "save_state", crash_on_third)
        with pytest.raises(KeyboardInterrupt):
            indexer.sync_once()
        state = indexer.state()
        assert state is not None
        partial = dump(indexer)
        # nothing above the checkpoint was kept
        assert all(row[0] <= state.last_block for rows in partial.values() for row in rows)
        monkeypatch.setattr(Store, "save_state", real)
        indexer.sync_once()
        assert dump(indexer) == expected


WORKER = """
import json, sys, time
from partledger.index import Indexer, IndexerConfig
args = json.loads(sys.argv[1])
config = IndexerConfig(args["rpc"], args["db"], args["contracts"], args["start"],
                       initial_span=1, max_span=1)
with Indexer(config) as indexer:
    while True:  # a few blocks at a time: the whole range once took less than a probe
        indexer.sync_once(max_blocks=5)
        time.sleep(0.02)
"""


def test_sigkill_mid_ingest_resumes_without_loss_or_duplicates(
    world: Ledger, db_url: str, tmp_path: Path
) -> None:
    fill_blocks(world, 120, 5, "KILL")
    expected = reference(world, tmp_path)
    head = world.w3.eth.block_number
    start = world.deployment.start_block
    args = {
        "rpc": world.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        "db": db_url,
        "contracts": world.addresses,
        "start": start,
    }
    proc = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(args)])
    config = IndexerConfig.from_deployment(world.deployment, args["rpc"], db_url)
    killed_at = None
    probe = create_index_engine(db_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
            with probe.connect() as conn:
                state = Store(probe.dialect.name).load_state(conn) if has_state(conn) else None
            if state is not None and state.last_block > start + 20:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = state.last_block
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        probe.dispose()
    assert killed_at is not None and killed_at < head, "the worker was not killed mid-ingest"
    with Indexer(config) as indexer:
        state = indexer.state()
        assert state is not None and start + 20 < state.last_block < head
        indexer.sync_once()
        assert dump(indexer) == expected


@pytest.fixture
def persistent_chain(tmp_path: Path) -> Any:
    chain = LocalChain(tmp_path / "chain", port=free_port())
    chain.start()
    try:
        yield chain
    finally:
        chain.stop()


def test_node_stopped_mid_ingest_is_ridden_out_and_ingest_completes(
    persistent_chain: LocalChain, dev_accounts: list[LocalAccount], db_url: str, tmp_path: Path
) -> None:
    w3 = connect(persistent_chain.rpc_url)
    world = build_ledger(w3, dev_accounts, tmp_path / "rec.json")
    fill_blocks(world, 30, 3, "NODE")
    with make_indexer(world, db_url, initial_span=5, max_span=5, poll_interval=0.1) as indexer:
        first = indexer.sync_once(max_blocks=20)
        assert first.last_block < w3.eth.block_number
        time.sleep(1.2)  # let anvil dump its state (every second) before it goes away
        persistent_chain.stop()
        with pytest.raises(RpcUnavailable):
            indexer.sync_once()
        with pytest.raises(ConnectionError):  # the built-in it also is
            indexer.sync_once()
        stop = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                indexer.run(stop, max_backoff=0.2)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)  # the loop keeps retrying while the node is down
        persistent_chain.start()
        head = connect(persistent_chain.rpc_url).eth.block_number
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            state = indexer.state()
            if state is not None and state.last_block >= head:
                break
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=10)
        assert not errors
        state = indexer.state()
        assert state is not None and state.last_block >= head and state.reorgs == 0
        got = dump(indexer)
    assert got == reference(world, tmp_path)
