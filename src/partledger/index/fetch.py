"""Fetch logs in adaptive block ranges, optionally one range ahead in a background thread.

The span shrinks (halves, or takes the node's suggested range) when the node refuses a
range — too many results, a timeout, a response too large — and when a range returns
more than ``target_logs``; it doubles while ranges come back with few logs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from partledger.index.errors import RangeTooLarge
from partledger.index.rpc import BlockHeader, JsonRpc, count_logs, parse_logs


@dataclass
class AdaptiveSpan:
    """The block span of the next ``eth_getLogs`` call."""

    span: int = 1_000
    min_span: int = 1
    max_span: int = 100_000
    target_logs: int = 10_000

    def shrink(self, suggested: tuple[int, int] | None = None) -> None:
        if self.span <= self.min_span:
            raise RangeTooLarge("eth_getLogs", None, "range cannot shrink below min_span", None)
        if suggested is not None and suggested[1] >= suggested[0]:
            self.span = max(self.min_span, min(self.span // 2, suggested[1] - suggested[0] + 1))
        else:
            self.span = max(self.min_span, self.span // 2)

    def observe(self, logs: int) -> None:
        if logs > self.target_logs:
            self.span = max(self.min_span, self.span // 2)
        elif logs < self.target_logs // 4:
            self.span = min(self.max_span, self.span * 2)


@dataclass
class FetchedRange:
    """The logs of blocks ``[first, last]`` (raw JSON) and the headers fetched alongside."""

    first: int
    last: int
    raw: bytes
    count: int
    headers: dict[int, BlockHeader] = field(default_factory=dict)

    def logs(self) -> list[Any]:
        return parse_logs(self.raw)


def fetch_ranges(
    rpc: JsonRpc,
    addresses: Sequence[str],
    first: int,
    last: int,
    span: AdaptiveSpan,
    header_from: int,
    stop: threading.Event | None = None,
) -> Iterator[FetchedRange]:
    """Yield consecutive ranges covering ``[first, last]``.

    Headers are fetched for every block from ``header_from`` on (the reorg window) and
    for each range's last block (the checkpoint hash).
    """
    lo = first
    while lo <= last:
        if stop is not None and stop.is_set():
            return
        hi = min(last, lo + span.span - 1)
        try:
            raw = rpc.get_logs_raw(addresses, lo, hi)
        except RangeTooLarge as exc:
            span.shrink(exc.suggested)
            continue
        count = count_logs(raw)
        span.observe(count)
        wanted = set(range(max(lo, header_from), hi + 1))
        wanted.add(hi)
        if count and b'"blockTimestamp"' not in raw:  # the node omits it: read the headers
            wanted |= {int(log["blockNumber"], 16) for log in parse_logs(raw)}
        headers = rpc.headers(sorted(wanted))
        yield FetchedRange(lo, hi, raw, count, headers)
        lo = hi + 1


_DONE = object()


def prefetch(
    make: Callable[[threading.Event], Iterator[FetchedRange]], depth: int = 2
) -> Iterator[FetchedRange]:
    """Run ``make(stop)`` in a thread, ``depth`` ranges ahead of the consumer."""
    stop = threading.Event()
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)

    def worker() -> None:
        try:
            for item in make(stop):
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            items.put(exc)

    thread = threading.Thread(target=worker, name="index-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                items.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
