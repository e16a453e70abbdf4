"""Run an ASGI app under uvicorn on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from partledger.chain.local import free_port


@contextmanager
def serving(make_app: Any) -> Iterator[str]:
    """``make_app(origin)`` served on 127.0.0.1; yields the origin, stops the server after."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(make_app(origin), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield origin
    finally:
        server.should_exit = True
        thread.join(timeout=30)
