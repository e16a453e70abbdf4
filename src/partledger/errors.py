"""The root of every exception PartLedger raises.

Each area (chain, crypto, storage, ...) defines its own subclasses next to its
code. A subclass also inherits the matching built-in exception where one fits
(``class BlobTooLarge(StorageError, ValueError)``) so callers can catch either.
"""

from __future__ import annotations


class PartLedgerError(Exception):
    """Base class of all PartLedger errors."""


class ConfigError(PartLedgerError, ValueError):
    """The configuration is invalid or incomplete."""
