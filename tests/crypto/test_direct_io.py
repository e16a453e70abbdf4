"""O_DIRECT writer and reader on real files: byte-exact round trips, fallbacks, errors, threads."""

from __future__ import annotations

import array
import errno
import json
import os
import random
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partledger.crypto.direct_io import (
    ALIGNMENT,
    DEFAULT_BUFFER_SIZE,
    DirectReader,
    DirectWriter,
    atomic_direct_write,
    enable_direct_io,
)

SMALL = 8192
MIB = 1024 * 1024


def _sizes(buffer_size: int) -> list[int]:
    return [
        0,
        1,
        4095,
        4096,
        4097,
        buffer_size - 1,
        buffer_size,
        buffer_size + 1,
        3 * buffer_size + 123,
    ]


SIZE_CASES = [
    pytest.param(buffer_size, size, id=f"buf{buffer_size}-size{size}")
    for buffer_size in (SMALL, 4 * SMALL, DEFAULT_BUFFER_SIZE)
    for size in dict.fromkeys(_sizes(buffer_size))
]


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(size * 1_000_003 + seed).randbytes(size)


def _chunks(data: bytes, pattern: tuple[int, ...]) -> Iterator[bytes]:
    position, index = 0, 0
    while position < len(data):
        step = pattern[index % len(pattern)]
        yield data[position : position + step]
        position += step
        index += 1


