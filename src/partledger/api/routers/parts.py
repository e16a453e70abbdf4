"""The part's public page (the URL in its QR code), its passport, proof bundle, QR and label.

``GET /p/{designId}/{serial}`` answers a browser with a server-rendered page (no script, no
external asset: it works on an air-gapped factory network) and a client asking for
``application/vc+ld+json`` (or ``application/json``) with the part's passport credential. A
serial nobody attested gets a clear "not on the ledger — not verified" page (404).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from partledger.api.deps import ContextDep
from partledger.api.problems import MEDIA_TYPE, PROBLEM_REF
from partledger.api.problems import problem_responses as errors
from partledger.api.services.context import ServiceContext
from partledger.api.services.parts import PartNotFound, PartService

router = APIRouter(tags=["parts"])
templates = Environment(
    loader=PackageLoader("partledger.api", "templates"), autoescape=select_autoescape(["html"])
)
DesignPath = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$")]
SerialPath = Annotated[str, PathParam(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "not on the ledger (an HTML page, or a problem for JSON)",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            MEDIA_TYPE: {"schema": PROBLEM_REF},
        },
    },
    **errors(422, 503),
}
CREDENTIAL_TYPES = ("application/vc+ld+json", "application/json")


def parts_of(request: Request, ctx: ServiceContext) -> PartService:
    """The app's part service (made on first use), its cache tied to the audited chain head."""
    service: PartService | None = getattr(request.app.state, "parts", None)
    if service is None:
        settings = ctx.settings
        origin = settings.api_origin or f"http://{settings.api_host}:{settings.api_port}"
        signer = ctx.anchor_account or ctx.relayer.account
        service = PartService(ctx.ledger, signer, origin)
        request.app.state.parts = service
    service.head = ctx.audit.head
    return service


def _wants_credential(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and any(t in accept for t in CREDENTIAL_TYPES)


def _not_found(design_id: str, serial: str, request: Request) -> Response:
    if _wants_credential(request):
        return JSONResponse(
            {"type": "about:blank", "title": "Not on the ledger", "status": 404,
             "detail": f"no attestation names part {serial!r} of design {design_id}"},
            status_code=404, media_type="application/problem+json",
        )  # fmt: skip
    html = templates.get_template("not_found.html").render(design_id=design_id, serial=serial)
    return HTMLResponse(html, status_code=404)


@router.get(
    "/p/{design_id}/{serial_number}",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, "application/vc+ld+json": {}}}, **NOT_FOUND},
)
async def part_page(
    design_id: DesignPath, serial_number: SerialPath, request: Request, ctx: ContextDep
) -> Response:
    """The part's page: verdict, facts, every check in plain words, the bundle to download."""
    service = parts_of(request, ctx)
    try:
        if _wants_credential(request):
            credential = await anyio.to_thread.run_sync(
                service.credential, design_id, serial_number
            )
            return JSONResponse(credential, media_type="application/vc+ld+json")
        view: dict[str, Any] = await anyio.to_thread.run_sync(
            service.view, design_id, serial_number
        )
    except PartNotFound:
        return _not_found(design_id, serial_number, request)
    html = view.get("_html")
    if html is None:  # rendered once per part and chain head, like the view it shows
        html = view["_html"] = templates.get_template("part.html").render(v=view).encode()
    return HTMLResponse(html)


@router.get(
    "/p/{design_id}/{serial_number}/passport.json",
    responses={200: {"content": {"application/json": {}}}, **NOT_FOUND},
)
async def part_bundle(
    design_id: DesignPath, serial_number: SerialPath, request: Request, ctx: ContextDep
) -> Response:
    """The part's signed proof bundle, to verify offline (``partledger passport verify``)."""
    service = parts_of(request, ctx)
    try:
        data = await anyio.to_thread.run_sync(service.bundle, design_id, serial_number)
    except PartNotFound:
        return _not_found(design_id, serial_number, request)
    name = f"part-{serial_number}.passport.json".replace('"', "")
    return Response(data, media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _image(kind: str, media_type: str) -> Any:
    async def image(
        design_id: DesignPath, serial_number: SerialPath, request: Request, ctx: ContextDep
    ) -> Response:
        service = parts_of(request, ctx)
        try:
            await anyio.to_thread.run_sync(service.exists, design_id, serial_number)
        except PartNotFound:
            return _not_found(design_id, serial_number, request)
        return Response(service.qr(design_id, serial_number, kind), media_type=media_type)

    image.__doc__ = f"The part's URL as a {kind} image."
    return image


for _suffix, _kind, _media in (
    ("qr.svg", "svg", "image/svg+xml"),
    ("qr.png", "png", "image/png"),
    ("label.svg", "label", "image/svg+xml"),
):
    router.add_api_route(
        f"/p/{{design_id}}/{{serial_number}}/{_suffix}", _image(_kind, _media),
        methods=["GET"], response_class=Response,
        responses={200: {"content": {_media: {}}}, **NOT_FOUND}, name=f"part_{_kind}",
    )  # fmt: skip
