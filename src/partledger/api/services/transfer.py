"""Streaming bridges between an HTTP body and the blob store, in constant memory.

``ThreadedSink`` runs a blocking consumer (``store.put``, ``store_encrypted``) in a
worker thread that pulls chunks from a small bounded queue, so a request body is
written as it arrives and never held whole. ``MultipartStream`` parses
``multipart/form-data`` incrementally (python-multipart's push parser): small
fields are collected, the file part is forwarded chunk by chunk.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from python_multipart.multipart import MultipartParser, parse_options_header

from partledger.api.services.errors import InvalidRequest, PayloadTooLarge

_R = TypeVar("_R")
_END = object()
CHUNK = 1024 * 1024
MAX_FIELD = 64 * 1024


class _Aborted(Exception):
    """The request body ended badly; the consumer must not finish the blob."""


class ThreadedSink(Generic[_R]):
    """Feed chunks to ``consume(iterator)`` running in its own thread."""

    def __init__(self, consume: Callable[[Iterator[bytes]], _R], *, depth: int = 8) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._result: _R | None = None
        self._error: BaseException | None = None
        self._consume = consume
        self._thread = threading.Thread(target=self._run, name="pl-upload", daemon=True)
        self._thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Aborted):
                raise item
            yield item

    def _run(self) -> None:
        try:
            self._result = self._consume(self._chunks())
        except BaseException as exc:
            self._error = exc
            while True:  # drain so a blocked producer never hangs
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break

    def feed(self, chunk: bytes) -> None:
        """Blocking put (call it from a worker thread, not the event loop)."""
        while self._thread.is_alive():
            try:
                self._queue.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue
        self._raise()

    def finish(self) -> _R:
        self.feed(_END)  # type: ignore[arg-type]
        self._thread.join()
        self._raise()
        assert self._result is not None
        return self._result

    def abort(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(_Aborted("request body incomplete"), timeout=5)
        self._thread.join(timeout=30)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


class MultipartStream:
    """Incremental ``multipart/form-data`` parser forwarding one file part.

    ``on_file(chunk)`` receives the bytes of the part named ``file_field``; other
    parts (at most ``MAX_FIELD`` bytes each) land in ``fields``.
    """

    def __init__(self, content_type: str, file_field: str = "file") -> None:
        ctype, params = parse_options_header(content_type)
        if ctype != b"multipart/form-data" or b"boundary" not in params:
            raise InvalidRequest("expected multipart/form-data with a boundary")
        self.file_field = file_field
        self.fields: dict[str, bytes] = {}
        self.file_seen = False
        self.file_name: str | None = None
        self._pending: list[bytes] = []
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._buffer: bytearray | None = None
        self._finished = False
        callbacks: dict[str, Any] = {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_end": self._end,
        }
        self._parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]

    def _part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._buffer = None

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition")
        if disposition is None:
            raise InvalidRequest("a multipart part has no Content-Disposition")
        _, params = parse_options_header(disposition)
        name = params.get(b"name")
        if name is None:
            raise InvalidRequest("a multipart part has no name")
        self._name = name.decode(errors="replace")
        if self._name == self.file_field:
            if self.file_seen:
                raise InvalidRequest(f"more than one {self.file_field!r} part")
            self.file_seen = True
            filename = params.get(b"filename")
            self.file_name = filename.decode(errors="replace") if filename else None
        else:
            self._buffer = bytearray()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == self.file_field:
            self._pending.append(bytes(data[start:end]))
        elif self._buffer is not None:
            self._buffer += data[start:end]
            if len(self._buffer) > MAX_FIELD:
                raise PayloadTooLarge(f"form field {self._name!r} exceeds {MAX_FIELD} bytes")

    def _part_end(self) -> None:
        if self._name is not None and self._buffer is not None:
            self.fields[self._name] = bytes(self._buffer)
        self._buffer = None

    def _end(self) -> None:
        self._finished = True

    def write(self, chunk: bytes) -> list[bytes]:
        """Parse ``chunk``; return the file bytes it contained."""
        try:
            self._parser.write(chunk)
        except (InvalidRequest, PayloadTooLarge):
            raise
        except Exception as exc:
            raise InvalidRequest(f"malformed multipart body: {exc}") from None
        out, self._pending = self._pending, []
        return out

    def close(self) -> None:
        try:
            self._parser.finalize()
        except Exception as exc:
            raise InvalidRequest(f"malformed multipart body: {exc}") from None
        if not self._finished:
            raise InvalidRequest("the multipart body is truncated")
