"""Designs (OEM): blob uploads, server-side-encrypted registration, lifecycle, downloads."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from partledger.api.deps import CallerDep, ContextDep, OemDep, client_address
from partledger.api.problems import AUTH, JSON_BODY
from partledger.api.problems import problem_responses as errors
from partledger.api.routing import JsonBodyRoute
from partledger.api.schemas import (
    BlobPublic,
    DesignActionCreate,
    DesignPublic,
    LicencePublic,
    PublicProductCreate,
    PublicProductPublic,
    RegisteredDesignPublic,
    TxPublic,
)
from partledger.api.services.context import ServiceContext
from partledger.api.services.db import uploads
from partledger.api.services.errors import Forbidden, InvalidRequest, NotFound
from partledger.api.services.ledger import DesignInfo
from partledger.api.services.products import product_records
from partledger.api.streaming import MULTIPART, receive_upload, stream_file
from partledger.crypto import HEADER_SIZE, ContainerHeader, WrappedKey
from partledger.sdk import DesignMetadata, LicenceView, RegisteredDesign
from partledger.storage import BlobInfo
from partledger.storage.blob_store import BlobHashMismatchError

router = APIRouter(tags=["designs"], route_class=JsonBodyRoute)
DesignIdPath = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$")]
SMALL_BLOB = 1024 * 1024
CONTAINER_RESPONSE = {
    "description": "The encrypted container (`X-Content-SHA256`: its blob id)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
LIFECYCLE = errors(*AUTH, *JSON_BODY, 403, 404, 409)


class BlobKind(StrEnum):
    container = "container"
    wrapped_key = "wrapped-key"
    metadata = "metadata"
    terms = "terms"
    report = "report"


CONTAINER_KINDS = frozenset({BlobKind.container, BlobKind.metadata, BlobKind.terms})
"""Kinds that are encrypted containers (metadata and terms are sealed documents)."""


def design_public(d: DesignInfo) -> DesignPublic:
    return DesignPublic(**d.__dict__)


def licence_public(v: LicenceView) -> LicencePublic:
    standard = bytes(v.required_standard).rstrip(b"\0").decode(errors="replace") or None
    return LicencePublic(
        licence_id=v.licence_id,
        design_id=v.design_id,
        hub=v.hub,
        licence_index=v.licence_index,
        max_prints=v.max_prints,
        printed=v.printed,
        remaining=v.remaining,
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        status=v.status,
        required_standard=standard,
        terms_hash=v.terms_hash,
        wrapped_key_hash=v.wrapped_key_hash,
        refund_on_invalidate=v.refund_on_invalidate,
    )


def registered_public(r: RegisteredDesign) -> RegisteredDesignPublic:
    return RegisteredDesignPublic(
        design_id=r.design_id,
        content_sha256=r.content_sha256,
        container_sha256=r.container_sha256,
        metadata_hash=r.metadata_hash,
        revises=r.revises,
        tx=TxPublic(tx_hash=r.tx.tx_hash, block_number=r.tx.block_number),
    )


@router.post(
    "/v1/blobs",
    response_model=BlobPublic,
    status_code=201,
    responses=errors(*AUTH, 403, 413, 415, 422, 507),
    openapi_extra={
        "requestBody": {
            "description": "The blob: `application/octet-stream` (the body is the file) or "
            "`multipart/form-data` (a `file` part). `container`, `metadata` and `terms` must "
            "be PartLedger containers (their header is checked: 422 `invalid-container`), "
            "`wrapped-key` an HPKE-wrapped key (422 `invalid-wrapped-key`); a `report` is "
            "any bytes. Other media types: 415.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
            "required": True,
        }
    },
)
async def upload_blob(
    request: Request,
    caller: CallerDep,
    ctx: ContextDep,
    kind: BlobKind = BlobKind.container,
    content_sha256: Annotated[
        str | None,
        Header(
            alias="X-Content-SHA256",
            pattern=r"^(0x)?[0-9a-fA-F]{64}$",
            description="The blob's SHA-256 (hex), when the client knows it already (an "
            "encrypted container's hash is known once it is encrypted). The blob is then "
            "stored only if its bytes hash to it: otherwise 422 naming both hashes, nothing "
            "stored. On an S3 store it also lets the blob be written in place (no copy).",
        ),
    ] = None,
) -> BlobPublic:
    """Stream an already-encrypted blob into the store (container, wrapped key, metadata,
    terms: OEMs; quality report: hubs). Content-addressed: the response names its SHA-256,
    which the OEM then commits on-chain itself.

    With `X-Content-SHA256: <hex>` the body must hash to that value: a mismatch is 422
    `invalid-request` (its `expected_sha256` and `actual_sha256` name both) and nothing is
    stored."""
    needed = "hub" if kind is BlobKind.report else "oem"
    if not caller.has(needed):
        raise Forbidden(f"uploading a {kind.value} needs the {needed} role")
    big = kind is BlobKind.container
    limit = ctx.settings.api_max_upload_bytes if big else SMALL_BLOB
    store = ctx.ledger.store
    expected = None if content_sha256 is None else content_sha256.lower().removeprefix("0x")

    def consume(chunks: Iterator[bytes]) -> BlobInfo:
        if kind in CONTAINER_KINDS:
            checked = _checked_container(chunks)
            return store.put(checked, max_bytes=limit, expected_sha256=expected)
        if kind is BlobKind.wrapped_key:
            data = b"".join(chunks)  # at most SMALL_BLOB
            WrappedKey.from_bytes(data)  # KeyWrapError: 422 invalid-wrapped-key
            return store.put([data], max_bytes=limit, expected_sha256=expected)
        return store.put(chunks, max_bytes=limit, expected_sha256=expected)

    try:
        info, _, _ = await receive_upload(
            request,
            consume,
            limit=limit,
            what=f"a {kind.value} blob",
            setting="PARTLEDGER_API_MAX_UPLOAD_BYTES" if big else None,
        )
    except BlobHashMismatchError as exc:
        raise InvalidRequest(
            f"the body hashes to {exc.actual}, not to its X-Content-SHA256 {exc.expected}; "
            "nothing was stored",
            expected_sha256=exc.expected,
            actual_sha256=exc.actual,
        ) from None
    ctx.metrics.transfer_bytes.labels("up").inc(info.size)
    await anyio.to_thread.run_sync(_remember_upload, ctx, info, caller.address, kind.value)
    return BlobPublic(sha256=info.sha256, size=info.size, kind=kind.value)


def _checked_container(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pass the chunks on once the first ``HEADER_SIZE`` bytes parse as a container header
    (``ContainerError``, 422 invalid-container, otherwise: e.g. plaintext sent by mistake)."""
    head = b""
    for chunk in chunks:
        if len(head) >= HEADER_SIZE:
            yield chunk
            continue
        head += chunk
        if len(head) >= HEADER_SIZE:
            ContainerHeader.from_bytes(head[:HEADER_SIZE])
            yield head
    if len(head) < HEADER_SIZE:
        ContainerHeader.from_bytes(head)  # raises: empty, truncated or not a container


