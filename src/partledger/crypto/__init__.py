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
    KeyNotFoundError,
    KeystoreError,
    KeystoreFormatError,
    KeystorePermissionError,
    KeyUnwrapError,
    KeyWrapError,
    PlaintextHashMismatchError,
    SegmentAuthenticationError,
    TrailingDataError,
    TruncatedContainerError,
    WrongPassphraseError,
    WrongRecipientError,
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
from partledger.crypto.hpke_keys import HpkePrivateKey, HpkePublicKey, HpkeSuiteId
from partledger.crypto.identity import Identity
from partledger.crypto.key_provider import (
    ChainedKeyProvider,
    EnvKeyProvider,
    KeyProvider,
    KeystoreDirectory,
)
from partledger.crypto.keystore import load_keystore, save_keystore
from partledger.crypto.keywrap import WrappedKey, unwrap_dek, wrap_dek, wrap_info
from partledger.crypto.segments import SegmentDecryptor, SegmentEncryptor
from partledger.crypto.stream import DecryptingStream, EncryptingStream

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "ChainedKeyProvider",
    "ChunkReader",
    "ContainerError",
    "ContainerFormatError",
    "ContainerHeader",
    "CryptoError",
    "DataKey",
    "DecryptingStream",
    "EncryptingStream",
    "EncryptionResult",
    "EnvKeyProvider",
    "HpkePrivateKey",
    "HpkePublicKey",
    "HpkeSuiteId",
    "Identity",
    "KeyMismatchError",
    "KeyNotFoundError",
    "KeyProvider",
    "KeyUnwrapError",
    "KeyWrapError",
    "KeystoreDirectory",
    "KeystoreError",
    "KeystoreFormatError",
    "KeystorePermissionError",
    "PlaintextHashMismatchError",
    "SegmentAuthenticationError",
    "SegmentDecryptor",
    "SegmentEncryptor",
    "TrailingDataError",
    "TruncatedContainerError",
    "WrappedKey",
    "WrongPassphraseError",
    "WrongRecipientError",
    "atomic_write",
    "ciphertext_size",
    "decrypt_file",
    "decrypt_to",
    "decrypting_reader",
    "encrypt_file",
    "encrypting_reader",
    "load_keystore",
    "save_keystore",
    "unwrap_dek",
    "wrap_dek",
    "wrap_info",
]
