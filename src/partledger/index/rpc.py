"""A small, fast JSON-RPC client for the calls the indexer makes (no web3 on the hot path)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from partledger.index.errors import RangeTooLarge, RpcRequestError, RpcUnavailable

_loads: Callable[[bytes], Any]
try:  # orjson parses eth_getLogs answers ~3x faster when it is installed
    import orjson  # type: ignore[import-not-found, unused-ignore]

    _loads = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

_RANGE_HINTS = (
    "too many",
    "limit exceeded",
    "more than",
    "response size",
    "range",
    "timeout",
    "timed out",
    "query returned",
    "exceed",
)
_SUGGESTED = re.compile(r"\[(0x[0-9a-fA-F]+),\s*(0x[0-9a-fA-F]+)\]")


@dataclass(frozen=True)
class BlockHeader:
    """The parts of a block header the indexer keeps."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int


def _header(raw: dict[str, Any]) -> BlockHeader:
    return BlockHeader(
        number=int(raw["number"], 16),
        hash=bytes.fromhex(raw["hash"][2:]),
        parent_hash=bytes.fromhex(raw["parentHash"][2:]),
        timestamp=int(raw["timestamp"], 16),
    )


def parse_logs(raw: bytes) -> list[Any]:
    """The log list of a raw ``eth_getLogs`` answer."""
    result: list[Any] = _loads(raw)["result"]
    return result


def count_logs(raw: bytes) -> int:
    """Number of logs in a raw ``eth_getLogs`` answer, without parsing it."""
    return raw.count(b'"logIndex"')


class JsonRpc:
    """JSON-RPC over one keep-alive HTTP session."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Content-Type"] = "application/json"
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._session.close()

    def _post(self, method: str, body: Any, *, parse: bool = True) -> Any:
        try:
            response = self._session.post(
                self.url, data=json.dumps(body, separators=(",", ":")), timeout=self.timeout
            )
        except requests.Timeout as exc:
            if method == "eth_getLogs":
                raise RangeTooLarge(method, None, f"request timed out: {exc}", None) from exc
            raise RpcUnavailable(f"{method} to {self.url} timed out: {exc}") from exc
        except (requests.RequestException, OSError) as exc:
            raise RpcUnavailable(f"{method} to {self.url} failed: {exc}") from exc
        if response.status_code in (413, 504) and method == "eth_getLogs":
            raise RangeTooLarge(method, response.status_code, response.reason or "", None)
        if response.status_code >= 500:
            raise RpcUnavailable(f"{method}: HTTP {response.status_code} from {self.url}")
        if not parse:
            return response.content
        try:
            return _loads(response.content)
        except ValueError as exc:
            raise RpcUnavailable(f"{method}: unreadable answer from {self.url}: {exc}") from exc

    @staticmethod
    def _error(method: str, error: dict[str, Any]) -> RpcRequestError:
        code = error.get("code")
        message = str(error.get("message", error))
        if method == "eth_getLogs" and (
            code in (-32005, -32602, -32011) or any(h in message.lower() for h in _RANGE_HINTS)
        ):
            found = _SUGGESTED.search(message)
            suggested = (int(found[1], 16), int(found[2], 16)) if found else None
            return RangeTooLarge(method, code, message, suggested)
        return RpcRequestError(method, code, message)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One request; raises ``RpcRequestError`` on a JSON-RPC error."""
        reply = self._post(method, {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                                    "params": list(params)})  # fmt: skip
        if "error" in reply:
            raise self._error(method, reply["error"])
        return reply["result"]

    def batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        """Many requests of one method in one HTTP round trip, answers in order."""
        if not params_list:
            return []
        first = next(self._ids)
        body = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(p)}
            for i, p in enumerate(params_list)
        ]
        self._ids = itertools.count(first + len(body))
        reply = self._post(method, body)
        if isinstance(reply, dict):  # a node that rejects batches answers one error
            raise self._error(method, reply.get("error", {"message": str(reply)}))
        by_id = {item.get("id"): item for item in reply}
        results = []
        for i in range(len(body)):
            item = by_id.get(first + i)
            if item is None:
                raise RpcRequestError(method, None, "batch answer is missing an item")
            if "error" in item:
                raise self._error(method, item["error"])
            results.append(item["result"])
        return results

    # -- typed helpers ---------------------------------------------------------------
    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def get_logs(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[Any]:
        return parse_logs(self.get_logs_raw(addresses, from_block, to_block))

    def get_logs_raw(self, addresses: Sequence[str], from_block: int, to_block: int) -> bytes:
        """The undecoded ``eth_getLogs`` answer (errors are raised, results are not parsed).

        A fetch thread hands the bytes to the consumer, which parses them: the parse holds
        the GIL, and doing it in the consuming thread avoids stalling its SQLite writes.
        """
        method = "eth_getLogs"
        params = {
            "address": list(addresses),
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
        }
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": [params]}
        raw: bytes = self._post(method, body, parse=False)
        head = raw[:256]
        if b'"result"' not in head or b'"error"' in head:
            try:
                reply = _loads(raw)
            except ValueError as exc:
                raise RpcUnavailable(f"{method}: unreadable answer from {self.url}: {exc}") from exc
            if "error" in reply:
                raise self._error(method, reply["error"])
        return raw

    def headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader]:
        """Headers of the given blocks; a block the node does not have is left out."""
        raws = self.batch("eth_getBlockByNumber", [[hex(n), False] for n in numbers])
        return {h.number: h for h in (_header(r) for r in raws if r)}
