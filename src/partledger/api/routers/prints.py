"""Prints: hub-signed EIP-712 attestations, relayed on-chain in batches; receipts to poll."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from partledger.api.deps import CallerDep, ContextDep, HubDep
from partledger.api.problems import AUTH, JSON_BODY
from partledger.api.problems import problem_responses as errors
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import AttestationsCreate, ReceiptPublic, ReceiptsPublic
from partledger.api.services.relayer import RelayReceipt, Submission
from partledger.chain.ids import PrintRecord
from partledger.sdk.types import to_bytes32

router = APIRouter(prefix="/v1/prints", tags=["prints"], route_class=JsonBodyRoute)


def receipt_public(r: RelayReceipt) -> ReceiptPublic:
    return ReceiptPublic(**r.__dict__)


@router.post(
    "",
    response_model=ReceiptsPublic,
    status_code=202,
    responses=errors(*AUTH, *JSON_BODY, 403, 404, 409),
)
def submit(body: AttestationsCreate, caller: HubDep, ctx: ContextDep) -> ReceiptsPublic:
    """Queue signed attestations (each checked against the licence's hub) for relaying from
    the service's funded account. Returns one receipt per attestation; submitting the same
    attestation again returns its existing receipt."""
    items = [
        Submission(
            PrintRecord(
                to_bytes32(a.licence_id),
                to_bytes32(a.serial),
                to_bytes32(a.machine_id),
                to_bytes32(a.material_lot_hash),
                to_bytes32(a.quality_report_hash),
            ),
            a.deadline,
            bytes.fromhex(a.signature[2:]),
        )
        for a in body.attestations
    ]
    receipts = ctx.relayer.submit(caller.address, items)
    return ReceiptsPublic(receipts=[receipt_public(r) for r in receipts])


@router.get(
    "/receipts/{receipt_id}", response_model=ReceiptPublic, responses=errors(*AUTH, 403, 404, 422)
)
def receipt(
    receipt_id: Annotated[str, PathParam(pattern=r"^[0-9a-f\-]{36}$")],
    caller: CallerDep,
    ctx: ContextDep,
) -> ReceiptPublic:
    """pending → mined → final (or failed, with the contract error), with the tx hash."""
    return receipt_public(ctx.relayer.receipt(receipt_id, caller.address))
