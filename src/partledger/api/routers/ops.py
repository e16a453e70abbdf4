"""Readiness and Prometheus metrics (liveness is /health)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from partledger.api.deps import ContextDep
from partledger.api.schemas import ReadyPublic

router = APIRouter(tags=["ops"])


@router.get(
    "/ready",
    response_model=ReadyPublic,
    responses={503: {"model": ReadyPublic, "description": "The chain, database or store is down"}},
)
def ready(ctx: ContextDep) -> JSONResponse:
    """Chain, database and blob store reachable; indexer lag and relayer queue depth."""
    checks: dict[str, str] = {}
    lag = depth = None
    try:
        _ = ctx.ledger.w3.eth.block_number
        checks["chain"] = "ok"
    except Exception as exc:
        checks["chain"] = f"unreachable: {type(exc).__name__}"
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        depth = ctx.relayer.depth()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        list(zip(range(1), ctx.ledger.store.list(), strict=False))
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unreachable: {type(exc).__name__}"
    if ctx.index is not None:
        try:
            lag = ctx.indexer_lag()
            checks["index"] = "ok" if lag is not None else "not synced yet"
        except Exception as exc:
            checks["index"] = f"unreachable: {type(exc).__name__}"
    ok = all(v == "ok" for k, v in checks.items() if k != "index")
    body = ReadyPublic(
        status="ready" if ok else "unavailable",
        checks=checks,
        indexer_lag=lag,
        relayer_queue_depth=depth,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics(ctx: ContextDep) -> Response:
    """Prometheus metrics: request latency, relayer queue depth, indexer lag, findings."""
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