def _remember_upload(ctx: ServiceContext, info: BlobInfo, account: str, kind: str) -> None:
    """Record who uploaded a blob (an account re-uploading the same bytes is already known)."""
    import time

    with contextlib.suppress(IntegrityError), ctx.engine.begin() as conn:
        conn.execute(
            insert(uploads).values(
                blob=info.sha256, account=account, kind=kind, size=info.size, at=int(time.time())
            )
        )


@router.get("/v1/designs", response_model=list[DesignPublic], responses=errors(*AUTH, 403))
def list_designs(caller: OemDep, ctx: ContextDep) -> list[DesignPublic]:
    """The caller's own designs."""
    return [design_public(d) for d in ctx.chain.designs_of(caller.address)]


def _metadata(fields: dict[str, bytes]) -> DesignMetadata:
    raw = fields.get("metadata")
    if raw is None:
        raise InvalidRequest("a 'metadata' form field (JSON) is required")
    try:
        doc: Any = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        extra = doc.get("extra", {})
        if not isinstance(extra, dict):
            raise ValueError("extra must be an object")
        return DesignMetadata(
            part_number=str(doc["part_number"]),
            revision=str(doc["revision"]),
            material=str(doc["material"]),
            process=str(doc["process"]),
            title=str(doc.get("title", "")),
            extra={str(k): str(v) for k, v in extra.items()},
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(f"invalid metadata: {exc}") from None


_PLAINTEXT_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "metadata": {
                            "type": "string",
                            "description": "JSON: part_number, revision, material, process, "
                            "title, extra",
                        },
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["metadata", "file"],
                }
            }
        },
        "required": True,
    }
}


