"""Browser sign-in for the auditor pages: a ticket or token becomes a session cookie.

A browser has no wallet to answer Sign-In with Ethereum, so an auditor signs in with the CLI
(``partledger audit sign-in``), which asks ``POST /v1/auth/browser-ticket`` for a single-use
ticket valid two minutes and prints a link ``/audit/sign-in#ticket=...``. The ticket rides in
the URL's fragment, which browsers never send to a server (so no access log can hold it); the
page's script posts it to ``POST /audit/session``, which answers with an HttpOnly,
SameSite=Strict cookie holding a fresh token, valid for the auditor pages only. A token can be
pasted into the same form instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from partledger.api.deps import (
    SESSION_COOKIE,
    CallerDep,
    ContextDep,
    SignInRequired,
    client_address,
    public_origin,
)
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.schemas import BrowserTicketPublic
from partledger.api.services.auth import TICKET_PREFIX
from partledger.api.services.errors import Forbidden, Unauthenticated

router = APIRouter(tags=["auditor views"])
templates = Environment(
    loader=PackageLoader("partledger.api", "templates"), autoescape=select_autoescape(["html"])
)
COOKIE_PATH = "/audit"
DEFAULT_NEXT = "/audit/prints"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: an auditor page of this service, never another site."""
    if (
        not target
        or not target.startswith("/audit/")
        or target.startswith("/audit/sign")
        or "//" in target
        or "\\" in target
        or any(ord(c) < 0x20 for c in target)
    ):
        return DEFAULT_NEXT
    return target


def _page(next_: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    html = templates.get_template("auditor_sign_in.html").render(next=next_, error=error)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


@router.post("/v1/auth/browser-ticket", response_model=BrowserTicketPublic, responses=errors(*AUTH))
def browser_ticket(caller: CallerDep, ctx: ContextDep) -> BrowserTicketPublic:
    """A single-use ticket (valid two minutes) that signs a browser in to the auditor pages,
    and the link that does it (the ticket is in the link's fragment, never sent in a URL)."""
    issued = ctx.auth.issue_ticket(caller.address)
    return BrowserTicketPublic(
        ticket=issued.token,
        expires_at=issued.expires_at,
        sign_in_url=f"{public_origin(ctx)}/audit/sign-in#ticket={issued.token}",
    )


@router.get("/audit/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(next: str | None = None) -> HTMLResponse:
    """The sign-in form (a ticket in the URL's fragment is submitted by the page itself)."""
    return _page(safe_next(next))


@router.post("/audit/session", include_in_schema=False)
def open_session(
    request: Request,
    ctx: ContextDep,
    credential: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2048)] = DEFAULT_NEXT,
) -> Response:
    """Exchange a sign-in ticket (or a bearer token) for the auditor pages' session cookie."""
    target = safe_next(next)
    ctx.limiter.hit("ip:" + client_address(request))
    origin = request.headers.get("origin")
    if origin is not None and origin != public_origin(ctx) and origin not in ctx.auth.origins:
        raise Forbidden(f"a sign-in from {origin!r} is not accepted by this service")
    credential = credential.strip()
    try:
        if credential.startswith(TICKET_PREFIX + "."):
            issued = ctx.auth.redeem_ticket(credential)
        elif credential:
            issued = ctx.auth.check_token(credential)
        else:
            return _page(target, "Paste a sign-in ticket or a token.", 400)
    except Unauthenticated as exc:
        return _page(target, f"Not signed in: {exc}", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        expires=issued.expires_at,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=public_origin(ctx).startswith("https://"),
    )
    return response


@router.post("/audit/sign-out", include_in_schema=False)
def close_session(ctx: ContextDep) -> Response:
    """Forget the session cookie; back to the sign-in page."""
    response = RedirectResponse("/audit/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


def redirect_to_sign_in(_: Request, exc: Exception) -> Response:
    """The exception handler for ``SignInRequired``: 303 to the sign-in page."""
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(exc.location, status_code=303)
