"""The access log: who downloaded which container or key, when, from where, how much."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query

from partledger.api.deps import CallerDep, ContextDep
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import AccessChainPublic, AccessEntryPublic
from partledger.api.services.errors import Forbidden

router = APIRouter(prefix="/v1/access-log", tags=["access log"], route_class=JsonBodyRoute)


@router.get("", response_model=list[AccessEntryPublic], responses=errors(*AUTH, 403, 422))
def entries(
    caller: CallerDep,
    ctx: ContextDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccessEntryPublic]:
    """Accesses to the caller's designs (OEM) and by the caller (hub), oldest first;
    page with ``after`` = the last ``seq`` seen."""
    if caller.has("admin"):
        found = ctx.access.entries(after=after, limit=limit)
    elif caller.has("oem") or caller.has("hub"):
        found = ctx.access.entries(
            oem=caller.address if caller.has("oem") else None,
            hub=caller.address if caller.has("hub") else None,
            after=after,
            limit=limit,
        )
    else:
        raise Forbidden("only OEMs, hubs and admins have access-log entries")
    return [AccessEntryPublic(**e.__dict__) for e in found]


@router.get("/verify", response_model=AccessChainPublic, responses=errors(*AUTH))
def verify(caller: CallerDep, ctx: ContextDep) -> AccessChainPublic:
    """Re-hash the whole log: ``ok`` is false (with the first broken entry) if any entry was
    deleted, reordered or altered, or if entries up to an on-chain anchored head are gone
    (or an anchoring transaction no longer says what the log holds)."""
    check = ctx.access.verify()
    sender = ctx.anchoring()
    bad = ctx.access.verify_anchors_on_chain(sender) if check.ok and sender is not None else []
    if bad:
        check = replace(check, ok=False, first_broken_seq=bad[0])
    return AccessChainPublic(**check.__dict__)
