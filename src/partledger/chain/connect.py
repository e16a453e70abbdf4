"""Open a web3 connection to an RPC endpoint and check that it answers."""

from __future__ import annotations

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from partledger.chain.errors import RpcUnavailable


def connect(rpc_url: str, *, timeout: float = 10.0) -> Web3:
    """A ``Web3`` over HTTP to ``rpc_url``; raises ``RpcUnavailable`` if it does not answer."""
    provider = HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout},
        # web3 validates every eth_call against eth_chainId: ask the node once, not per call
        # (only identity answers are cached; blocks and transactions never are: reorgs)
        cache_allowed_requests=True,
        cacheable_requests={"eth_chainId", "net_version", "web3_clientVersion"},
    )
    w3 = Web3(provider)
    try:
        w3.eth.chain_id  # noqa: B018 - a round trip proves the node answers
    except Exception as exc:
        raise RpcUnavailable(f"no EVM node answers at {rpc_url}: {exc}") from exc
    return w3
