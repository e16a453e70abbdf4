"""Adaptive getLogs ranges and RPC error classification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_ledger import Ledger
from test_ingest import dump, make_indexer

from partledger.index import AdaptiveSpan, RangeTooLarge, RpcRequestError
from partledger.index.fetch import fetch_ranges
from partledger.index.rpc import BlockHeader, JsonRpc


class FakeRpc:
    """Refuses ranges wider than ``limit`` like a provider with a result cap."""

    def __init__(self, limit: int, logs_per_block: int = 1, suggest: bool = False) -> None:
        self.limit = limit
        self.logs_per_block = logs_per_block
        self.suggest = suggest
        self.calls: list[tuple[int, int]] = []

    def get_logs_raw(self, addresses: Any, lo: int, hi: int) -> bytes:
        self.calls.append((lo, hi))
        if hi - lo + 1 > self.limit:
            hint = (lo, lo + self.limit - 1) if self.suggest else None
            raise RangeTooLarge(
                "eth_getLogs", -32005, "query returned more than 10000 results", hint
            )
        items = ",".join(
            f'{{"blockNumber":"{hex(b)}","logIndex":"0x0","blockTimestamp":"0x1"}}'
            for b in range(lo, hi + 1)
            for _ in range(self.logs_per_block)
        )
        return f'{{"jsonrpc":"2.0","id":1,"result":[{items}]}}'.encode()

    def headers(self, numbers: list[int]) -> dict[int, BlockHeader]:
        return {n: BlockHeader(n, n.to_bytes(32, "big"), bytes(32), 1) for n in numbers}


@pytest.mark.parametrize("suggest", [False, True])
def test_ranges_shrink_on_refusal_and_cover_every_block_once(suggest: bool) -> None:
    rpc = FakeRpc(limit=7, suggest=suggest)
    span = AdaptiveSpan(span=100, max_span=1000, target_logs=10_000)
    got = list(fetch_ranges(rpc, ["0x"], 10, 60, span, header_from=55))  # type: ignore[arg-type]
    covered = [b for r in got for b in range(r.first, r.last + 1)]
    assert covered == list(range(10, 61))
    assert all(r.last - r.first + 1 <= 7 for r in got)
    assert sum(r.count for r in got) == 51
    assert set(got[-1].headers) == set(range(max(got[-1].first, 55), 61))


def test_span_grows_when_quiet_and_shrinks_when_busy() -> None:
    span = AdaptiveSpan(span=10, max_span=40, target_logs=100)
    span.observe(0)
    span.observe(0)
    span.observe(0)
    assert span.span == 40
    span.observe(500)
    assert span.span == 20
    tiny = AdaptiveSpan(span=1)
    with pytest.raises(RangeTooLarge):
        tiny.shrink()


@pytest.mark.parametrize(
    ("code", "message", "suggested"),
    [
        (-32005, "query returned more than 10000 results", None),
        (-32602, "Log response size exceeded. Try with this block range [0x10, 0x20].", (16, 32)),
        (-32000, "request timed out", None),
        (-32000, "block range too large", None),
    ],
)
def test_getlogs_refusals_are_recognised(code: int, message: str, suggested: Any) -> None:
    error = JsonRpc._error("eth_getLogs", {"code": code, "message": message})
    assert isinstance(error, RangeTooLarge) and error.suggested == suggested


def test_other_rpc_errors_are_not_range_errors() -> None:
    error = JsonRpc._error("eth_blockNumber", {"code": -32000, "message": "too many requests"})
    assert type(error) is RpcRequestError


def test_indexer_shrinks_ranges_against_a_capped_node(
    world: Ledger, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.attest_batch([f"CAP-{i}" for i in range(5)])
    for _ in range(4):
        world.tx(world.hub, world.ledger, "cancelSignatures")
    with make_indexer(world, f"sqlite:///{tmp_path / 'ref.db'}") as ref:
        ref.sync_once()
        expected = dump(ref)
    real = JsonRpc.get_logs_raw
    refused: list[int] = []

    def capped(self: JsonRpc, addresses: Any, lo: int, hi: int) -> bytes:
        if hi - lo + 1 > 3:
            refused.append(hi - lo + 1)
            raise RangeTooLarge(
                "eth_getLogs", -32005, "query returned more than 10000 results", None
            )
        return real(self, addresses, lo, hi)

    monkeypatch.setattr(JsonRpc, "get_logs_raw", capped)
    with make_indexer(world, db_url, initial_span=64) as indexer:
        report = indexer.sync_once()
        assert refused and report.ranges > 1
        assert dump(indexer) == expected


def test_a_range_whose_logs_disagree_with_the_headers_is_not_stored() -> None:
    from partledger.index import Indexer
    from partledger.index.fetch import FetchedRange

    header = BlockHeader(5, b"\x01" * 32, bytes(32), 1)
    good = [{"blockNumber": "0x5", "blockHash": "0x" + "01" * 32}]
    bad = [{"blockNumber": "0x5", "blockHash": "0x" + "02" * 32}]
    fetched = FetchedRange(1, 5, b"", 1, {5: header})
    assert Indexer._consistent(fetched, good)
    assert not Indexer._consistent(fetched, bad)
    assert not Indexer._consistent(FetchedRange(1, 5, b"", 1, {}), good)
