"""The glibc tuning for streaming buffers is opt-in: entry points apply it, the library never
changes malloc behind its host application's back."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from partledger.crypto import allocator

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (malloc settings are per process)."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


STREAM_A_DESIGN = """
import pathlib, tempfile
from partledger.crypto import allocator
from partledger.storage import FilesystemBlobStore, retrieve_decrypted, store_encrypted
store = FilesystemBlobStore(pathlib.Path(tempfile.mkdtemp()))
stored = store_encrypted(store, [bytes(3_000_000)])
retrieve_decrypted(store, stored.container_sha256, stored.dek, open("/dev/null", "wb"),
                   expected_plaintext_sha256=stored.plaintext_sha256)
"""


@glibc
def test_an_application_embedding_the_library_keeps_its_malloc_settings() -> None:
    assert _python(STREAM_A_DESIGN + "print(allocator.applied())") == "False"


@glibc
def test_an_entry_point_opts_in_once_and_the_streams_keep_it() -> None:
    code = "from partledger.crypto import allocator\n"
    code += "print(allocator.tune_for_streaming(), allocator.tune_for_streaming())\n"
    code += STREAM_A_DESIGN + "print(allocator.applied(), allocator.keep_large_buffers_on_heap())"
    assert _python(code).split() == ["True", "True", "True", "True"]


def test_the_cli_is_an_entry_point_that_opts_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from partledger.cli import app

    calls: list[str] = []
    monkeypatch.setattr(allocator, "tune_for_streaming", lambda: calls.append("tuned") or True)
    result = CliRunner().invoke(app, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert calls == ["tuned"]
