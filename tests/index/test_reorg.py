"""Reorgs: anvil_reorg and evm_snapshot/evm_revert on a chain of the test module's own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from index_ledger import Ledger, rpc
from test_ingest import dump, make_indexer

from partledger.index import IndexReader, ReorgTooDeep, serial_hash


@pytest.fixture
def tag() -> str:
    """A prefix making serials unique per test: the module's chain is shared."""
    return uuid.uuid4().hex[:6]


def fresh_dump(world: Ledger, tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The index built from scratch on the chain as it is now."""
    url = f"sqlite:///{tmp_path / f'fresh-{len(list(tmp_path.iterdir()))}.db'}"
    with make_indexer(world, url) as indexer:
        indexer.sync_once()
        return dump(indexer)


def serials(indexer_reader: IndexReader, *names: str) -> dict[str, int]:
    return {n: len(indexer_reader.prints_by_serial(serial_hash(n))) for n in names}


def test_anvil_reorg_that_removes_a_print_is_rolled_back(
    own_world: Ledger, db_url: str, tmp_path: Path, tag: str
) -> None:
    w = own_world
    with make_indexer(w, db_url) as indexer:
        indexer.sync_once()
        w.attest(tag + "RG-1")
        assert indexer.sync_once().reorg is None
        reader = IndexReader(indexer.engine)
        assert serials(reader, tag + "RG-1") == {tag + "RG-1": 1}
        head = w.w3.eth.block_number
        rpc(w.w3, "anvil_reorg", [1, []])  # the block with the print is replaced by an empty one
        report = indexer.sync_once()
        assert report.reorg is not None
        assert report.reorg.ancestor == head - 1 and report.reorg.removed == {"prints": 1}
        assert serials(reader, tag + "RG-1") == {tag + "RG-1": 0}
        assert dump(indexer) == fresh_dump(w, tmp_path)
        status = reader.status()
        assert status is not None and status.reorgs == 1


def test_anvil_reorg_that_replaces_a_print_with_another(
    own_world: Ledger, db_url: str, tmp_path: Path, tag: str
) -> None:
    w = own_world
    with make_indexer(w, db_url) as indexer:
        nonce = w.w3.eth.get_transaction_count(w.hub.address)
        w.attest(tag + "RP-old")
        w.tx(w.hub, w.ledger, "cancelSignatures")  # a second block on top
        indexer.sync_once()
        reader = IndexReader(indexer.engine)
        assert serials(reader, tag + "RP-old", tag + "RP-new") == {
            tag + "RP-old": 1,
            tag + "RP-new": 0,
        }
        # replace both blocks: the new first block holds a different print
        data = w.ledger.encode_abi("attestPrint", args=[w.print_record(tag + "RP-new")])
        signed = w.hub.sign_transaction(
            {"to": w.ledger.address, "data": data, "gas": 1_000_000, "nonce": nonce,
             "chainId": w.chain_id, "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 1,
             "value": 0}
        )  # fmt: skip
        rpc(w.w3, "anvil_reorg", [2, [["0x" + signed.raw_transaction.hex(), 0]]])
        report = indexer.sync_once()
        assert report.reorg is not None and report.reorg.depth == 2
        assert serials(reader, tag + "RP-old", tag + "RP-new") == {
            tag + "RP-old": 0,
            tag + "RP-new": 1,
        }
        assert dump(indexer) == fresh_dump(w, tmp_path)


def test_evm_revert_then_a_different_print_at_the_same_height(
    own_world: Ledger, db_url: str, tmp_path: Path, tag: str
) -> None:
    w = own_world
    with make_indexer(w, db_url) as indexer:
        snap = rpc(w.w3, "evm_snapshot")
        w.attest(tag + "SR-a")
        indexer.sync_once()
        height = w.w3.eth.block_number
        rpc(w.w3, "evm_revert", [snap])
        w.attest(tag + "SR-b")
        assert w.w3.eth.block_number == height
        report = indexer.sync_once()
        assert report.reorg is not None and report.reorg.depth == 1
        reader = IndexReader(indexer.engine)
        assert serials(reader, tag + "SR-a", tag + "SR-b") == {tag + "SR-a": 0, tag + "SR-b": 1}
        assert dump(indexer) == fresh_dump(w, tmp_path)


def test_evm_revert_to_a_shorter_chain_removes_the_print(
    own_world: Ledger, db_url: str, tmp_path: Path, tag: str
) -> None:
    w = own_world
    with make_indexer(w, db_url) as indexer:
        snap = rpc(w.w3, "evm_snapshot")
        w.attest(tag + "SS-a")
        w.tx(w.hub, w.ledger, "cancelSignatures")
        indexer.sync_once()
        rpc(w.w3, "evm_revert", [snap])
        report = indexer.sync_once()
        assert report.reorg is not None
        assert serials(IndexReader(indexer.engine), tag + "SS-a") == {tag + "SS-a": 0}
        assert dump(indexer) == fresh_dump(w, tmp_path)


def test_reorg_deeper_than_the_kept_hashes_is_refused(own_world: Ledger, db_url: str) -> None:
    w = own_world
    snap = rpc(w.w3, "evm_snapshot")
    for _ in range(6):
        w.tx(w.hub, w.ledger, "cancelSignatures")
    with make_indexer(w, db_url, reorg_window=2) as indexer:
        indexer.sync_once()
        rpc(w.w3, "evm_revert", [snap])
        for _ in range(7):
            rpc(w.w3, "evm_mine")
        with pytest.raises(ReorgTooDeep):
            indexer.sync_once()
