"""The background-stage helper: ordering, error propagation, bounded look-ahead, clean stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from partledger.crypto.pipeline import background


def test_items_arrive_in_order() -> None:
    assert list(background(range(100), maxsize=2)) == list(range(100))


def test_producer_errors_reach_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise OSError("disk gone")

    stage = background(failing())
    assert next(stage) == 1
    with pytest.raises(OSError, match="disk gone"):
        next(stage)


def test_the_producer_runs_at_most_a_few_items_ahead() -> None:
    produced = []

    def counting() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            yield i

    stage = background(counting(), maxsize=3)
    next(stage)
    time.sleep(0.2)
    assert len(produced) <= 6
    stage.close()  # type: ignore[attr-defined]


def test_closing_early_stops_the_worker_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            while True:
                yield 0
        finally:
            closed.set()

    before = threading.active_count()
    stage = background(endless(), maxsize=2)
    next(stage)
    stage.close()  # type: ignore[attr-defined]
    assert closed.wait(2)
    assert threading.active_count() == before
