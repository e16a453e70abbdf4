"""A bounded cache of values valid while their stamp (the chain head, a record) is current,
computing each missing value once however many requests ask for it at the same time.

Every new block changes the stamp of every provenance document and part page. Without
single flight, a crowd of readers of one part after a block would each rebuild the same
document (a hundred milliseconds of RPC calls and hashing apiece) and starve each other;
with it, the first builds and the others wait for its result (or its error).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class _Flight(Generic[V]):
    """One computation in progress; other callers wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None

    def outcome(self) -> V:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class StampedCache(Generic[V]):
    """At most ``size`` values, least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._flights: dict[tuple[Hashable, Hashable], _Flight[V]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Hashable, stamp: Hashable) -> V | None:
        """The value for ``key`` if it was computed under ``stamp`` (no computing, no waiting)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def get(self, key: Hashable, stamp: Hashable, build: Callable[[], V]) -> V:
        """The value for ``key`` under ``stamp``: cached, awaited from a concurrent build of the
        same key and stamp, or built now (``build``'s exception reaches every waiter)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == stamp:
                self._entries.move_to_end(key)
                return hit[1]
            flight = self._flights.get((key, stamp))
            leader = flight is None
            if flight is None:
                flight = self._flights[key, stamp] = _Flight()
        if not leader:
            return flight.outcome()
        try:
            value = build()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            with self._lock:
                self._entries[key] = (stamp, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._flights.pop((key, stamp), None)
            flight.done.set()

    def __len__(self) -> int:
        return len(self._entries)
