"""Quarantine: take a blob out of the store without ever destroying it, and put it back.

A quarantined blob is copied aside with a note saying why and when, then removed from
the store; ``restore`` verifies the bytes still hash to their name before putting them
back. Where it is kept follows the store (:func:`open_quarantine`): a filesystem store's
quarantine is a directory, ``<dir>/<sha256>`` and ``<dir>/<sha256>.json``
(:class:`DirectoryQuarantine`); an S3 store's is in its bucket, ``<prefix>/.quarantine/
<sha256>`` and ``<sha256>.json`` (:class:`BucketQuarantine`), so every replica sharing the
bucket sees the same quarantine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from partledger.errors import PartLedgerError
from partledger.storage import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobStore,
    S3BlobStore,
    check_blob_id,
)

QUARANTINE_PREFIX = ".quarantine/"
"""Where an S3 store's quarantine lives, under the store's prefix (``list()`` skips it)."""


class QuarantineError(PartLedgerError, LookupError):
    """The blob is not in quarantine (or its bytes no longer match its name)."""


@dataclass(frozen=True)
class QuarantinedBlob:
    """A blob held in quarantine."""

    blob_id: str
    reason: str
    quarantined_at: float
    size: int
    hashes_to: str


class Quarantine(Protocol):
    """Blobs removed from a store, each with a note; restorable while their bytes are intact."""

    def put(self, blob_id: str, reason: str) -> QuarantinedBlob:
        """Move ``blob_id`` out of the store into quarantine (copy, then delete)."""
        ...

    def get(self, blob_id: str) -> QuarantinedBlob:
        """The note of a quarantined blob (``QuarantineError`` if not in quarantine)."""
        ...

    def list(self) -> list[QuarantinedBlob]:
        """Every quarantined blob, by id."""
        ...

    def restore(self, blob_id: str) -> None:
        """Put a quarantined blob back (only if its bytes hash to its id)."""
        ...

    def holds_intact(self, blob_id: str) -> bool:
        """Whether quarantine holds bytes that hash to ``blob_id`` (a restorable blob)."""
        ...


def open_quarantine(store: BlobStore, directory: Path | None = None) -> Quarantine:
    """The quarantine of ``store``: in its bucket for an S3 store, else ``directory``."""
    if isinstance(store, S3BlobStore):
        return BucketQuarantine(store)
    if directory is None:
        raise ValueError(f"a quarantine directory is needed for {type(store).__name__}")
    return DirectoryQuarantine(directory, store)


class DirectoryQuarantine:
    """A directory of blobs removed from a store, each with a note."""

    def __init__(self, directory: Path, store: BlobStore) -> None:
        self.directory = directory
        self.store = store

    def _paths(self, blob_id: str) -> tuple[Path, Path]:
        check_blob_id(blob_id)
        return self.directory / blob_id, self.directory / f"{blob_id}.json"

    def put(self, blob_id: str, reason: str) -> QuarantinedBlob:
        """Move ``blob_id`` out of the store into quarantine (copy, fsync, then delete)."""
        data_path, note_path = self._paths(blob_id)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        tmp = data_path.with_suffix(".part")
        with self.store.open(blob_id) as source, tmp.open("wb") as out:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, data_path)
        held = QuarantinedBlob(blob_id, reason, time.time(), size, digest.hexdigest())
        note_path.write_text(json.dumps(held.__dict__, indent=1))
        self.store.delete(blob_id)
        return held

    def get(self, blob_id: str) -> QuarantinedBlob:
        _, note_path = self._paths(blob_id)
        if not note_path.exists():
            raise QuarantineError(f"blob {blob_id} is not in quarantine")
        return QuarantinedBlob(**json.loads(note_path.read_text()))

    def list(self) -> list[QuarantinedBlob]:
        if not self.directory.exists():
            return []
        return [self.get(p.stem) for p in sorted(self.directory.glob("*.json"))]

    def restore(self, blob_id: str) -> None:
        """Put a quarantined blob back (only if its bytes hash to its id)."""
        data_path, note_path = self._paths(blob_id)
        self.get(blob_id)
        with data_path.open("rb") as source:
            info = self.store.put(source)
        if info.sha256 != blob_id:
            self.store.delete(info.sha256)
            raise QuarantineError(
                f"quarantined bytes hash to {info.sha256}, not {blob_id}: cannot restore as is"
            )
        data_path.unlink()
        note_path.unlink()

    def holds_intact(self, blob_id: str) -> bool:
        """Whether quarantine holds bytes that hash to ``blob_id`` (a restorable blob)."""
        data_path, _ = self._paths(blob_id)
        if not data_path.exists():
            return False
        digest = hashlib.sha256()
        with data_path.open("rb") as source:
            shutil.copyfileobj(source, _Hasher(digest), 1 << 20)
        return digest.hexdigest() == blob_id


class BucketQuarantine:
    """Blobs removed from an S3 store, kept in its bucket under ``<prefix>/.quarantine/``.

    Moving a blob there is a server-side copy to ``.quarantine/<id>`` (then hashed, so the
    note says what the held bytes hash to), a ``.quarantine/<id>.json`` note, then the delete
    of the blob's key. Restoring copies it back under its key with ``If-None-Match: *``
    (an identical blob there already is fine, a different one is refused), then deletes the
    quarantined object and its note.
    """

    def __init__(self, store: S3BlobStore) -> None:
        self.store = store
        self.root = f"{store.prefix}/{QUARANTINE_PREFIX}" if store.prefix else QUARANTINE_PREFIX

    def _keys(self, blob_id: str) -> tuple[str, str]:
        check_blob_id(blob_id)
        return f"{self.root}{blob_id}", f"{self.root}{blob_id}.json"

    def _hash(self, key: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        with self.store.open_key(key) as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def put(self, blob_id: str, reason: str) -> QuarantinedBlob:
        """Move ``blob_id`` into the bucket's quarantine (copy, note, then delete)."""
        data_key, note_key = self._keys(blob_id)
        self.store.copy_key(self.store.key_of(blob_id), data_key)
        size, hashes_to = self._hash(data_key)
        held = QuarantinedBlob(blob_id, reason, time.time(), size, hashes_to)
        self.store.put_key(note_key, json.dumps(held.__dict__, indent=1).encode())
        self.store.delete(blob_id)
        return held

    def get(self, blob_id: str) -> QuarantinedBlob:
        _, note_key = self._keys(blob_id)
        try:
            with self.store.open_key(note_key) as note:
                return QuarantinedBlob(**json.loads(note.read()))
        except BlobNotFoundError:
            raise QuarantineError(f"blob {blob_id} is not in quarantine") from None

    def list(self) -> list[QuarantinedBlob]:
        return [self.get(blob_id) for blob_id in self._ids(self.store.keys(QUARANTINE_PREFIX))]

    def _ids(self, keys: Iterable[str]) -> Iterable[str]:
        for key in keys:
            name = key[len(self.root) :]
            if name.endswith(".json") and _is_blob_id(name[: -len(".json")]):
                yield name[: -len(".json")]

    def restore(self, blob_id: str) -> None:
        """Put a quarantined blob back under its key (only if its bytes hash to its id)."""
        data_key, note_key = self._keys(blob_id)
        self.get(blob_id)
        try:
            _, hashes_to = self._hash(data_key)
        except BlobNotFoundError:
            raise QuarantineError(
                f"the quarantined bytes of {blob_id} are gone (only its note is left)"
            ) from None
        if hashes_to != blob_id:
            raise QuarantineError(
                f"quarantined bytes hash to {hashes_to}, not {blob_id}: cannot restore as is"
            )
        if self.store.exists(blob_id):
            try:
                self.store.verify(blob_id)
            except BlobCorruptedError:
                raise QuarantineError(
                    f"other bytes are stored under {blob_id}: quarantine them first"
                ) from None
        else:
            self.store.copy_key(data_key, self.store.key_of(blob_id), if_absent=True)
        self.store.delete_key(data_key)
        self.store.delete_key(note_key)

    def holds_intact(self, blob_id: str) -> bool:
        """Whether quarantine holds bytes that hash to ``blob_id`` (a restorable blob)."""
        data_key, _ = self._keys(blob_id)
        try:
            return self._hash(data_key)[1] == blob_id
        except BlobNotFoundError:
            return False


def _is_blob_id(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class _Hasher:
    def __init__(self, digest: hashlib._Hash) -> None:
        self._digest = digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return len(data)
