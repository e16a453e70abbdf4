"""Run one OEM operation and SIGKILL this process at a chosen step (crash tests' child).

Usage: crash_child.py RPC_URL RECORD DATA_DIR OEM_KEY HPKE_KEY_HEX OPERATION KILL_AT [ARGS...]
KILL_AT is a journal state (the process dies right after that state is durable),
"begin" (right after the intent is created) or "sent:N" (after the N-th transaction
reached the node, before its receipt was read).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from partledger.chain.connect import connect
from partledger.chain.deployer import load_record
from partledger.chain.tx import TxSender
from partledger.crypto import HpkePrivateKey, Identity
from partledger.sdk import DesignMetadata, Journal, Ledger, Oem


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    rpc, record, data_dir, key, hpke, operation, kill_at, *args = sys.argv[1:]
    original_begin, original_advance = Journal.begin, Journal.advance
    original_wait = TxSender.wait
    sent = {"n": 0}

    def begin(self: Journal, *a: Any, **kw: Any) -> Any:
        intent = original_begin(self, *a, **kw)
        if kill_at == "begin":
            die()
        return intent

    def advance(self: Journal, intent_id: str, state: str, **kw: Any) -> Any:
        result = original_advance(self, intent_id, state, **kw)
        if state == kill_at:
            die()
        return result

    def wait(self: TxSender, *a: Any, **kw: Any) -> Any:
        sent["n"] += 1
        if kill_at == f"sent:{sent['n']}":
            die()
        return original_wait(self, *a, **kw)

    Journal.begin, Journal.advance = begin, advance  # type: ignore[method-assign]
    TxSender.wait = wait  # type: ignore[method-assign]

    deployment = load_record(Path(record))
    assert deployment is not None
    ledger = Ledger.open(connect(rpc), deployment, Path(data_dir))
    oem = Oem(
        ledger, Identity("oem", bytes.fromhex(key), HpkePrivateKey.from_bytes(bytes.fromhex(hpke)))
    )
    if operation == "register":
        oem.register_design(Path(args[0]), DesignMetadata("PN", "A", "PA12", "SLS"))
    elif operation == "issue":
        oem.issue_licence(args[0], args[1], max_prints=5, valid_until=int(args[2]))
    print("completed without being killed")


if __name__ == "__main__":
    main()
