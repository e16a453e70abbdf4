#!/usr/bin/env python3
"""The transfer benchmark's baseline: a plain file copy through the service's HTTP stack.

Same server (uvicorn, with the options ``partledger serve`` uses) and framework
(Starlette, under FastAPI), none of PartLedger: no auth, no hashing, no access log.
``POST /upload`` writes the request body to a file as it arrives and fsyncs it;
``GET /download`` serves that file with Starlette's ``FileResponse``.

Usage: ``plain_http_server.py DIRECTORY PORT`` (bench_service.py starts and stops it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route


def build(directory: Path) -> Starlette:
    """The two-route app over ``directory/file.bin``."""
    target = directory / "file.bin"

    async def upload(request: Request) -> JSONResponse:
        size = 0
        with target.open("wb") as out:
            async for piece in request.stream():
                out.write(piece)
                size += len(piece)
            out.flush()
            os.fsync(out.fileno())
        return JSONResponse({"size": size}, status_code=201)

    async def download(_: Request) -> FileResponse:
        return FileResponse(target, media_type="application/octet-stream")

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    return Starlette(
        routes=[
            Route("/upload", upload, methods=["POST"]),
            Route("/download", download),
            Route("/ready", ready),
        ]
    )


def main() -> None:
    """Serve ``build(DIRECTORY)`` on 127.0.0.1:PORT until SIGTERM."""
    directory, port = Path(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        build(directory),
        host="127.0.0.1",
        port=port,
        log_config=None,
        timeout_keep_alive=30,
        limit_concurrency=1000,
    )


if __name__ == "__main__":
    main()
