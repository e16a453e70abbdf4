"""Sequential durable file writes that bypass the page cache (``O_DIRECT``), in a thread.

A buffered write copies every byte into the page cache, and the kernel's writeback
then spends a second pass of CPU pushing it to the device; on a 2-core machine that
CPU is taken from the hashing and encryption stages. ``DirectWriter`` instead copies
the caller's chunks into page-aligned staging buffers and a worker thread writes
each full buffer with ``O_DIRECT`` (DMA from the buffer, no page-cache copy), so the
write overlaps the producer. Measured here with ``dd``: 1 GiB with ``oflag=direct``
cost 0.1 s of system CPU, a buffered copy with fsync 0.3-1.3 s.

Where ``O_DIRECT`` is refused (tmpfs, some network filesystems, non-Linux) the same
class writes buffered; either way ``finish`` ends with ``fsync``.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from partledger.crypto.atomic_file import atomic_fd

ALIGNMENT = 4096
DEFAULT_BUFFER_SIZE = 2 * 1024 * 1024
DEFAULT_DEPTH = 3


def enable_direct_io(fd: int) -> bool:
    """Switch ``fd`` to ``O_DIRECT``; return whether the filesystem accepted it."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return False
    import fcntl

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | flag)
    except OSError:
        return False
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & flag)


def _disable_direct_io(fd: int) -> None:
    import fcntl

    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~getattr(os, "O_DIRECT", 0))


