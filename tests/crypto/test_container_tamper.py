"""Every tampering of a container fails with a specific error and releases nothing unverified."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from partledger.crypto import (
    HEADER_SIZE,
    ContainerError,
    ContainerFormatError,
    DataKey,
    DecryptingStream,
    EncryptingStream,
    KeyMismatchError,
    PlaintextHashMismatchError,
    SegmentAuthenticationError,
    TrailingDataError,
    TruncatedContainerError,
    decrypt_file,
    encrypt_file,
)

SEGMENT = 32
CT_SEGMENT = SEGMENT + 16


def _container(plaintext: bytes, dek: DataKey) -> tuple[bytes, str]:
    stream = EncryptingStream([plaintext], dek, segment_size=SEGMENT)
    container = b"".join(stream)
    return container, stream.plaintext_sha256


def _segment(container: bytes, index: int) -> bytes:
    start = HEADER_SIZE + index * CT_SEGMENT
    return container[start : start + CT_SEGMENT]


def _decrypt(container: bytes, dek: DataKey, expected: str | None = None) -> bytes:
    return b"".join(DecryptingStream(io.BytesIO(container), dek, expected_sha256=expected))


@pytest.fixture
def dek() -> DataKey:
    return DataKey.generate()


def test_a_flipped_bit_anywhere_is_detected(dek: DataKey) -> None:
    plaintext = os.urandom(3 * SEGMENT + 5)
    container, _ = _container(plaintext, dek)
    for position in range(len(container)):
        for bit in (0x01, 0x80):
            tampered = bytearray(container)
            tampered[position] ^= bit
            with pytest.raises(ContainerError):
                _decrypt(bytes(tampered), dek)


def test_nothing_past_a_tampered_segment_is_released(dek: DataKey) -> None:
    plaintext = os.urandom(4 * SEGMENT)
    container, _ = _container(plaintext, dek)
    tampered = bytearray(container)
    tampered[HEADER_SIZE + 2 * CT_SEGMENT + 3] ^= 1
    released = []
    with pytest.raises(SegmentAuthenticationError) as info:
        for chunk in DecryptingStream(io.BytesIO(bytes(tampered)), dek):
            released.append(chunk)
    assert info.value.segment_index == 2
    assert b"".join(released) == plaintext[: 2 * SEGMENT]


def test_a_wrong_key_is_reported_as_a_key_mismatch(dek: DataKey) -> None:
    container, _ = _container(b"secret design", dek)
    with pytest.raises(KeyMismatchError, match="key id"):
        _decrypt(container, DataKey.generate())


def test_a_wrong_key_with_a_forged_key_id_fails_authentication(dek: DataKey) -> None:
    container, _ = _container(b"secret design", dek)
    other = DataKey.generate()
    forged = container[:14] + other.key_id + container[30:]
    with pytest.raises(SegmentAuthenticationError):
        _decrypt(forged, other)


@pytest.mark.parametrize(
    ("offset", "error"),
    [(0, ContainerFormatError), (8, ContainerFormatError), (9, ContainerFormatError)],
)
def test_header_magic_version_and_algorithm_are_checked(
    dek: DataKey, offset: int, error: type[Exception]
) -> None:
    container, _ = _container(b"x" * 40, dek)
    tampered = bytearray(container)
    tampered[offset] ^= 0x02
    with pytest.raises(error):
        _decrypt(bytes(tampered), dek)


@pytest.mark.parametrize("offset", [30, 45, 46, 52])  # salt, nonce prefix
def test_the_header_is_authenticated_with_the_first_segment(dek: DataKey, offset: int) -> None:
    container, _ = _container(b"x" * 100, dek)
    tampered = bytearray(container)
    tampered[offset] ^= 0x10
    with pytest.raises(SegmentAuthenticationError) as info:
        _decrypt(bytes(tampered), dek)
    assert info.value.segment_index == 0


def test_truncation_at_a_segment_boundary_is_reported(dek: DataKey) -> None:
    container, _ = _container(os.urandom(3 * SEGMENT + 1), dek)
    for segments in (1, 2, 3):
        with pytest.raises(TruncatedContainerError, match="final segment missing"):
            _decrypt(container[: HEADER_SIZE + segments * CT_SEGMENT], dek)


def test_truncation_inside_the_header_or_before_any_segment_is_reported(dek: DataKey) -> None:
    container, _ = _container(b"abc", dek)
    for cut in (0, 5, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 10):
        with pytest.raises(TruncatedContainerError):
            _decrypt(container[:cut], dek)


def test_truncation_inside_a_segment_fails(dek: DataKey) -> None:
    container, _ = _container(os.urandom(3 * SEGMENT), dek)
    for cut in range(HEADER_SIZE + 1, len(container)):
        with pytest.raises(ContainerError):
            _decrypt(container[:cut], dek)


def test_reordered_segments_fail_authentication(dek: DataKey) -> None:
    container, _ = _container(os.urandom(4 * SEGMENT), dek)
    parts = [_segment(container, i) for i in range(4)]
    swapped = container[:HEADER_SIZE] + parts[0] + parts[2] + parts[1] + parts[3]
    with pytest.raises(SegmentAuthenticationError) as info:
        _decrypt(swapped, dek)
    assert info.value.segment_index == 1


def test_splicing_two_containers_under_the_same_key_fails(dek: DataKey) -> None:
    first, _ = _container(os.urandom(4 * SEGMENT), dek)
    second, _ = _container(os.urandom(4 * SEGMENT), dek)
    spliced = first[: HEADER_SIZE + 2 * CT_SEGMENT] + second[HEADER_SIZE + 2 * CT_SEGMENT :]
    with pytest.raises(SegmentAuthenticationError) as info:
        _decrypt(spliced, dek)
    assert info.value.segment_index == 2
    header_swapped = second[:HEADER_SIZE] + first[HEADER_SIZE:]
    with pytest.raises(SegmentAuthenticationError):
        _decrypt(header_swapped, dek)


def test_data_after_the_final_segment_is_reported(dek: DataKey) -> None:
    container, _ = _container(os.urandom(2 * SEGMENT), dek)
    with pytest.raises(TrailingDataError):
        _decrypt(container + _segment(container, 0), dek)
    with pytest.raises(ContainerError):
        _decrypt(container + b"\x00", dek)


def test_a_plaintext_hash_mismatch_withholds_the_final_segment(dek: DataKey) -> None:
    plaintext = os.urandom(3 * SEGMENT)
    container, _ = _container(plaintext, dek)
    released = []
    with pytest.raises(PlaintextHashMismatchError):
        for chunk in DecryptingStream(io.BytesIO(container), dek, expected_sha256="00" * 32):
            released.append(chunk)
    assert b"".join(released) == plaintext[: 2 * SEGMENT]


def test_a_failed_file_decryption_leaves_no_output(dek: DataKey, tmp_path: Path) -> None:
    source = tmp_path / "design.step"
    source.write_bytes(os.urandom(200_000))
    result = encrypt_file(source, tmp_path / "design.plc", dek, segment_size=4096)
    container = bytearray((tmp_path / "design.plc").read_bytes())
    container[-100] ^= 1
    (tmp_path / "bad.plc").write_bytes(container)
    with pytest.raises(SegmentAuthenticationError):
        decrypt_file(tmp_path / "bad.plc", tmp_path / "out.step", dek)
    with pytest.raises(PlaintextHashMismatchError):
        decrypt_file(tmp_path / "design.plc", tmp_path / "out.step", dek, expected_sha256="0" * 64)
    with pytest.raises(KeyMismatchError):
        decrypt_file(
            tmp_path / "design.plc",
            tmp_path / "out.step",
            DataKey.generate(),
            expected_sha256=result.plaintext_sha256,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.plc", "design.plc", "design.step"]


def test_pipelined_decryption_reports_the_same_errors(dek: DataKey) -> None:
    container, _ = _container(os.urandom(5 * SEGMENT), dek)
    truncated = container[: HEADER_SIZE + 2 * CT_SEGMENT]
    with pytest.raises(TruncatedContainerError):
        b"".join(DecryptingStream(io.BytesIO(truncated), dek, pipelined=True))
