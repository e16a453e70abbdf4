"""The embedded anvil: start, stop, restart with persisted state, clear failures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from partledger.chain.errors import LocalChainError
from partledger.chain.local import ChainPortInUse, LocalChain, find_anvil, rpc_call


def _send_eth(url: str) -> str:
    sender = rpc_call(url, "eth_accounts")[0]
    return rpc_call(
        url, "eth_sendTransaction", [{"from": sender, "to": "0x" + "11" * 20, "value": "0x2a"}]
    )


def test_restart_keeps_blocks_balances_and_receipts(tmp_path: Path) -> None:
    chain = LocalChain(tmp_path).start()
    try:
        tx_hash = _send_eth(chain.rpc_url)
        rpc_call(chain.rpc_url, "anvil_mine", ["0x4"])
        head = rpc_call(chain.rpc_url, "eth_blockNumber")
    finally:
        chain.stop()
    assert (tmp_path / "state.json").exists()
    assert chain.running() is None

    again = LocalChain(tmp_path).start()
    try:
        assert rpc_call(again.rpc_url, "eth_blockNumber") == head
        assert rpc_call(again.rpc_url, "eth_getBalance", ["0x" + "11" * 20, "latest"]) == "0x2a"
        assert rpc_call(again.rpc_url, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
    finally:
        again.stop()


def test_a_second_manager_attaches_to_the_running_chain_and_can_stop_it(tmp_path: Path) -> None:
    first = LocalChain(tmp_path).start(detached=True)
    second = LocalChain(tmp_path).start()
    assert second.rpc_url == first.rpc_url
    second.release()  # it did not start the chain: nothing happens
    assert first.running() is not None
    second.stop()  # an explicit stop stops the detached chain
    assert LocalChain(tmp_path).running() is None


def test_ephemeral_chain_answers_with_its_chain_id() -> None:
    with LocalChain(None, chain_id=4242) as chain:
        assert int(rpc_call(chain.rpc_url, "eth_chainId"), 16) == 4242


def test_given_port_in_use_is_refused_clearly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LocalChainError, match=f"port {port}.*already in use"):
            LocalChain(tmp_path, port=port).start()


def test_missing_binary_says_run_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTLEDGER_ANVIL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LocalChainError, match="npm ci"):
        find_anvil(tmp_path)


def test_binary_that_dies_at_start_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "anvil"
    broken.write_text("#!/bin/sh\necho 'boom: cannot start' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(LocalChainError, match=r"(?s)exited with code 3.*boom: cannot start"):
        LocalChain(tmp_path / "state", binary=broken).start()


def _held_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_a_busy_preferred_port_gives_a_free_one_that_the_state_dir_remembers(
    tmp_path: Path,
) -> None:
    with _held_port() as busy:
        preferred = busy.getsockname()[1]
        chain = LocalChain(tmp_path, preferred_port=preferred).start()
        try:
            assert chain.port != preferred and chain.moved_from == preferred
            assert chain.remembered_port() == chain.port
            taken = chain.port
        finally:
            chain.stop()
        again = LocalChain(tmp_path, preferred_port=preferred).start()
        try:
            assert again.port == taken  # the same URL as last time while it stays free
        finally:
            again.stop()


def test_a_free_preferred_port_is_used(tmp_path: Path) -> None:
    with _held_port() as probe:
        port = probe.getsockname()[1]
    with LocalChain(tmp_path, preferred_port=port) as chain:
        assert chain.port == port and chain.moved_from is None


def test_a_required_port_held_by_another_program_is_refused_naming_the_cause(
    tmp_path: Path,
) -> None:
    with _held_port() as busy:
        port = busy.getsockname()[1]
        with pytest.raises(ChainPortInUse, match=f"port {port}.*another program") as info:
            LocalChain(tmp_path, port=port).start()
    assert info.value.port == port
