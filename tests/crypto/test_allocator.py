"""The glibc tuning for streaming buffers applies once and keeps later calls cheap."""

from __future__ import annotations

import platform

import pytest

from partledger.crypto import allocator


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_tuning_applies_on_glibc_and_is_idempotent() -> None:
    assert allocator.keep_large_buffers_on_heap() is True
    assert allocator.keep_large_buffers_on_heap() is True
    assert allocator._done is True
