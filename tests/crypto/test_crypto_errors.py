"""Every crypto and storage error shares the PartLedger root and a matching built-in."""

from __future__ import annotations

import pytest

import partledger.crypto as crypto
import partledger.storage as storage
from partledger.errors import PartLedgerError

ERRORS = [
    obj
    for module in (crypto, storage)
    for obj in (getattr(module, name) for name in module.__all__)
    if isinstance(obj, type) and issubclass(obj, Exception)
]
ROOTS = {crypto.CryptoError, crypto.KeystoreError, storage.StorageError}


@pytest.mark.parametrize("error", ERRORS, ids=[e.__name__ for e in ERRORS])
def test_error_derives_from_the_root_and_a_builtin(error: type[Exception]) -> None:
    assert issubclass(error, PartLedgerError)
    if error not in ROOTS:
        builtin_bases = [
            base
            for base in error.__mro__
            if base.__module__ == "builtins" and base not in (Exception, BaseException, object)
        ]
        assert builtin_bases, f"{error.__name__} inherits no matching built-in"
