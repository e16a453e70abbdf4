"""Licences (OEM): issue (key wrapped server-side to the hub's on-chain key), amend,
suspend, resume, revoke; list by design or hub."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from partledger.api.deps import CallerDep, ContextDep, OemDep
from partledger.api.problems import AUTH, JSON_BODY
from partledger.api.problems import problem_responses as errors
from partledger.api.routers.designs import licence_public
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import (
    IssuedLicencePublic,
    LicenceActionCreate,
    LicenceAmendCreate,
    LicenceCreate,
    LicencePublic,
    TxPublic,
)
from partledger.api.services.errors import Forbidden, InvalidRequest
from partledger.api.services.ledger import checksum
from partledger.sdk.types import TxRef

router = APIRouter(prefix="/v1/licences", tags=["licences"], route_class=JsonBodyRoute)
EXACTLY_ONE = "Give exactly one of `design_id` and `hub` (otherwise 422)."
WRITE = errors(*AUTH, *JSON_BODY, 403, 404, 409)
LicenceIdPath = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$")]


def _tx(tx: TxRef) -> TxPublic:
    return TxPublic(tx_hash=tx.tx_hash, block_number=tx.block_number)


@router.post(
    "",
    response_model=IssuedLicencePublic,
    status_code=201,
    responses={**WRITE, **errors(507)},
)
def issue_licence(body: LicenceCreate, caller: OemDep, ctx: ContextDep) -> IssuedLicencePublic:
    """License a hub (custodial OEMs): the design key is wrapped to the hub's on-chain HPKE
    key, wrapped key and sealed terms are stored, their hashes go on-chain."""
    issued = ctx.chain.issue_licence(
        caller,
        body.design_id,
        hub_address=body.hub,
        hub=checksum(body.hub),
        max_prints=body.max_prints,
        valid_until=body.valid_until,
        valid_from=body.valid_from,
        required_standard=body.required_standard,
        terms=dict(body.terms),
        refund_on_invalidate=body.refund_on_invalidate,
    )
    return IssuedLicencePublic(
        licence_id=issued.licence_id,
        design_id=issued.design_id,
        hub=issued.hub,
        wrapped_key_hash=issued.wrapped_key_hash,
        terms_hash=issued.terms_hash,
        tx=_tx(issued.tx),
    )


@router.get("", response_model=list[LicencePublic], responses=errors(*AUTH, 403, 404, 422))
def list_licences(
    caller: CallerDep,
    ctx: ContextDep,
    design_id: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description=EXACTLY_ONE)
    ] = None,
    hub: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description=EXACTLY_ONE)
    ] = None,
) -> list[LicencePublic]:
    """Licences of one of the caller's designs, or of a hub: the hub itself sees all of its
    licences, an OEM only those on its own designs."""
    if (design_id is None) == (hub is None):
        raise InvalidRequest("give exactly one of design_id and hub")
    if design_id is not None:
        design = ctx.chain.owned_design(caller, design_id)
        return [licence_public(v) for v in ctx.chain.licences_of_design(design)]
    assert hub is not None
    hub_address = checksum(hub)
    views = ctx.chain.licences_of_hub(hub_address)
    if hub_address == caller.address:
        return [licence_public(v) for v in views]
    if not caller.has("oem"):
        raise Forbidden("only the hub itself or an OEM may list a hub's licences")
    mine = [v for v in views if ctx.chain.design(v.design_id).owner == caller.address]
    return [licence_public(v) for v in mine]


@router.get("/{licence_id}", response_model=LicencePublic, responses=errors(*AUTH, 403, 404, 422))
def get_licence(licence_id: LicenceIdPath, caller: CallerDep, ctx: ContextDep) -> LicencePublic:
    """A licence as the chain sees it now (its hub and its design's owner only)."""
    licence, _ = ctx.chain.visible_licence(caller, licence_id)
    return licence_public(licence)


@router.post("/{licence_id}/amend", response_model=TxPublic, responses=WRITE)
def amend_licence(
    licence_id: LicenceIdPath, body: LicenceAmendCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """Add prints and/or extend validity (custodial OEMs)."""
    return _tx(
        ctx.chain.licence_action(
            caller, licence_id, "amend", b"",
            add_prints=body.add_prints, valid_until=body.valid_until, terms_hash=body.terms_hash,
        )
    )  # fmt: skip


@router.post("/{licence_id}/suspend", response_model=TxPublic, responses=WRITE)
def suspend_licence(
    licence_id: LicenceIdPath, body: LicenceActionCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """Suspend a licence (custodial OEMs)."""
    return _tx(ctx.chain.licence_action(caller, licence_id, "suspend", body.reason.encode()))


@router.post("/{licence_id}/resume", response_model=TxPublic, responses=WRITE)
def resume_licence(
    licence_id: LicenceIdPath, body: LicenceActionCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """Resume a suspended licence (custodial OEMs)."""
    return _tx(ctx.chain.licence_action(caller, licence_id, "resume", b""))


@router.post("/{licence_id}/revoke", response_model=TxPublic, responses=WRITE)
def revoke_licence(
    licence_id: LicenceIdPath, body: LicenceActionCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """Revoke a licence for good (custodial OEMs)."""
    return _tx(ctx.chain.licence_action(caller, licence_id, "revoke", body.reason.encode()))
