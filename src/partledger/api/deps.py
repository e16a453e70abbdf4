"""Dependencies shared by the routers (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from partledger.api.services.auth import Principal
from partledger.api.services.context import ServiceContext
from partledger.api.services.errors import Forbidden, Unauthenticated
from partledger.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="A token from POST /v1/auth/token")


async def get_runtime(request: Request) -> Runtime:
    """The process's connected ledger."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_context(request: Request) -> ServiceContext:
    """The service instance (ledger, databases, services)."""
    ctx: ServiceContext = request.app.state.context
    return ctx


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ContextDep = Annotated[ServiceContext, Depends(get_context)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def get_caller(
    request: Request,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller (401 without a valid token); rate-limited per account.

    The token is checked on the event loop (HMAC only); the roles are read from the
    chain in a worker thread when not cached.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        ctx.limiter.hit("ip:" + client_address(request))
        raise Unauthenticated("a bearer token is required (see POST /v1/auth/token)")
    address = ctx.auth.verify_token(credentials.credentials)
    ctx.limiter.hit("acct:" + address)
    request.state.account = address
    roles = ctx.auth.cached_roles(address)
    if roles is None:
        roles = await anyio.to_thread.run_sync(ctx.auth.roles, address)
    return Principal(address, roles)


async def get_optional_caller(
    request: Request,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        ctx.limiter.hit("ip:" + client_address(request))
        return None
    return await get_caller(request, ctx, credentials)


CallerDep = Annotated[Principal, Depends(get_caller)]

SESSION_COOKIE = "partledger_session"
"""The auditor pages' session cookie (a bearer token; HttpOnly, SameSite=Strict, path /audit)."""


class SignInRequired(Exception):
    """An auditor page was asked for without a session: the browser goes to the sign-in page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def get_viewer(
    request: Request,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of an auditor page: a bearer token, else the session cookie set by the
    sign-in page. A browser without either is sent to sign in (``SignInRequired``); CSV and
    other clients get 401. The cookie is honoured only on these read-only pages (``GET``)."""
    if credentials is not None:
        return await get_caller(request, ctx, credentials)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            return await get_caller(
                request, ctx, HTTPAuthorizationCredentials(scheme="Bearer", credentials=cookie)
            )
        except Unauthenticated:
            if not _wants_page(request):
                raise
    if _wants_page(request):
        ctx.limiter.hit("ip:" + client_address(request))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired("/audit/sign-in?" + urlencode({"next": target}))
    return await get_caller(request, ctx, credentials)


def _wants_page(request: Request) -> bool:
    """A browser asking for an HTML page (not a CSV export, not an API client)."""
    if request.url.path.endswith(".csv") or request.query_params.get("format") == "csv":
        return False
    return "text/html" in request.headers.get("accept", "")


ViewerDep = Annotated[Principal, Depends(get_viewer)]


def public_origin(ctx: ServiceContext) -> str:
    """The origin clients reach the service at (``PARTLEDGER_API_ORIGIN``, else host and port)."""
    settings = ctx.settings
    origin = settings.api_origin or f"http://{settings.api_host}:{settings.api_port}"
    return origin.rstrip("/")


OptionalCallerDep = Annotated[Principal | None, Depends(get_optional_caller)]


def _role(role: str) -> object:
    def check(caller: CallerDep) -> Principal:
        if not caller.has(role):
            raise Forbidden(f"this needs the {role} role on the ledger")
        return caller

    return Depends(check)


OemDep = Annotated[Principal, _role("oem")]
HubDep = Annotated[Principal, _role("hub")]
