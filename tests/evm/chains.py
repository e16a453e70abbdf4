"""The EVM implementations the compatibility tests run on, and what a test gets of one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3

EVMS = ["anvil", "hardhat"]
"""anvil (foundry, Rust/revm) and Hardhat's node (EDR, Rust/revm behind Hardhat's JSON-RPC)."""


@dataclass
class Evm:
    """A running EVM node of one implementation."""

    name: str
    rpc_url: str
    w3: Web3
    data_dir: Path
