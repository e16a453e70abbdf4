"""Run the service in its own process (crash tests' child).

Usage: service_child.py RPC_URL RECORD DATA_DIR PORT [KILL_AT]
KILL_AT ``relay-broadcast`` SIGKILLs the process in the middle of relaying: with batches
of 10, the first transaction reached the node, the second is signed and persisted but
was never broadcast.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import uvicorn

from partledger.api.app import create_app
from partledger.api.services.relayer import Relayer
from partledger.chain.connect import connect
from partledger.chain.deployer import load_record
from partledger.config import Settings
from partledger.runtime import Runtime


def main() -> None:
    rpc, record, data_dir, port, *rest = sys.argv[1:]
    kill_at = rest[0] if rest else ""
    if kill_at == "relay-broadcast":
        original = Relayer._rpc
        broadcasts = {"n": 0}

        def rpc_then_die(self: Relayer, calls: list[tuple[str, list[Any]]]) -> list[Any]:
            if calls and calls[0][0] == "eth_sendRawTransaction":
                broadcasts["n"] += 1
                if broadcasts["n"] == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
            return original(self, calls)

        Relayer._rpc = rpc_then_die  # type: ignore[method-assign]
    deployment = load_record(Path(record))
    assert deployment is not None
    settings = Settings(
        data_dir=Path(data_dir),
        rpc_url=rpc,  # type: ignore[arg-type]
        api_port=int(port),  # the origin sign-in messages must name
        api_indexer=False,
        api_rate_per_second=100_000,
        api_rate_burst=100_000,
        relay_window_ms=300,
        relay_batch_size=10,
    )
    runtime = Runtime(settings, connect(rpc), deployment, None)
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
