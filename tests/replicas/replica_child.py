"""Run one service replica in its own process (the replica tests' and benchmark's child).

Usage: replica_child.py RPC_URL RECORD DATA_DIR PORT

Everything replicas share comes from the environment, as in production:
``PARTLEDGER_SERVICE_DATABASE_URL`` (PostgreSQL), ``PARTLEDGER_API_TOKEN_SECRET``,
``PARTLEDGER_API_ORIGIN`` (the load balancer's origin, named by sign-in messages) and
``PARTLEDGER_BLOB_URL`` (the shared store).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import uvicorn

from partledger.api.app import create_app
from partledger.chain.connect import connect
from partledger.chain.deployer import load_record
from partledger.config import Settings
from partledger.runtime import Runtime


def main() -> None:
    rpc, record, data_dir, port = sys.argv[1:5]
    deployment = load_record(Path(record))
    assert deployment is not None
    defaults: dict[str, Any] = {
        "api_indexer": False,
        "api_rate_per_second": 100_000,
        "api_rate_burst": 100_000,
        "relay_window_ms": 100,
        "relay_batch_size": 10,
    }  # each may be overridden by its PARTLEDGER_* variable
    chosen = {k: v for k, v in defaults.items() if f"PARTLEDGER_{k.upper()}" not in os.environ}
    settings = Settings(data_dir=Path(data_dir), rpc_url=rpc, api_port=int(port), **chosen)
    runtime = Runtime(settings, connect(rpc), deployment, None)
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
