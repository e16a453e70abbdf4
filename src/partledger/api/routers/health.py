"""Liveness: is the service up, which chain and ledger does it serve."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from partledger.api.deps import ContextDep, RuntimeDep
from partledger.api.problems import problem_responses as errors

router = APIRouter(tags=["ops"])


class HealthPublic(BaseModel):
    """What ``/health`` reports."""

    status: str
    network: str
    chain_id: int
    block_number: int
    contracts: dict[str, str]
    relayer: str = "leader"
    """``leader`` if this replica runs the relayer and anchor writer, else ``standby``."""
    indexer: str = "off"
    """``writer`` if this replica writes the index, ``reader`` if it reads the index another
    replica writes (a shared PostgreSQL index), ``off`` without an indexer."""


@router.get("/health", response_model=HealthPublic, responses=errors(503))
def health(runtime: RuntimeDep, ctx: ContextDep) -> HealthPublic | JSONResponse:
    """The chain id, latest block, the ledger's contract addresses and whether this replica
    leads (runs the relayer) and whether it writes the index."""
    deployment = runtime.deployment
    try:
        chain_id = runtime.w3.eth.chain_id
        block_number = runtime.w3.eth.block_number
    except Exception as exc:
        return JSONResponse(
            status_code=503,
            media_type="application/problem+json",
            content={
                "type": "https://partledger.dev/problems/chain-unavailable",
                "title": "The chain does not answer",
                "status": 503,
                "detail": f"{type(exc).__name__}: {exc}",
            },
        )
    return HealthPublic(
        status="ok",
        network=deployment.network,
        chain_id=chain_id,
        block_number=block_number,
        contracts={name: c.address for name, c in sorted(deployment.contracts.items())},
        relayer=ctx.leadership.state,
        indexer=ctx.index_role,
    )
