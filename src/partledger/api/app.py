"""Build the FastAPI application around a ``Runtime``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI

from partledger import __version__
from partledger.api import docs, problems
from partledger.api.deps import SignInRequired
from partledger.api.middleware import RequestContext
from partledger.api.routers import (
    access,
    audit,
    audit_session,
    auditor_views,
    auth,
    carbon,
    designs,
    health,
    hub,
    licences,
    ops,
    pact,
    parts,
    prints,
)
from partledger.api.services.carbon_pact import index_footprint_source
from partledger.api.services.context import ServiceContext
from partledger.api.services.products import product_records
from partledger.crypto import Identity
from partledger.runtime import Runtime

DESCRIPTION = """\
PartLedger's HTTP service: OEMs push encrypted designs and license hubs, hubs pull licensed
files and push signed print attestations (relayed on-chain in batches), auditors verify the
provenance of parts. Authenticate with Sign-In with Ethereum (EIP-4361): `GET /v1/auth/nonce`,
sign the message, `POST /v1/auth/token`, then send `Authorization: Bearer <token>`.
Errors are RFC 9457 `application/problem+json` with a stable `type` per domain error; each
operation lists the statuses it can answer. Interactive pages: `/docs` (Swagger UI) and
`/redoc`, served from the service itself (no CDN).
"""


def create_app(
    runtime: Runtime,
    *,
    close_runtime_on_shutdown: bool = False,
    custodians: Sequence[Identity] = (),
    relayer: LocalAccount | None = None,
    background: bool = True,
) -> FastAPI:
    """The service's ASGI app; routes reach the runtime through ``app.state.runtime``.

    ``custodians`` are OEM identities the service acts for (server-side encryption and
    on-chain writes); ``relayer`` overrides the funded relaying account; ``background``
    starts the relayer, the indexer and the head watcher with the app.

    With ``close_runtime_on_shutdown`` the app stops the local chain it was given
    when the server shuts down (uvicorn re-raises SIGTERM after shutdown, so a
    ``finally`` around ``uvicorn.run`` would never run).
    """
    context = ServiceContext.build(runtime, custodians=custodians, relayer=relayer)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background:
            context.start()
        try:
            yield
        finally:
            context.close()
            if close_runtime_on_shutdown:
                runtime.close()

    app = FastAPI(
        title="PartLedger",
        version=__version__,
        summary="Protect and trace 3D-printed parts: designs, print licences, attestations.",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets by partledger.api.docs
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.runtime = runtime
    app.state.context = context
    problems.install(app)
    docs.install(app, public_provenance=runtime.settings.api_public_provenance)
    for module in (health, ops, auth, designs, licences, hub, access, prints, audit, parts,
                   auditor_views, audit_session, carbon, pact):  # fmt: skip
        app.include_router(module.router)
    app.include_router(carbon.pages)
    app.state.pact_source = index_footprint_source(
        context.index_engine, product_records(app.state, context.engine), context.ledger.now
    )
    app.add_exception_handler(SignInRequired, audit_session.redirect_to_sign_in)
    app.add_middleware(
        RequestContext,
        metrics=context.metrics,
        max_json_bytes=runtime.settings.api_max_json_bytes,
    )
    return app