async def _register_plaintext(
    request: Request, caller: Any, ctx: ServiceContext, revises: str | None
) -> RegisteredDesignPublic:
    ctx.chain.custodian(caller)  # 409 before reading the body when there is no custody
    spool = Path(tempfile.mkdtemp(prefix="upload-", dir=_spool_dir(ctx)))
    try:
        target = spool / "design"

        def consume(chunks: Iterator[bytes]) -> Path:
            with target.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            return target

        path, fields, _ = await receive_upload(
            request,
            consume,
            limit=ctx.settings.api_max_upload_bytes,
            accept=(MULTIPART,),
            what="the design file",
        )
        metadata = _metadata(fields)
        registered = await anyio.to_thread.run_sync(
            lambda: ctx.chain.register_plaintext(caller, path, metadata, revises=revises)
        )
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    return registered_public(registered)


def _spool_dir(ctx: ServiceContext) -> Path:
    directory = ctx.settings.data_dir / "api" / "spool"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


@router.post(
    "/v1/designs",
    response_model=RegisteredDesignPublic,
    status_code=201,
    responses=errors(*AUTH, 403, 404, 409, 413, 415, 422, 507),
    openapi_extra=_PLAINTEXT_BODY,
)
async def register_design(
    request: Request, caller: OemDep, ctx: ContextDep
) -> RegisteredDesignPublic:
    """Server-side encryption (custodial OEMs only): stream the plaintext; the service
    encrypts it with a fresh data key, wraps that key to the OEM's custodial HPKE key,
    and registers the design on-chain from the OEM's custodial account."""
    return await _register_plaintext(request, caller, ctx, None)


@router.get(
    "/v1/designs/{design_id}", response_model=DesignPublic, responses=errors(*AUTH, 403, 404, 422)
)
def get_design(design_id: DesignIdPath, caller: CallerDep, ctx: ContextDep) -> DesignPublic:
    """A design's on-chain record (its owner and its licensed hubs)."""
    return design_public(ctx.chain.visible_design(caller, design_id))


@router.post(
    "/v1/designs/{design_id}/revisions",
    response_model=RegisteredDesignPublic,
    status_code=201,
    responses=errors(*AUTH, 403, 404, 409, 413, 415, 422, 507),
    openapi_extra=_PLAINTEXT_BODY,
)
async def revise_design(
    design_id: DesignIdPath, request: Request, caller: OemDep, ctx: ContextDep
) -> RegisteredDesignPublic:
    """Register a new revision of a design (custodial OEMs; plaintext as for POST /designs)."""
    await anyio.to_thread.run_sync(ctx.chain.owned_design, caller, design_id)
    return await _register_plaintext(request, caller, ctx, design_id)


