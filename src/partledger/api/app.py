"""Build the FastAPI application around a ``Runtime``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from partledger import __version__
from partledger.api.routers import health
from partledger.runtime import Runtime


def create_app(runtime: Runtime, *, close_runtime_on_shutdown: bool = False) -> FastAPI:
    """The service's ASGI app; routes reach the runtime through ``app.state.runtime``.

    With ``close_runtime_on_shutdown`` the app stops the local chain it was given
    when the server shuts down (uvicorn re-raises SIGTERM after shutdown, so a
    ``finally`` around ``uvicorn.run`` would never run).
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_runtime_on_shutdown:
                runtime.close()

    app = FastAPI(
        title="PartLedger",
        version=__version__,
        summary="Protect and trace 3D-printed parts: designs, print licences, attestations.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.include_router(health.router)
    return app
