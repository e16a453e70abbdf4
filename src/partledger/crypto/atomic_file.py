"""Write a file atomically: temp file in the same directory, fsync, rename, fsync directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: Path, *, mode: int = 0o600, overwrite: bool = True, temp_dir: Path | None = None
) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only if the block completes.

    On any error the temp file is removed and ``path`` is untouched. With
    ``overwrite=False`` an existing ``path`` raises ``FileExistsError``.
    """
    with atomic_fd(path, mode=mode, overwrite=overwrite, temp_dir=temp_dir) as fd:
        with os.fdopen(fd, "wb", closefd=False) as raw:
            yield raw
            raw.flush()
        os.fsync(fd)


@contextlib.contextmanager
def atomic_fd(
    path: Path, *, mode: int = 0o600, overwrite: bool = True, temp_dir: Path | None = None
) -> Iterator[int]:
    """Yield the descriptor of a temp file that replaces ``path`` if the block completes.

    The block must leave the file's content durable (``fsync``); the rename and the
    directory are made durable here. See ``atomic_write``.
    """
    path = Path(path)
    directory = temp_dir if temp_dir is not None else path.parent
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists")
    fd, temp_name = _mkstemp(directory, path.name)
    temp = Path(temp_name)
    try:
        try:
            os.fchmod(fd, mode)
            yield fd
        finally:
            os.close(fd)
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails if path appeared meanwhile
            temp.unlink()
        fsync_directory(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _mkstemp(directory: Path, stem: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=directory)