def _direct_works_in(directory: Path) -> bool:
    fd, name = tempfile.mkstemp(dir=directory)
    try:
        return enable_direct_io(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def _new_threads(before: set[threading.Thread], name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t not in before and t.is_alive()]


def _write_file(
    path: Path, chunks: Iterator[bytes], *, buffer_size: int, direct: bool = True
) -> tuple[int, bool]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        writer = DirectWriter(fd, buffer_size=buffer_size, direct=direct)
        started_direct = writer.direct
        try:
            written = sum(writer.write(chunk) for chunk in chunks)
            writer.finish()
        finally:
            writer.abort()
        assert writer.size == written
        os.fstat(fd)  # the writer leaves the descriptor open
    finally:
        os.close(fd)
    return written, started_direct


@pytest.fixture
def shm_dir() -> Iterator[Path]:
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as name:
        yield Path(name)


# --- DirectWriter -------------------------------------------------------------------------


@pytest.mark.parametrize(("buffer_size", "size"), SIZE_CASES)
def test_writer_round_trips_byte_exact_and_trims_the_padding(
    tmp_path: Path, buffer_size: int, size: int
) -> None:
    data = _data(size)
    patterns: list[tuple[int, ...]] = [(1000, 70000, 1), (70000,), (4096,)]
    if size <= 5 * SMALL:
        patterns.append((1,))
    direct_possible = _direct_works_in(tmp_path)
    for number, pattern in enumerate(patterns):
        path = tmp_path / f"out{number}.bin"
        written, started_direct = _write_file(path, _chunks(data, pattern), buffer_size=buffer_size)
        assert written == size
        assert started_direct is direct_possible
        assert path.stat().st_size == size
        assert path.read_bytes() == data


@pytest.mark.parametrize("size", [0, 1, 4097, SMALL, 3 * SMALL + 123])
def test_buffered_fallback_writes_the_same_bytes(tmp_path: Path, shm_dir: Path, size: int) -> None:
    data = _data(size)
    pattern = (1000, 70000, 1)
    direct_path = tmp_path / "direct.bin"
    buffered_path = tmp_path / "buffered.bin"
    shm_path = shm_dir / "shm.bin"
    _write_file(direct_path, _chunks(data, pattern), buffer_size=SMALL)
    written, started_direct = _write_file(
        buffered_path, _chunks(data, pattern), buffer_size=SMALL, direct=False
    )
    assert written == size and started_direct is False
    # tmpfs refuses O_DIRECT on older kernels and accepts it on newer ones: either way
    # the writer must say which it used and write the same bytes.
    _, shm_direct = _write_file(shm_path, _chunks(data, pattern), buffer_size=SMALL)
    assert shm_direct is _direct_works_in(shm_dir)
    for path in (direct_path, buffered_path, shm_path):
        assert path.stat().st_size == size
        assert path.read_bytes() == data


def test_writer_accepts_bytearray_and_memoryviews_of_any_format(tmp_path: Path) -> None:
    words = array.array("H", range(5000))
    data = _data(3 * SMALL + 5)
    expected = b"abc" + words.tobytes() + data[100:9000] + bytes(bytearray(b"xyz"))
    path = tmp_path / "mixed.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with DirectWriter(fd, buffer_size=SMALL) as writer:
            assert writer.write(b"abc") == 3
            assert writer.write(memoryview(words)) == len(words) * words.itemsize
            assert writer.write(memoryview(data)[100:9000]) == 8900
            assert writer.write(b"") == 0
            assert writer.write(bytearray(b"xyz")) == 3
    finally:
        os.close(fd)
    assert path.read_bytes() == expected


@pytest.mark.parametrize("buffer_size", [0, -ALIGNMENT, 1000, ALIGNMENT + 1])
def test_writer_refuses_a_buffer_size_that_is_not_a_multiple_of_the_alignment(
    tmp_path: Path, buffer_size: int
) -> None:
    before = set(threading.enumerate())
    with open(tmp_path / "x", "wb") as handle, pytest.raises(ValueError):
        DirectWriter(handle.fileno(), buffer_size=buffer_size)
    assert _new_threads(before, "pl-direct-write") == []


def test_no_writer_thread_outlives_finish_or_abort(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    data = _data(5 * SMALL + 7)
    with open(tmp_path / "finished", "wb") as handle:
        writer = DirectWriter(handle.fileno(), buffer_size=SMALL, depth=2)
        assert len(_new_threads(before, "pl-direct-write")) == 1
        writer.write(data)
        writer.finish()
        assert _new_threads(before, "pl-direct-write") == []
        writer.finish()  # a second finish is a no-op
        writer.abort()
    with open(tmp_path / "aborted", "wb") as handle:
        writer = DirectWriter(handle.fileno(), buffer_size=SMALL)
        writer.write(data)
        writer.abort()
        assert _new_threads(before, "pl-direct-write") == []
    with (
        open(tmp_path / "context", "wb") as handle,
        pytest.raises(RuntimeError),
        DirectWriter(handle.fileno(), buffer_size=SMALL) as writer,
    ):
        writer.write(data)
        raise RuntimeError("producer failed")
    assert _new_threads(before, "pl-direct-write") == []
    assert (tmp_path / "finished").read_bytes() == data


def _in_thread(call: Callable[[], object], timeout: float = 2.0) -> BaseException | None:
    """Run ``call`` in a daemon thread; return what it raised (fail if it hangs)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, f"{call} hung"
    return outcome[0]


@pytest.mark.parametrize("end", ["finish", "abort"])
def test_writing_after_finish_or_abort_raises_instead_of_hanging(tmp_path: Path, end: str) -> None:
    with open(tmp_path / "x", "wb") as handle:
        writer = DirectWriter(handle.fileno(), buffer_size=SMALL)
        writer.write(b"data")
        getattr(writer, end)()
        assert isinstance(_in_thread(lambda: writer.write(b"more")), ValueError)


# --- DirectReader -------------------------------------------------------------------------


def _read_with_sizes(reader: DirectReader, sizes: list[int]) -> bytes:
    parts: list[bytes] = []
    index = 0
    while chunk := reader.read(sizes[index % len(sizes)]):
        assert len(chunk) <= sizes[index % len(sizes)]
        parts.append(chunk)
        index += 1
    return b"".join(parts)


def _assert_at_eof(reader: DirectReader) -> None:
    assert reader.read(10) == b""
    assert reader.read(10) == b""
    assert reader.readinto(bytearray(10)) == 0
    assert reader.readall() == b""
    assert reader.read() == b""


@pytest.mark.parametrize(("buffer_size", "size"), SIZE_CASES)
def test_reader_round_trips_with_any_read_sizes(
    tmp_path: Path, buffer_size: int, size: int
) -> None:
    data = _data(size)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    read_patterns = [
        [1, 4095, buffer_size - 1, buffer_size + 1, 7],
        [buffer_size + 4096 + 3],
        [3 * buffer_size + 200],
        [70000, 1000],
    ]
    for pattern in read_patterns:
        with DirectReader(path, buffer_size=buffer_size) as reader:
            assert _read_with_sizes(reader, pattern) == data
            _assert_at_eof(reader)
    read_alls: list[Callable[[DirectReader], bytes]] = [
        lambda r: r.readall(),
        lambda r: r.read(),
        lambda r: r.read(-1),
        lambda r: r.read(None),
    ]
    for read_all in read_alls:
        with DirectReader(path, buffer_size=buffer_size, depth=1) as reader:
            assert read_all(reader) == data
            _assert_at_eof(reader)
    for target_size in (1000, buffer_size - 1, buffer_size + 1, 2 * buffer_size + 4096):
        with DirectReader(path, buffer_size=buffer_size) as reader:
            target = bytearray(target_size)
            parts = []
            while count := reader.readinto(memoryview(target)):
                assert 0 < count <= target_size
                parts.append(bytes(target[:count]))
            assert b"".join(parts) == data
            _assert_at_eof(reader)


def test_reader_mixes_read_readinto_and_readall(tmp_path: Path) -> None:
    data = _data(5 * SMALL + 11)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    with DirectReader(path, buffer_size=SMALL) as reader:
        assert reader.readable() and reader.fileno() >= 0
        assert reader.read(0) == b""
        head = reader.read(SMALL - 3)
        target = bytearray(SMALL)
        count = reader.readinto(target)
        rest = reader.readall()
        assert head + bytes(target[:count]) + rest == data
        _assert_at_eof(reader)
    assert reader.closed


def test_reader_of_a_file_written_by_the_writer(tmp_path: Path) -> None:
    data = _data(3 * SMALL + 123)
    path = tmp_path / "both.bin"
    _write_file(path, _chunks(data, (1000, 70000, 1)), buffer_size=SMALL)
    with DirectReader(path, buffer_size=2 * SMALL) as reader:
        assert _read_with_sizes(reader, [4097, 1]) == data


def test_reader_on_tmpfs_reads_the_same_bytes(shm_dir: Path) -> None:
    data = _data(3 * SMALL + 123)
    path = shm_dir / "in.bin"
    path.write_bytes(data)
    with DirectReader(path, buffer_size=SMALL) as reader:
        assert _read_with_sizes(reader, [1000, 70000, 1]) == data


def test_closing_a_reader_early_is_prompt_and_stops_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "large.bin"
    data = _data(MIB)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.truncate(2 * 1024 * MIB)  # sparse: reading it all would take seconds
    before = set(threading.enumerate())
    reader = DirectReader(path, buffer_size=ALIGNMENT, depth=3)
    assert len(_new_threads(before, "pl-direct-read")) == 1
    assert reader.read(100_000) == data[:100_000]
    time.sleep(0.05)  # let the prefetcher fill every buffer and block
    started = time.monotonic()
    reader.close()
    assert time.monotonic() - started < 1.0
    assert reader.closed
    assert _new_threads(before, "pl-direct-read") == []
    reader.close()  # idempotent
    with pytest.raises(OSError):
        os.fstat(reader.fd)


def test_a_reader_left_unread_closes_promptly(tmp_path: Path) -> None:
    path = tmp_path / "large.bin"
    path.write_bytes(_data(MIB))
    before = set(threading.enumerate())
    started = time.monotonic()
    with DirectReader(path, buffer_size=SMALL, depth=2):
        pass
    assert time.monotonic() - started < 1.0
    assert _new_threads(before, "pl-direct-read") == []


def test_reading_a_closed_reader_raises_instead_of_returning_eof(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(_data(10 * SMALL))
    reader = DirectReader(path, buffer_size=SMALL)
    reader.read(10)
    reader.close()
    assert isinstance(_in_thread(lambda: reader.read(10)), ValueError)
    assert isinstance(_in_thread(lambda: reader.readinto(bytearray(10))), ValueError)


def test_a_missing_file_raises_file_not_found_and_starts_no_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with pytest.raises(FileNotFoundError):
        DirectReader(tmp_path / "absent.bin")
    assert _new_threads(before, "pl-direct-read") == []


def test_reader_refuses_a_buffer_size_that_is_not_a_multiple_of_the_alignment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(_data(3 * SMALL))
    before = set(threading.enumerate())
    for buffer_size in (0, 1000, ALIGNMENT + 1):
        with pytest.raises(ValueError):
            DirectReader(path, buffer_size=buffer_size)
    assert _new_threads(before, "pl-direct-read") == []


# --- errors and atomic_direct_write -------------------------------------------------------


_RLIMIT_SCRIPT = """
import json, os, resource, signal, sys
from pathlib import Path
from partledger.crypto.direct_io import DirectWriter, atomic_direct_write

directory = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))
results = {}