@router.post("/v1/designs/{design_id}/deprecate", response_model=TxPublic, responses=LIFECYCLE)
def deprecate_design(
    design_id: DesignIdPath, body: DesignActionCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """No new licences for the design (custodial OEMs)."""
    tx = ctx.chain.design_action(caller, design_id, "deprecate", body.reason.encode())
    return TxPublic(tx_hash=tx.tx_hash, block_number=tx.block_number)


@router.post("/v1/designs/{design_id}/recall", response_model=TxPublic, responses=LIFECYCLE)
def recall_design(
    design_id: DesignIdPath, body: DesignActionCreate, caller: OemDep, ctx: ContextDep
) -> TxPublic:
    """No new licences or prints; printed parts show as recalled (custodial OEMs)."""
    tx = ctx.chain.design_action(caller, design_id, "recall", body.reason.encode())
    return TxPublic(tx_hash=tx.tx_hash, block_number=tx.block_number)


@router.put(
    "/v1/designs/{design_id}/public", response_model=PublicProductPublic, responses=LIFECYCLE
)
def put_public_product(
    design_id: DesignIdPath,
    body: PublicProductCreate,
    request: Request,
    caller: OemDep,
    ctx: ContextDep,
) -> PublicProductPublic:
    """Declare what is public about the parts printed from one of the caller's designs: its
    GS1 GTIN (then each part's URL is its GS1 Digital Link, ``/01/{gtin}/21/{serial}``) and
    the product's name, part number, revision, material, process and description. Replaces
    the whole record; nothing else about a design is ever disclosed. 409 if another design
    already holds the GTIN."""
    design = ctx.chain.owned_design(caller, design_id)
    records = product_records(request.app.state, ctx.engine)
    record = records.put(design.design_id, caller.address, body.model_dump())
    return PublicProductPublic(**record)


@router.get(
    "/v1/designs/{design_id}/public",
    response_model=PublicProductPublic,
    responses=errors(404, 422, 429),
)
def get_public_product(design_id: DesignIdPath, request: Request, ctx: ContextDep) -> Any:
    """A design's public product record, as its owner declared it (no token needed; 404 if
    the owner declared none)."""
    ctx.limiter.hit("ip:" + client_address(request))
    record = product_records(request.app.state, ctx.engine).get(design_id)
    if record is None:
        raise NotFound(f"the owner of design {design_id} declared no public product record")
    return PublicProductPublic(**record)


@router.get(
    "/v1/designs/{design_id}/licences",
    response_model=list[LicencePublic],
    responses=errors(*AUTH, 403, 404, 422),
)
def design_licences(
    design_id: DesignIdPath, caller: OemDep, ctx: ContextDep
) -> list[LicencePublic]:
    """Every licence of one of the caller's designs, as the chain sees it now."""
    design = ctx.chain.owned_design(caller, design_id)
    return [licence_public(v) for v in ctx.chain.licences_of_design(design)]


@router.get(
    "/v1/designs/{design_id}/container",
    response_class=StreamingResponse,
    responses={
        200: CONTAINER_RESPONSE,
        **errors(*AUTH, 403, 404, 422),
    },
)
def download_own_container(
    design_id: DesignIdPath,
    request: Request,
    caller: OemDep,
    ctx: ContextDep,
) -> StreamingResponse:
    """The encrypted container of one of the caller's designs (logged)."""
    design = ctx.chain.owned_design(caller, design_id)
    return container_response(ctx, request, caller.address, design, None, None)


def container_response(
    ctx: ServiceContext,
    request: Request,
    account: str,
    design: DesignInfo,
    licence_id: str | None,
    hub: str | None,
) -> StreamingResponse:
    """Stream a container, logging the release first and any incomplete transfer after."""
    blob = design.container_hash[2:]
    size = ctx.ledger.store.stat(blob).size
    handle = ctx.ledger.store.open(blob)
    common: dict[str, Any] = {
        "account": account, "design_id": design.design_id, "licence_id": licence_id, "hub": hub,
        "oem": design.owner, "blob": blob, "client": client_address(request),
        "request_id": str(getattr(request.state, "request_id", "")),
    }  # fmt: skip
    ctx.access.append(action="container", size=size, complete=True, **common)

    def done(sent: int, complete: bool) -> None:
        ctx.metrics.transfer_bytes.labels("down").inc(sent)
        if not complete:
            ctx.access.append(action="container-aborted", size=sent, complete=False, **common)

    return StreamingResponse(
        stream_file(handle, done),
        media_type="application/octet-stream",
        headers={"Content-Length": str(size), "X-Content-SHA256": blob},
    )