class DirectWriter:
    """Write a new file sequentially through aligned buffers; ``finish`` makes it durable.

    ``fd`` must be an empty file opened for writing at offset 0; the writer does not
    close it. Errors of the worker's writes (``OSError``, e.g. ENOSPC or EFBIG) are
    raised by the next ``write`` or by ``finish``. Memory: ``depth`` buffers.
    """

    def __init__(
        self,
        fd: int,
        *,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        depth: int = DEFAULT_DEPTH,
        direct: bool = True,
    ) -> None:
        if buffer_size % ALIGNMENT or buffer_size <= 0:
            raise ValueError(f"buffer_size must be a positive multiple of {ALIGNMENT}")
        self.fd = fd
        self.direct = direct and enable_direct_io(fd)
        self.size = 0
        self._buffer_size = buffer_size
        self._free: queue.Queue[mmap.mmap] = queue.Queue()
        for _ in range(max(2, depth)):
            self._free.put(mmap.mmap(-1, buffer_size))
        self._full: queue.Queue[tuple[mmap.mmap, int] | None] = queue.Queue()
        self._current: mmap.mmap | None = None
        self._filled = 0
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pl-direct-write", daemon=True)
        self._thread.start()

    def __enter__(self) -> DirectWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Queue ``data`` for writing (copied into the staging buffers)."""
        if self._closed:
            raise ValueError("write to a finished or aborted DirectWriter")
        self._raise_pending()
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            if self._current is None:
                self._current = self._take_free()
                self._filled = 0
            room = self._buffer_size - self._filled
            step = min(room, len(view))
            self._current[self._filled : self._filled + step] = view[:step]
            self._filled += step
            view = view[step:]
            if self._filled == self._buffer_size:
                self._submit()
        self.size += total
        return total

    def finish(self) -> None:
        """Write what is staged, trim the alignment padding, ``fsync``; then stop the worker."""
        if self._closed:
            return
        if self._current is not None and self._filled:
            self._submit()
        self._stop()
        self._raise_pending()
        os.ftruncate(self.fd, self.size)
        os.fsync(self.fd)

    def abort(self) -> None:
        """Stop the worker without making anything durable (the caller removes the file)."""
        if not self._closed:
            self._stop()

    def _take_free(self) -> mmap.mmap:
        while True:
            try:
                return self._free.get(timeout=0.1)
            except queue.Empty:
                self._raise_pending()

    def _submit(self) -> None:
        assert self._current is not None
        self._full.put((self._current, self._filled))
        self._current = None
        self._filled = 0

    def _stop(self) -> None:
        self._closed = True
        self._full.put(None)
        self._thread.join()
        while not self._free.empty():
            self._free.get_nowait().close()

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, length = item
            try:
                if self._error is None:
                    self._write_all(buffer, length)
            except BaseException as exc:
                self._error = exc
            finally:
                self._free.put(buffer)

    def _write_all(self, buffer: mmap.mmap, length: int) -> None:
        # O_DIRECT needs aligned lengths: pad the final buffer with zeros; finish()
        # truncates the file back to the bytes actually written.
        padded = length
        if self.direct and length % ALIGNMENT:
            padded = length + ALIGNMENT - length % ALIGNMENT
            buffer[length:padded] = bytes(padded - length)
        view = memoryview(buffer)[:padded]
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
                if view and self.direct and written % ALIGNMENT:
                    _disable_direct_io(self.fd)
                    self.direct = False
        finally:
            view.release()


class DirectReader(io.RawIOBase):
    """A read-only file that prefetches ``path`` with ``O_DIRECT`` in a worker thread.

    Reading a file that is not in the page cache with buffered reads cost here
    1-2 s of system CPU per GiB; ``O_DIRECT`` reads into aligned buffers cost about
    0.05 s and run ahead of the consumer. Where ``O_DIRECT`` is refused it reads
    buffered, still ahead of the consumer. Memory: ``depth`` buffers.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        if buffer_size % ALIGNMENT or buffer_size <= 0:
            raise ValueError(f"buffer_size must be a positive multiple of {ALIGNMENT}")
        super().__init__()
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self.direct = enable_direct_io(self.fd)
        self._buffer_size = buffer_size
        self._free: queue.Queue[mmap.mmap] = queue.Queue()
        for _ in range(max(2, depth)):
            self._free.put(mmap.mmap(-1, buffer_size))
        self._ready: queue.Queue[tuple[mmap.mmap, int] | BaseException | None] = queue.Queue()
        self._stopping = threading.Event()
        self._current: mmap.mmap | None = None
        self._start = 0
        self._end = 0
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="pl-direct-read", daemon=True)
        self._thread.start()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        while self._start == self._end:
            if not self._next_buffer():
                return 0
        assert self._current is not None
        step = min(len(target), self._end - self._start)
        target[:step] = self._current[self._start : self._start + step]
        self._start += step
        return step

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (all remaining with -1); short only at end of file."""
        if size is None or size < 0:
            return self.readall()
        parts: list[bytes] = []
        missing = size
        while missing:
            if self._start == self._end and not self._next_buffer():
                break
            assert self._current is not None
            step = min(missing, self._end - self._start)
            parts.append(self._current[self._start : self._start + step])
            self._start += step
            missing -= step
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readall(self) -> bytes:
        """Everything up to the end of the file."""
        chunks = []
        while chunk := self.read(self._buffer_size):
            chunks.append(chunk)
        return b"".join(chunks)

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        """Stop the prefetching thread and close the file."""
        if self.closed:
            return
        self._stopping.set()
        self._recycle()
        while self._thread.is_alive():
            try:
                item = self._ready.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(item, tuple):
                self._free.put(item[0])
        self._thread.join()
        os.close(self.fd)
        super().close()

    def _recycle(self) -> None:
        if self._current is not None:
            self._free.put(self._current)
            self._current = None
        self._start = self._end = 0

    def _next_buffer(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        self._recycle()
        if self._eof:
            return False
        item = self._ready.get()
        if item is None:
            self._eof = True
            return False
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        self._current, self._end = item
        return True

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    buffer = self._free.get(timeout=0.05)
                except queue.Empty:
                    continue
                length = self._fill(buffer)
                if length:
                    self._ready.put((buffer, length))
                else:
                    self._free.put(buffer)
                if length < self._buffer_size:
                    break
            self._ready.put(None)
        except BaseException as exc:
            self._ready.put(exc)

    def _fill(self, buffer: mmap.mmap) -> int:
        filled = 0
        view = memoryview(buffer)
        try:
            while filled < self._buffer_size:
                count = os.readv(self.fd, [view[filled:]])
                if count == 0:
                    break
                filled += count
                if self.direct and filled % ALIGNMENT and filled < self._buffer_size:
                    # A short direct read (end of file, or an unaligned stop): carry
                    # on buffered so the next offset needs no alignment.
                    _disable_direct_io(self.fd)
                    self.direct = False
        finally:
            view.release()
        return filled


@contextlib.contextmanager
def atomic_direct_write(path: Path, *, mode: int = 0o600) -> Iterator[DirectWriter]:
    """``atomic_write`` through a ``DirectWriter``: ``path`` appears complete or not at all."""
    with atomic_fd(path, mode=mode) as fd, DirectWriter(fd) as writer:
        yield writer
