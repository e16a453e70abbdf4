"""Quarantine: take a blob out of the store without ever destroying it, and put it back.

A quarantined blob is copied to ``<dir>/<sha256>`` with a note saying why and
when, then removed from the store; ``restore`` verifies the bytes still hash to
their name before putting them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from partledger.errors import PartLedgerError
from partledger.storage import BlobStore, check_blob_id


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


class Quarantine:
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


class _Hasher:
    def __init__(self, digest: hashlib._Hash) -> None:
        self._digest = digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return len(data)
