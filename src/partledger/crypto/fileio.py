"""File-like and whole-file helpers over the streaming container."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from partledger.crypto.chunking import ByteSource
from partledger.crypto.container_format import DEFAULT_SEGMENT_SIZE
from partledger.crypto.datakey import DataKey
from partledger.crypto.direct_io import atomic_direct_write
from partledger.crypto.stream import DecryptingStream, EncryptingStream

_COPY_CHUNK = 1024 * 1024


class ChunkReader(io.RawIOBase):
    """A read-only binary file over an iterator of byte chunks (e.g. an ``EncryptingStream``)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self.chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None and not self.closed:
            close()
        super().close()


@dataclass(frozen=True, slots=True)
class EncryptionResult:
    """Digests and sizes computed while encrypting (hex SHA-256 strings)."""

    plaintext_sha256: str
    plaintext_size: int
    container_sha256: str
    container_size: int
    key_id: bytes


def encrypting_reader(
    source: ByteSource, dek: DataKey, *, segment_size: int = DEFAULT_SEGMENT_SIZE
) -> ChunkReader:
    """A readable file of container bytes; ``reader.chunks`` holds the digests at EOF."""
    return ChunkReader(EncryptingStream(source, dek, segment_size=segment_size, pipelined=True))


def decrypting_reader(
    source: ByteSource, dek: DataKey, *, expected_sha256: str | None = None
) -> ChunkReader:
    """A readable file of verified plaintext; raises at EOF if the hash does not match."""
    return ChunkReader(
        DecryptingStream(source, dek, expected_sha256=expected_sha256, pipelined=True)
    )


def encrypt_file(
    source: Path, destination: Path, dek: DataKey, *, segment_size: int = DEFAULT_SEGMENT_SIZE
) -> EncryptionResult:
    """Encrypt ``source`` into ``destination`` (written atomically and durably)."""
    with open(source, "rb") as plain, atomic_direct_write(destination, mode=0o644) as out:
        stream = EncryptingStream(plain, dek, segment_size=segment_size, pipelined=True)
        try:
            for chunk in stream:
                out.write(chunk)
        finally:
            stream.close()
    return EncryptionResult(
        plaintext_sha256=stream.plaintext_sha256,
        plaintext_size=stream.plaintext_size,
        container_sha256=stream.container_sha256,
        container_size=stream.container_size,
        key_id=dek.key_id,
    )


def decrypt_to(
    source: ByteSource, destination: Path, dek: DataKey, *, expected_sha256: str | None = None
) -> str:
    """Decrypt a container into ``destination``; it appears only if everything verified.

    Returns the plaintext SHA-256 (hex).
    """
    with atomic_direct_write(destination, mode=0o600) as out:
        stream = DecryptingStream(source, dek, expected_sha256=expected_sha256, pipelined=True)
        try:
            for chunk in stream:
                out.write(chunk)
        finally:
            stream.close()
    return stream.plaintext_sha256


def decrypt_file(
    source: Path, destination: Path, dek: DataKey, *, expected_sha256: str | None = None
) -> str:
    """Decrypt the container file ``source`` into ``destination`` (see ``decrypt_to``)."""
    with open(source, "rb") as container:
        return decrypt_to(container, destination, dek, expected_sha256=expected_sha256)
