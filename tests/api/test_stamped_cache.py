"""The provenance and part-page cache: one build per key and stamp however many ask at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from partledger.api.services.stamped_cache import StampedCache


def test_concurrent_misses_of_one_key_build_it_once_and_all_get_it() -> None:
    cache: StampedCache[str] = StampedCache(10)
    builds = []

    def build() -> str:
        builds.append(threading.get_ident())
        time.sleep(0.2)
        return "document"

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: cache.get("part", 7, build), range(16)))
    assert answers == ["document"] * 16
    assert len(builds) == 1
    assert cache.peek("part", 7) == "document"


def test_a_new_stamp_rebuilds_and_an_old_one_is_never_served() -> None:
    cache: StampedCache[int] = StampedCache(10)
    assert cache.get("part", 1, lambda: 1) == 1
    assert cache.peek("part", 2) is None
    assert cache.get("part", 2, lambda: 2) == 2
    assert cache.peek("part", 1) is None


def test_a_failed_build_reaches_every_waiter_and_is_not_cached() -> None:
    cache: StampedCache[str] = StampedCache(10)
    started = threading.Event()

    def failing() -> str:
        started.set()
        time.sleep(0.2)
        raise LookupError("no such print")

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(cache.get, "part", 1, failing)
        started.wait()
        others = [pool.submit(cache.get, "part", 1, failing) for _ in range(3)]
        for future in (first, *others):
            with pytest.raises(LookupError, match="no such print"):
                future.result()
    assert cache.peek("part", 1) is None
    assert cache.get("part", 1, lambda: "found later") == "found later"


def test_the_least_recently_used_entries_go_first() -> None:
    cache: StampedCache[int] = StampedCache(2)
    cache.get("a", 1, lambda: 1)
    cache.get("b", 1, lambda: 2)
    assert cache.peek("a", 1) == 1  # a is now the most recently used
    cache.get("c", 1, lambda: 3)
    assert len(cache) == 2 and cache.peek("b", 1) is None and cache.peek("a", 1) == 1
