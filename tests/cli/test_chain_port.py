"""Two data directories side by side: the embedded chain's default port is only preferred."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli_runner import Cli, environment
from partledger.chain.local import LocalChain, free_port

DEFAULT_PORT = 8545


@pytest.fixture
def default_port_held() -> Iterator[None]:
    """Another program holds 8545 (this test's socket, or whatever held it already)."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", DEFAULT_PORT))
        holder.listen()
    except OSError:
        pass  # held already: the same situation
    try:
        yield
    finally:
        holder.close()


def _port_of(text: str) -> int:
    found = re.search(r"http://127\.0\.0\.1:(\d+)", text)
    assert found, text
    return int(found.group(1))


def test_a_second_data_directory_takes_a_free_port_and_remembers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_port_held: None
) -> None:
    ports = {}
    try:
        for name in ("one", "other"):
            environment(monkeypatch, tmp_path / name)
            monkeypatch.delenv("PARTLEDGER_CHAIN_PORT")
            cli = Cli(tmp_path / name)
            up = cli.run("chain", "up")
            assert up.exit_code == 0, up.output
            assert f"port {DEFAULT_PORT} is held by another program" in up.stderr
            ports[name] = _port_of(up.stdout)
            remembered = json.loads((cli.data / "chain" / "port.json").read_text())
            assert remembered == {"port": ports[name]} and ports[name] != DEFAULT_PORT
            cli.identity("acme-oem")  # keys create + keys fund: talks to this dir's chain
            assert str(ports[name]) in cli.run("chain", "status").stdout
        assert ports["one"] != ports["other"]

        # stopped and started again by any command, a data dir's chain keeps its port
        LocalChain(tmp_path / "other" / "data" / "chain").stop()
        assert Cli(tmp_path / "other").run("chain", "up").exit_code == 0
        running = LocalChain(tmp_path / "other" / "data" / "chain").running()
        assert running is not None and running.port == ports["other"]
    finally:
        for name in ("one", "other"):
            LocalChain(tmp_path / name / "data" / "chain").stop()


def test_a_required_port_held_by_another_program_is_refused_with_the_right_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment(monkeypatch, tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("PARTLEDGER_CHAIN_PORT", str(port))
        result = Cli(tmp_path).fails(4, "design", "show", "0x" + "00" * 32)
    assert f"port {port}" in result.output and "another program" in result.output
    assert "PARTLEDGER_CHAIN_PORT" in result.output
    assert "chain up" not in result.output
