"""The hub's view: its licences with remaining prints, licensed downloads, machines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from partledger.api.deps import ContextDep, HubDep, client_address
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.routers.designs import (
    CONTAINER_RESPONSE,
    container_response,
    licence_public,
)
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import LicencePublic, MachinePublic, WrappedKeyPublic
from partledger.storage import get_bytes

router = APIRouter(prefix="/v1/hub", tags=["hub"], route_class=JsonBodyRoute)
LicenceIdPath = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$")]


@router.get("/licences", response_model=list[LicencePublic], responses=errors(*AUTH, 403))
def my_licences(caller: HubDep, ctx: ContextDep) -> list[LicencePublic]:
    """The caller's licences, with remaining prints, as the chain sees them now."""
    return [licence_public(v) for v in ctx.chain.licences_of_hub(caller.address)]


@router.get(
    "/licences/{licence_id}/container",
    response_class=StreamingResponse,
    responses={
        200: CONTAINER_RESPONSE,
        **errors(*AUTH, 403, 404, 422),
    },
)
def download_container(
    licence_id: LicenceIdPath, request: Request, caller: HubDep, ctx: ContextDep
) -> StreamingResponse:
    """The licensed design's encrypted container, only while the licence is usable (checked
    against the chain's current state); every download is logged."""
    licence, design = ctx.chain.hub_licence(caller, licence_id)
    ctx.chain.require_usable(licence)
    return container_response(ctx, request, caller.address, design, licence_id, caller.address)


@router.get(
    "/licences/{licence_id}/key",
    response_model=WrappedKeyPublic,
    responses=errors(*AUTH, 403, 404, 422),
)
def release_key(
    licence_id: LicenceIdPath, request: Request, caller: HubDep, ctx: ContextDep
) -> WrappedKeyPublic:
    """The design key wrapped to the hub's HPKE key, only while the licence is usable."""
    licence, design = ctx.chain.hub_licence(caller, licence_id)
    ctx.chain.require_usable(licence)
    blob = licence.wrapped_key_hash[2:]
    data = get_bytes(ctx.ledger.store, blob)
    ctx.access.append(
        account=caller.address, action="key", design_id=design.design_id,
        licence_id=licence.licence_id, hub=caller.address, oem=design.owner, blob=blob,
        size=len(data), complete=True, client=client_address(request),
        request_id=str(getattr(request.state, "request_id", "")),
    )  # fmt: skip
    return WrappedKeyPublic(
        licence_id=licence.licence_id,
        wrapped_key_hash=licence.wrapped_key_hash,
        wrapped_key="0x" + data.hex(),
    )


@router.get("/machines", response_model=list[MachinePublic], responses=errors(*AUTH, 403))
def my_machines(caller: HubDep, ctx: ContextDep) -> list[MachinePublic]:
    """The caller's registered machines."""
    return [MachinePublic(**m) for m in ctx.chain.machines_of(caller.address)]