def attempt(name, run):
    try:
        where = run()
    except OSError as exc:
        results[name] = {"errno": exc.errno, "raised_by": getattr(exc, "raised_by", "?")}
    else:
        results[name] = {"errno": None, "raised_by": where}

def direct_writer(buffer_size, chunk, count, direct):
    def run():
        fd = os.open(directory / f"w{buffer_size}-{chunk}-{direct}", os.O_WRONLY | os.O_CREAT)
        writer = DirectWriter(fd, buffer_size=buffer_size, direct=direct)
        try:
            stage = "write"
            try:
                for _ in range(count):
                    writer.write(os.urandom(chunk))
                stage = "finish"
                writer.finish()
            except OSError as exc:
                exc.raised_by = stage
                raise
        finally:
            writer.abort()
            os.close(fd)
        return "nothing"
    return run

for direct in (True, False):
    # many full buffers: the error comes back through a later write()
    attempt(f"write-{direct}", direct_writer(64 * 1024, 100_000, 40, direct))
    # everything staged in one buffer: only finish() can report it
    attempt(f"finish-{direct}", direct_writer(2 * 1024 * 1024, 1_500_000, 1, direct))

def atomic(size):
    def run():
        with atomic_direct_write(directory / f"atomic-{size}.bin") as out:
            out.write(os.urandom(size))
        return "nothing"
    return run

