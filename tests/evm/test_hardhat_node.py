"""Hardhat's node (EDR) as a managed process, and how its answers differ from anvil's."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from web3.exceptions import Web3RPCError

from partledger.chain.errors import LocalChainError
from partledger.chain.hardhat import HardhatNode, find_hardhat
from partledger.chain.ledger_errors import SerialAlreadyUsed
from partledger.chain.local import ChainPortInUse, dev_account, rpc_call
from partledger.chain.reverts import revert_from_exception


def test_the_node_answers_with_anvils_accounts_and_stops_leaving_nothing() -> None:
    node = HardhatNode(chain_id=1337).start()
    scratch = node.log_file.parent if node.log_file else None
    try:
        url = node.rpc_url
        assert rpc_call(url, "eth_chainId") == hex(1337)
        assert rpc_call(url, "web3_clientVersion").startswith("HardhatNetwork/2.29.1/")
        accounts = rpc_call(url, "eth_accounts")
        assert accounts == [dev_account(i).address.lower() for i in range(10)]
        assert int(rpc_call(url, "eth_getBalance", [accounts[9], "latest"]), 16) == 10_000 * 10**18
    finally:
        node.stop()
    assert scratch is not None and not scratch.exists()  # generated config and log removed
    assert "Started HTTP and WebSocket JSON-RPC server" in node.log_text
    with pytest.raises(LocalChainError, match="not running"):
        node.rpc_url  # noqa: B018
    with pytest.raises(OSError):
        rpc_call(url, "eth_chainId", timeout=0.5)


def test_a_busy_port_is_refused_and_a_missing_install_is_named(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        with pytest.raises(ChainPortInUse):
            HardhatNode(port=holder.getsockname()[1]).start()
    assert find_hardhat().name == "bootstrap.js"
    with pytest.raises(LocalChainError, match="npm ci"):
        HardhatNode(project_root=tmp_path).start()


def test_hardhats_answer_to_a_failing_send_decodes_to_the_named_error() -> None:
    """web3 raises a generic Web3RPCError for it, the revert data two levels down."""
    selector = keccak(text="SerialAlreadyUsed(bytes32,bytes32)")[:4]
    data = (
        "0x" + (selector + abi_encode(["bytes32", "bytes32"], [b"\x01" * 32, b"\x02" * 32])).hex()
    )
    message = f"Error: VM Exception while processing transaction: reverted with ... ({data})"
    reply = {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {
            "code": -32603,
            "message": message,
            "data": {"message": message, "txHash": "0x" + "ab" * 32, "data": data},
        },
    }
    error = Web3RPCError(repr(reply["error"]), rpc_response=reply)  # type: ignore[arg-type]
    revert = revert_from_exception(error)
    assert isinstance(revert, SerialAlreadyUsed)
    assert revert.arguments == {"designId": b"\x01" * 32, "serial": b"\x02" * 32}
