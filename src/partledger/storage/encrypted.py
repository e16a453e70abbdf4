"""Encrypt a design file straight into a ``BlobStore`` in one pipelined pass, and back."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from partledger.crypto import DataKey, DecryptingStream, EncryptingStream
from partledger.crypto.chunking import ByteSource
from partledger.crypto.container_format import DEFAULT_SEGMENT_SIZE
from partledger.crypto.direct_io import atomic_direct_write
from partledger.crypto.errors import ContainerError
from partledger.storage.blob_store import BlobStore
from partledger.storage.errors import BlobCorruptedError


@dataclass(frozen=True, slots=True)
class StoredDesign:
    """Result of ``store_encrypted``: what goes on-chain, plus the DEK to wrap."""

    plaintext_sha256: str
    plaintext_size: int
    container_sha256: str
    container_size: int
    dek: DataKey = field(repr=False)


def store_encrypted(
    store: BlobStore,
    source: ByteSource | Path,
    *,
    dek: DataKey | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    max_bytes: int | None = None,
) -> StoredDesign:
    """Encrypt ``source`` (path, binary file or chunk iterable) into ``store``.

    Reading + plaintext hashing, encryption, and container hashing + writing run
    as overlapping stages with bounded queues. A fresh DEK is drawn unless given.
    """
    dek = dek or DataKey.generate()
    if isinstance(source, Path):
        with open(source, "rb") as plain:
            return _store(store, plain, dek, segment_size, max_bytes)
    return _store(store, source, dek, segment_size, max_bytes)


def _store(
    store: BlobStore,
    source: ByteSource,
    dek: DataKey,
    segment_size: int,
    max_bytes: int | None,
) -> StoredDesign:
    stream = EncryptingStream(
        source, dek, segment_size=segment_size, hash_container=False, pipelined=True
    )
    try:
        info = store.put(stream, max_bytes=max_bytes)
    finally:
        stream.close()
    return StoredDesign(
        plaintext_sha256=stream.plaintext_sha256,
        plaintext_size=stream.plaintext_size,
        container_sha256=info.sha256,
        container_size=info.size,
        dek=dek,
    )


def retrieve_decrypted(
    store: BlobStore,
    container_sha256: str,
    dek: DataKey,
    destination: Path | BinaryIO,
    *,
    expected_plaintext_sha256: str | None,
    verify_container: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> str:
    """Decrypt a stored container into ``destination`` and return the plaintext SHA-256.

    A ``Path`` destination is written atomically: it exists only if every segment
    authenticated, the plaintext hash matched and (with ``verify_container``) the
    stored bytes still hash to ``container_sha256`` - all checked in the same single
    read of the blob. Pass the expected hash from the chain; ``None`` skips that check
    (segments are still authenticated). ``on_progress(n)`` is called (from a worker
    thread) as container bytes are read.
    """
    with store.open(container_sha256) as blob:
        reader = _HashingReader(blob, on_progress)
        try:
            return _decrypt(reader, container_sha256, dek, destination,
                            expected_plaintext_sha256, verify_container)  # fmt: skip
        except ContainerError as exc:
            # A container that fails to decrypt may simply have changed in the store:
            # then say so (the blob no longer matches its id), the cause attached.
            if verify_container:
                reader.check(container_sha256, cause=exc)
            raise


def _decrypt(
    reader: _HashingReader,
    container_sha256: str,
    dek: DataKey,
    destination: Path | BinaryIO,
    expected_plaintext_sha256: str | None,
    verify_container: bool,
) -> str:
    stream = DecryptingStream(
        reader, dek, expected_sha256=expected_plaintext_sha256, pipelined=True
    )
    try:
        if isinstance(destination, Path):
            with atomic_direct_write(destination, mode=0o600) as out:
                for chunk in stream:
                    out.write(chunk)
                if verify_container:
                    reader.check(container_sha256)
        else:
            for chunk in stream:
                destination.write(chunk)
            if verify_container:
                reader.check(container_sha256)
    finally:
        stream.close()
    return stream.plaintext_sha256


class _HashingReader:
    """Hash (and count) a blob's bytes as the decrypting pipeline reads them."""

    def __init__(self, raw: BinaryIO, on_progress: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_progress = on_progress
        self._digest = hashlib.sha256()

    def read(self, size: int, /) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        if self._on_progress is not None and data:
            self._on_progress(len(data))
        return data

    def check(self, sha256: str, *, cause: BaseException | None = None) -> None:
        """Read to the end; raise ``BlobCorruptedError`` unless it all hashes to ``sha256``."""
        # Bytes not read yet (after a decryption error, or trailing) count too.
        while self.read(1 << 20):
            continue
        actual = self._digest.hexdigest()
        if actual != sha256:
            raise BlobCorruptedError(f"blob {sha256} hashes to {actual}") from cause
