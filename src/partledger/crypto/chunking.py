"""Cut a byte source (binary file or iterable of chunks) into fixed-size pieces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol


class Readable(Protocol):
    """Anything with a binary ``read(size)``."""

    def read(self, size: int, /) -> bytes | None: ...


ByteSource = BinaryIO | Iterable[bytes]


def read_exact(stream: Readable, size: int) -> bytes:
    """Read up to ``size`` bytes, looping over short reads; fewer only at end of stream."""
    data = stream.read(size)
    if data is None:
        data = b""
    if len(data) == size or not data:
        return bytes(data)
    parts = [data]
    missing = size - len(data)
    while missing:
        more = stream.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def fixed_chunks(source: ByteSource, size: int) -> Iterator[bytes]:
    """Yield ``size``-byte pieces of ``source``; only the final one may be shorter (never empty)."""
    if not isinstance(source, Iterable) or hasattr(source, "read"):
        stream: Readable = source  # type: ignore[assignment]
        while chunk := read_exact(stream, size):
            yield chunk
            if len(chunk) < size:
                return
        return
    buffer = bytearray()
    for piece in source:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise TypeError(f"byte source yielded {type(piece).__name__}, expected bytes")
        buffer += piece
        if len(buffer) >= size:
            view = memoryview(buffer)
            start = 0
            while len(buffer) - start >= size:
                yield bytes(view[start : start + size])
                start += size
            view.release()
            del buffer[:start]
    if buffer:
        yield bytes(buffer)


def with_last_flag(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Pair each chunk with ``True`` for the final one; an empty source gives ``(b"", True)``."""
    iterator = iter(chunks)
    previous = next(iterator, None)
    if previous is None:
        yield b"", True
        return
    for chunk in iterator:
        yield previous, False
        previous = chunk
    yield previous, True


class IterReader:
    """Minimal ``read(size)`` over an iterable of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def read(self, size: int, /) -> bytes:
        """Return up to ``size`` bytes; fewer only at the end of the chunks."""
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def as_readable(source: ByteSource | Readable) -> Readable:
    """View a binary file or an iterable of chunks as a ``Readable``."""
    if hasattr(source, "read"):
        return source  # type: ignore[return-value]
    return IterReader(source)
