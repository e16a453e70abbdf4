"""Errors raised by :mod:`partledger.crypto`."""

from __future__ import annotations

from partledger.errors import PartLedgerError


class CryptoError(PartLedgerError):
    """Base class of every error raised by the crypto layer."""


class ContainerError(CryptoError, ValueError):
    """An encrypted container cannot be decrypted: it is malformed or not authentic."""


class ContainerFormatError(ContainerError):
    """The container header is malformed (bad magic, unknown version/algorithm, bad sizes)."""


class KeyMismatchError(ContainerError):
    """The container was encrypted under another data key (or its key id was altered)."""


class TruncatedContainerError(ContainerError):
    """The container ends before its final segment."""


class TrailingDataError(ContainerError):
    """Bytes follow the container's final segment."""


class SegmentAuthenticationError(ContainerError):
    """A segment failed AES-GCM authentication: tampered, reordered, spliced or truncated."""

    def __init__(self, message: str, *, segment_index: int) -> None:
        super().__init__(message)
        self.segment_index = segment_index


class PlaintextHashMismatchError(ContainerError):
    """The decrypted plaintext does not have the expected SHA-256."""

    def __init__(self, *, expected: str, actual: str) -> None:
        super().__init__(f"plaintext SHA-256 mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class KeyWrapError(CryptoError, ValueError):
    """A wrapped data key or an HPKE key is malformed or cannot be opened."""


class WrongRecipientError(KeyWrapError):
    """The wrapped key is addressed to another recipient key."""


class KeyUnwrapError(KeyWrapError):
    """HPKE decryption failed: wrong key, wrong design/licence binding, or tampering."""


class KeystoreError(CryptoError):
    """Base class of keystore and key-provider errors."""


class KeystoreFormatError(KeystoreError, ValueError):
    """The keystore file is not a valid PartLedger keystore."""


class WrongPassphraseError(KeystoreError, ValueError):
    """The passphrase does not open the keystore (or the file was modified)."""


class KeystorePermissionError(KeystoreError, PermissionError):
    """The keystore file is readable by group or others (must be mode 0600)."""


class KeyNotFoundError(KeystoreError, LookupError):
    """No key provider has an identity with that name."""