attempt("atomic-large", atomic(4 * 1024 * 1024))
attempt("atomic-finish", atomic(1_500_000))
print(json.dumps(results))
"""


def test_a_real_write_error_from_the_kernel_is_raised_not_lost(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_RLIMIT_SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results = json.loads(result.stdout)
    for direct in (True, False):
        assert results[f"write-{direct}"] == {"errno": errno.EFBIG, "raised_by": "write"}
        assert results[f"finish-{direct}"] == {"errno": errno.EFBIG, "raised_by": "finish"}
    assert results["atomic-large"]["errno"] == errno.EFBIG
    assert results["atomic-finish"]["errno"] == errno.EFBIG
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert not [name for name in leftovers if name.startswith((".atomic", "atomic"))], leftovers


def test_atomic_direct_write_publishes_only_when_the_block_completes(tmp_path: Path) -> None:
    target = tmp_path / "design.bin"
    data = _data(DEFAULT_BUFFER_SIZE + 4097)
    before = set(threading.enumerate())
    with atomic_direct_write(target, mode=0o600) as out:
        out.write(data[:1000])
        out.write(data[1000:])
        assert not target.exists()
        assert len(list(tmp_path.iterdir())) == 1  # only the temp file
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [target]
    assert _new_threads(before, "pl-direct-write") == []

    public = tmp_path / "public.bin"
    with atomic_direct_write(public, mode=0o644) as out:
        pass
    assert public.read_bytes() == b""
    assert stat.S_IMODE(public.stat().st_mode) == 0o644


def test_atomic_direct_write_leaves_nothing_after_an_error_in_the_block(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    target = tmp_path / "new.bin"
    with pytest.raises(RuntimeError), atomic_direct_write(target) as out:
        out.write(_data(3 * DEFAULT_BUFFER_SIZE))
        raise RuntimeError("source failed")
    assert list(tmp_path.iterdir()) == []

    existing = tmp_path / "existing.bin"
    existing.write_bytes(b"old content")
    with pytest.raises(KeyboardInterrupt), atomic_direct_write(existing) as out:
        out.write(_data(5000))
        raise KeyboardInterrupt
    assert existing.read_bytes() == b"old content"
    assert list(tmp_path.iterdir()) == [existing]
    assert _new_threads(before, "pl-direct-write") == []


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    chunk_sizes=st.lists(
        st.one_of(st.integers(0, 64), st.integers(4090, 4100), st.integers(0, 40_000)),
        max_size=10,
    ),
    read_sizes=st.lists(st.integers(1, 40_000), min_size=1, max_size=6),
    writer_pages=st.integers(1, 4),
    reader_pages=st.integers(1, 4),
    depth=st.integers(1, 3),
    direct=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_chunks_round_trip_through_writer_and_reader(
    chunk_sizes: list[int],
    read_sizes: list[int],
    writer_pages: int,
    reader_pages: int,
    depth: int,
    direct: bool,
    seed: int,
) -> None:
    rng = random.Random(seed)
    chunks = [rng.randbytes(size) for size in chunk_sizes]
    data = b"".join(chunks)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "blob.bin"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with DirectWriter(
                fd, buffer_size=writer_pages * ALIGNMENT, depth=depth, direct=direct
            ) as writer:
                for chunk in chunks:
                    assert writer.write(chunk) == len(chunk)
            assert writer.size == len(data)
        finally:
            os.close(fd)
        assert path.stat().st_size == len(data)
        with DirectReader(path, buffer_size=reader_pages * ALIGNMENT, depth=depth) as reader:
            assert _read_with_sizes(reader, read_sizes) == data
            _assert_at_eof(reader)
