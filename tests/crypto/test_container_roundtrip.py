"""Encrypt/decrypt round trips at the boundary sizes, through every API shape."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from partledger.crypto import (
    HEADER_SIZE,
    DataKey,
    DecryptingStream,
    EncryptingStream,
    ciphertext_size,
    decrypt_file,
    decrypting_reader,
    encrypt_file,
    encrypting_reader,
)

SEGMENT = 64
SIZES = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT, 5 * SEGMENT + 7]


def _encrypt(plaintext: bytes, dek: DataKey, *, pipelined: bool) -> tuple[EncryptingStream, bytes]:
    stream = EncryptingStream(io.BytesIO(plaintext), dek, segment_size=SEGMENT, pipelined=pipelined)
    return stream, b"".join(stream)


@pytest.mark.parametrize("pipelined", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_round_trip_restores_the_plaintext_at_boundary_sizes(size: int, pipelined: bool) -> None:
    dek = DataKey.generate()
    plaintext = os.urandom(size)
    stream, container = _encrypt(plaintext, dek, pipelined=pipelined)
    assert stream.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()
    assert stream.container_sha256 == hashlib.sha256(container).hexdigest()
    assert stream.plaintext_size == size
    assert len(container) == stream.container_size == ciphertext_size(size, SEGMENT)
    decrypted = DecryptingStream(
        io.BytesIO(container),
        dek,
        expected_sha256=stream.plaintext_sha256,
        pipelined=pipelined,
    )
    assert b"".join(decrypted) == plaintext
    assert decrypted.plaintext_sha256 == stream.plaintext_sha256


def test_round_trip_with_the_default_one_mib_segments() -> None:
    dek = DataKey.generate()
    size = 1024 * 1024
    for length in (size - 1, size, size + 1, 3 * size + 5):
        plaintext = os.urandom(length)
        container = b"".join(EncryptingStream([plaintext], dek, pipelined=True))
        assert b"".join(DecryptingStream([container], dek, pipelined=True)) == plaintext


def test_iterable_sources_of_odd_chunk_sizes_round_trip() -> None:
    dek = DataKey.generate()
    plaintext = os.urandom(1000)
    chunks = [plaintext[i : i + 7] for i in range(0, len(plaintext), 7)]
    container = b"".join(EncryptingStream(iter(chunks), dek, segment_size=SEGMENT))
    pieces = [container[i : i + 13] for i in range(0, len(container), 13)]
    assert b"".join(DecryptingStream(iter(pieces), dek)) == plaintext


def test_file_like_readers_round_trip_with_odd_read_sizes() -> None:
    dek = DataKey.generate()
    plaintext = os.urandom(3 * 1024 * 1024 + 17)
    reader = encrypting_reader(io.BytesIO(plaintext), dek, segment_size=100_000)
    container = b""
    while chunk := reader.read(12_345):
        container += chunk
    expected = hashlib.sha256(plaintext).hexdigest()
    assert isinstance(reader.chunks, EncryptingStream)
    assert reader.chunks.plaintext_sha256 == expected
    with decrypting_reader(io.BytesIO(container), dek, expected_sha256=expected) as out:
        assert out.read() == plaintext


def test_the_header_is_fixed_size_and_starts_with_the_magic() -> None:
    dek = DataKey.generate()
    stream = EncryptingStream([b"x"], dek, segment_size=SEGMENT)
    header = next(stream)
    assert len(header) == HEADER_SIZE
    assert header.startswith(b"PLEDGER\x00")
    assert header[8:10] == b"\x01\x01"  # version, algorithm
    assert int.from_bytes(header[10:14], "big") == SEGMENT
    assert header[14:30] == dek.key_id


def test_two_encryptions_of_the_same_plaintext_differ() -> None:
    dek = DataKey.generate()
    first = b"".join(EncryptingStream([b"same"], dek))
    second = b"".join(EncryptingStream([b"same"], dek))
    assert first != second


def test_data_key_repr_hides_the_key() -> None:
    dek = DataKey.generate()
    assert dek.key.hex() not in repr(dek)


def test_digests_are_unavailable_before_the_stream_is_exhausted() -> None:
    stream = EncryptingStream([b"abc"], DataKey.generate())
    with pytest.raises(RuntimeError):
        _ = stream.plaintext_sha256


def test_encrypt_file_and_decrypt_file_round_trip(tmp_path: Path) -> None:
    dek = DataKey.generate()
    source = tmp_path / "part.stl"
    source.write_bytes(os.urandom(2 * 1024 * 1024 + 3))
    result = encrypt_file(source, tmp_path / "part.plc", dek, segment_size=65536)
    assert (
        result.container_sha256 == hashlib.sha256((tmp_path / "part.plc").read_bytes()).hexdigest()
    )
    digest = decrypt_file(
        tmp_path / "part.plc", tmp_path / "out.stl", dek, expected_sha256=result.plaintext_sha256
    )
    assert digest == result.plaintext_sha256
    assert (tmp_path / "out.stl").read_bytes() == source.read_bytes()


@pytest.mark.slow
def test_a_200_mb_file_round_trips_through_files(tmp_path: Path) -> None:
    dek = DataKey.generate()
    source = tmp_path / "big.3mf"
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for i in range(200):
            chunk = i.to_bytes(4, "big") + block[4:]
            out.write(chunk)
            digest.update(chunk)
    result = encrypt_file(source, tmp_path / "big.plc", dek)
    assert result.plaintext_sha256 == digest.hexdigest()
    assert result.plaintext_size == 200 * 1024 * 1024
    decrypt_file(
        tmp_path / "big.plc", tmp_path / "big.out", dek, expected_sha256=result.plaintext_sha256
    )
    out_digest = hashlib.sha256()
    with open(tmp_path / "big.out", "rb") as check:
        while chunk := check.read(1024 * 1024):
            out_digest.update(chunk)
    assert out_digest.hexdigest() == digest.hexdigest()
