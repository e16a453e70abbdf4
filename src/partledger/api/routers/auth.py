"""Sign-In with Ethereum: a nonce, then a signed EIP-4361 message for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from partledger.api.deps import CallerDep, ContextDep, client_address
from partledger.api.problems import AUTH, JSON_BODY
from partledger.api.problems import problem_responses as errors
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import MePublic, NoncePublic, TokenCreate, TokenPublic

router = APIRouter(prefix="/v1/auth", tags=["auth"], route_class=JsonBodyRoute)


@router.get("/nonce", response_model=NoncePublic, responses=errors(429))
def nonce(ctx: ContextDep, request: Request) -> NoncePublic:
    """A fresh single-use nonce to put in an EIP-4361 message."""
    ctx.limiter.hit("ip:" + client_address(request))
    return NoncePublic(nonce=ctx.auth.new_nonce(), expires_in=ctx.auth.nonce_ttl)


@router.post("/token", response_model=TokenPublic, responses=errors(*AUTH, *JSON_BODY))
def token(body: TokenCreate, ctx: ContextDep, request: Request) -> TokenPublic:
    """Exchange a signed EIP-4361 message (EOA or EIP-1271 wallet) for a bearer token."""
    ctx.limiter.hit("ip:" + client_address(request))
    issued = ctx.auth.sign_in(body.message, body.signature)
    return TokenPublic(
        access_token=issued.token,
        expires_at=issued.expires_at,
        address=issued.address,
        roles=sorted(ctx.auth.roles(issued.address)),
    )


@router.get("/me", response_model=MePublic, responses=errors(*AUTH))
def me(caller: CallerDep, ctx: ContextDep) -> MePublic:
    """Who the token is for, and the roles the chain gives that account now."""
    return MePublic(
        address=caller.address,
        roles=sorted(caller.roles),
        custodial=ctx.chain.is_custodial(caller.address),
    )
