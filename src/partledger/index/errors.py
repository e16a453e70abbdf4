"""Errors of the indexer."""

from __future__ import annotations

from partledger.errors import PartLedgerError


class IndexerError(PartLedgerError):
    """Something went wrong while indexing ledger events."""


class RpcUnavailable(IndexerError, ConnectionError):
    """The RPC endpoint does not answer (node down, connection refused, timeout)."""


class RpcRequestError(IndexerError, RuntimeError):
    """The node answered a JSON-RPC request with an error."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"{method} failed ({code}): {message}")
        self.method = method
        self.code = code
        self.message = message


class RangeTooLarge(RpcRequestError):
    """The node refused an ``eth_getLogs`` range (too many results, timeout, response size)."""

    def __init__(
        self, method: str, code: int | None, message: str, suggested: tuple[int, int] | None
    ) -> None:
        super().__init__(method, code, message)
        self.suggested = suggested


class ReorgTooDeep(IndexerError, RuntimeError):
    """The chain reorganised below the oldest block hash the index kept."""


class IndexMismatch(IndexerError, ValueError):
    """The database holds an index of another chain or another set of contracts."""


class DecodeError(IndexerError, ValueError):
    """A log of a known event could not be decoded."""
