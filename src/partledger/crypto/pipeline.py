"""Run an iterator in a background thread behind a small bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.05


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def background(items: Iterable[T], *, maxsize: int = 4, name: str = "pl-stage") -> Iterator[T]:
    """Yield ``items`` produced by a worker thread; at most ``maxsize`` wait in the queue.

    Exceptions raised by the producer are re-raised in the consumer. Closing the
    returned generator stops the worker and waits for it, so no thread outlives it.
    """
    q: queue.Queue[object] = queue.Queue(maxsize)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:
            offer(_Failure(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    return _consume(q, stop, worker)


def _consume(
    q: queue.Queue[object], stop: threading.Event, worker: threading.Thread
) -> Iterator[T]:
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
