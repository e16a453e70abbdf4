"""Property tests: any plaintext and segment size round-trips; any single-byte change fails."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from partledger.crypto import ContainerError, DataKey, DecryptingStream, EncryptingStream

DEK = DataKey(bytes(range(32)))


def _encrypt(plaintext: bytes, segment_size: int) -> bytes:
    return b"".join(EncryptingStream([plaintext], DEK, segment_size=segment_size))


@settings(max_examples=60, deadline=None)
@given(plaintext=st.binary(max_size=2000), segment_size=st.integers(16, 300))
def test_any_plaintext_round_trips_at_any_segment_size(plaintext: bytes, segment_size: int) -> None:
    container = _encrypt(plaintext, segment_size)
    assert b"".join(DecryptingStream(io.BytesIO(container), DEK)) == plaintext


@settings(max_examples=80, deadline=None)
@given(
    plaintext=st.binary(max_size=600),
    segment_size=st.integers(16, 128),
    position=st.floats(0, 1, exclude_max=True),
    delta=st.integers(1, 255),
)
def test_any_single_byte_change_is_detected(
    plaintext: bytes, segment_size: int, position: float, delta: int
) -> None:
    container = bytearray(_encrypt(plaintext, segment_size))
    index = int(position * len(container))
    container[index] ^= delta
    try:
        b"".join(DecryptingStream(io.BytesIO(bytes(container)), DEK))
    except ContainerError:
        return
    raise AssertionError(f"change at byte {index} went undetected")
