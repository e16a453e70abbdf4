"""Streaming encrypted container, data keys, HPKE key wrap and keystores."""

from partledger.crypto.atomic_file import atomic_write
from partledger.crypto.container_format import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    ContainerHeader,
    ciphertext_size,
)
from partledger.crypto.datakey import DataKey
from partledger.crypto.errors import (
    ContainerError,
    ContainerFormatError,
    CryptoError,
    KeyMismatchError,
    PlaintextHashMismatchError,
    SegmentAuthenticationError,
    TrailingDataError,
    TruncatedContainerError,
)
from partledger.crypto.fileio import (
    ChunkReader,
    EncryptionResult,
    decrypt_file,
    decrypt_to,
    decrypting_reader,
    encrypt_file,
    encrypting_reader,
)
from partledger.crypto.segments import SegmentDecryptor, SegmentEncryptor
from partledger.crypto.stream import DecryptingStream, EncryptingStream

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "ChunkReader",
    "ContainerError",
    "ContainerFormatError",
    "ContainerHeader",
    "CryptoError",
    "DataKey",
    "DecryptingStream",
    "EncryptingStream",
    "EncryptionResult",
    "KeyMismatchError",
    "PlaintextHashMismatchError",
    "SegmentAuthenticationError",
    "SegmentDecryptor",
    "SegmentEncryptor",
    "TrailingDataError",
    "TruncatedContainerError",
    "atomic_write",
    "ciphertext_size",
    "decrypt_file",
    "decrypt_to",
    "decrypting_reader",
    "encrypt_file",
    "encrypting_reader",
]
