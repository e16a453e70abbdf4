"""Audit: provenance of a part with per-claim verification; event feeds; reconciliation."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from partledger.api.deps import CallerDep, ContextDep, OptionalCallerDep
from partledger.api.problems import AUTH
from partledger.api.problems import problem_responses as errors
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import (
    EventPublic,
    EventsPublic,
    ProvenancePublic,
    ReconciliationPublic,
)
from partledger.api.services.errors import Unauthenticated

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=JsonBodyRoute)
Hex32Query = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")]
EventKey = Annotated[
    str | None,
    Query(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Give exactly one of `design_id` and `licence_id` (otherwise 422).",
    ),
]


@router.get(
    "/provenance/{serial_number}",
    response_model=ProvenancePublic,
    responses={
        **errors(*AUTH, 404, 422),
        401: {
            **errors(401)[401],
            "description": "An invalid or expired bearer token was sent, or this service "
            "requires one for provenance (`PARTLEDGER_API_PUBLIC_PROVENANCE=false`)",
        },
    },
)
async def provenance(
    serial_number: Annotated[str, PathParam(min_length=1, max_length=200)],
    caller: OptionalCallerDep,
    ctx: ContextDep,
    design_id: Hex32Query = None,
    batch: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> Response:
    """A part's history (design → licence → hub → machine → qualification → attestation →
    block) with each claim re-verified against the chain and the blob store. Public unless
    the service is configured otherwise. Merkle-anchored parts are found through their
    published batch documents (``batch`` names one explicitly). ``verified`` is true only if
    every claim passed, including ``print.serial_unique`` (no other attestation of the serial
    anywhere) and ``print.in_service`` (not invalidated or recalled)."""
    if caller is None and not ctx.settings.api_public_provenance:
        raise Unauthenticated("provenance lookups need a bearer token on this service")
    body = ctx.audit.cached(serial_number, design_id, batch)
    if body is None:
        body = await anyio.to_thread.run_sync(
            ctx.audit.provenance_json, serial_number, design_id, batch
        )
    return Response(body, media_type="application/json")


@router.get("/events", response_model=EventsPublic, responses=errors(*AUTH, 422))
def events(
    caller: CallerDep,
    ctx: ContextDep,
    design_id: EventKey = None,
    licence_id: EventKey = None,
    after_block: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventsPublic:
    """Ledger events about one design or licence, oldest first; page with ``after_block``
    (every event of a block is returned together)."""
    found = ctx.audit.events(
        design_id=design_id, licence_id=licence_id, after_block=after_block, limit=limit + 1
    )
    more = len(found) > limit
    page = found[:limit]
    if more and page:
        last = page[-1]["block_number"]
        page = [e for e in found if e["block_number"] <= last]
    return EventsPublic(
        events=[EventPublic(**e) for e in page],
        next_after_block=page[-1]["block_number"] if more and page else None,
    )


@router.get("/reconciliation", response_model=ReconciliationPublic, responses=errors(*AUTH, 422))
async def reconciliation(
    caller: CallerDep,
    ctx: ContextDep,
    deep: Annotated[bool, Query(description="Re-hash every blob (slow on large stores).")] = False,
) -> ReconciliationPublic:
    """Divergences between chain, index and blob store, each with ids and severity.

    Report only: repairs (re-ingest, quarantine, resume) are run by an operator with
    ``partledger reconcile --repair``."""
    body = await anyio.to_thread.run_sync(
        lambda: ctx.reconciliation.report(
            ctx.indexer, deep=deep, index_writer=ctx.index_role != "reader"
        )
    )
    return ReconciliationPublic(**body)
