"""Encrypt a design file straight into a ``BlobStore`` in one pipelined pass, and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from partledger.crypto import DataKey, DecryptingStream, EncryptingStream
from partledger.crypto.chunking import ByteSource
from partledger.crypto.container_format import DEFAULT_SEGMENT_SIZE
from partledger.crypto.direct_io import atomic_direct_write
from partledger.storage.blob_store import BlobStore


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
) -> str:
    """Decrypt a stored container into ``destination`` and return the plaintext SHA-256.

    A ``Path`` destination is written atomically: it exists only if every segment
    authenticated and the plaintext hash matched. Pass the expected hash from the
    chain; ``None`` skips that check (segments are still authenticated).
    """
    with store.open(container_sha256) as blob:
        stream = DecryptingStream(
            blob, dek, expected_sha256=expected_plaintext_sha256, pipelined=True
        )
        try:
            if isinstance(destination, Path):
                with atomic_direct_write(destination, mode=0o600) as out:
                    for chunk in stream:
                        out.write(chunk)
            else:
                for chunk in stream:
                    destination.write(chunk)
        finally:
            stream.close()
    return stream.plaintext_sha256
