"""Streaming encryption and decryption of containers, optionally as a threaded pipeline."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from partledger.crypto.allocator import keep_large_buffers_on_heap
from partledger.crypto.chunking import (
    ByteSource,
    Readable,
    as_readable,
    fixed_chunks,
    read_exact,
    with_last_flag,
)
from partledger.crypto.container_format import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    MAX_SEGMENTS,
    TAG_SIZE,
    ContainerHeader,
    check_segment_size,
)
from partledger.crypto.datakey import DataKey
from partledger.crypto.errors import (
    ContainerFormatError,
    PlaintextHashMismatchError,
    TruncatedContainerError,
)
from partledger.crypto.pipeline import background
from partledger.crypto.segments import SegmentDecryptor, SegmentEncryptor

_QUEUE_DEPTH = 4


class _Digest:
    """A running SHA-256 and byte count."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.hash.update(data)
        self.size += len(data)


class EncryptingStream(Iterator[bytes]):
    """Iterate over container bytes (header, then sealed segments) for a plaintext source.

    In one pass it hashes the plaintext and (unless ``hash_container`` is false) the
    container; the digests are available once the iterator is exhausted. With
    ``pipelined`` the read+hash and encrypt stages run in worker threads behind
    bounded queues, so memory stays at a few segments whatever the size.
    """

    def __init__(
        self,
        source: ByteSource,
        dek: DataKey,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        hash_container: bool = True,
        pipelined: bool = False,
        encryptor: SegmentEncryptor | None = None,
    ) -> None:
        check_segment_size(segment_size)
        keep_large_buffers_on_heap()
        self._encryptor = encryptor or SegmentEncryptor(dek, segment_size)
        self.header = self._encryptor.header
        self._plain = _Digest()
        self._container: _Digest | None = _Digest() if hash_container else None
        self._done = False
        segments = self._read(source)
        if pipelined:
            segments = background(segments, maxsize=_QUEUE_DEPTH, name="pl-read")
            self._chunks = background(self._seal(segments), maxsize=_QUEUE_DEPTH, name="pl-seal")
        else:
            self._chunks = self._seal(segments)

    def _read(self, source: ByteSource) -> Iterator[tuple[int, bytes, bool]]:
        chunks = fixed_chunks(source, self.header.segment_size)
        for index, (chunk, last) in enumerate(with_last_flag(chunks)):
            if index >= MAX_SEGMENTS:
                raise ContainerFormatError("plaintext too large for the segment counter")
            self._plain.update(chunk)
            yield index, chunk, last

    def _seal(self, segments: Iterator[tuple[int, bytes, bool]]) -> Iterator[bytes]:
        yield self._encryptor.header_bytes
        for index, chunk, last in segments:
            yield self._encryptor.seal(index, chunk, last)

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._done = True
            raise
        if self._container is not None:
            self._container.update(chunk)
        return chunk

    def close(self) -> None:
        """Stop the pipeline early (worker threads exit)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

    def _finished(self) -> None:
        if not self._done:
            raise RuntimeError("digests are available once the stream is exhausted")

    @property
    def plaintext_sha256(self) -> str:
        """Lowercase hex SHA-256 of the plaintext."""
        self._finished()
        return self._plain.hash.hexdigest()

    @property
    def plaintext_size(self) -> int:
        """Plaintext length in bytes."""
        self._finished()
        return self._plain.size

    @property
    def container_sha256(self) -> str:
        """Lowercase hex SHA-256 of the container bytes."""
        self._finished()
        if self._container is None:
            raise RuntimeError("container hashing was disabled")
        return self._container.hash.hexdigest()

    @property
    def container_size(self) -> int:
        """Container length in bytes."""
        self._finished()
        return (
            HEADER_SIZE
            + self.plaintext_size
            + TAG_SIZE * max(1, -(-self.plaintext_size // self.header.segment_size))
        )


class DecryptingStream(Iterator[bytes]):
    """Iterate over the verified plaintext segments of a container.

    Each segment is authenticated before it is yielded. With ``expected_sha256``
    the final segment is held back until the plaintext hash matches, so a caller
    never receives a complete plaintext with the wrong hash.
    """

    def __init__(
        self,
        source: ByteSource | Readable,
        dek: DataKey,
        *,
        expected_sha256: str | None = None,
        pipelined: bool = False,
    ) -> None:
        keep_large_buffers_on_heap()
        self._expected = expected_sha256.lower() if expected_sha256 is not None else None
        self._plain = _Digest()
        self._done = False
        stream = as_readable(source)
        header = ContainerHeader.from_bytes(read_exact(stream, HEADER_SIZE))
        self.header = header
        self._decryptor = SegmentDecryptor(dek, header)
        segments = self._read(stream)
        if pipelined:
            segments = background(segments, maxsize=_QUEUE_DEPTH, name="pl-read")
            opened = background(self._open(segments), maxsize=_QUEUE_DEPTH, name="pl-open")
            self._chunks = background(self._hash(opened), maxsize=_QUEUE_DEPTH, name="pl-hash")
        else:
            self._chunks = self._hash(self._open(segments))

    def _read(self, stream: Readable) -> Iterator[tuple[int, bytes, bool]]:
        size = self.header.segment_size + TAG_SIZE
        current = read_exact(stream, size)
        if not current:
            raise TruncatedContainerError("container truncated: no segment after the header")
        index = 0
        while True:
            following = read_exact(stream, size) if len(current) == size else b""
            yield index, current, not following
            if not following:
                return
            index += 1
            if index >= MAX_SEGMENTS:
                raise ContainerFormatError("container has too many segments")
            current = following

    def _open(self, segments: Iterator[tuple[int, bytes, bool]]) -> Iterator[tuple[bytes, bool]]:
        for index, ciphertext, last in segments:
            yield self._decryptor.open(index, ciphertext, last), last

    def _hash(self, opened: Iterator[tuple[bytes, bool]]) -> Iterator[tuple[bytes, bool]]:
        # The final segment is released only after the plaintext hash has been checked.
        for plaintext, last in opened:
            self._plain.update(plaintext)
            if last:
                self._check_hash()
            yield plaintext, last

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        plaintext, last = next(self._chunks)
        if last:
            self._done = True
            self.close()
        return plaintext

    def _check_hash(self) -> None:
        actual = self._plain.hash.hexdigest()
        if self._expected is not None and actual != self._expected:
            raise PlaintextHashMismatchError(expected=self._expected, actual=actual)

    def close(self) -> None:
        """Stop the pipeline early (worker threads exit)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

    @property
    def plaintext_sha256(self) -> str:
        """Lowercase hex SHA-256 of the plaintext (after exhaustion)."""
        if not self._done:
            raise RuntimeError("the digest is available once the stream is exhausted")
        return self._plain.hash.hexdigest()

    @property
    def plaintext_size(self) -> int:
        """Plaintext length in bytes (after exhaustion)."""
        if not self._done:
            raise RuntimeError("the size is available once the stream is exhausted")
        return self._plain.size
