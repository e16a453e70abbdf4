"""The part's public page (the URL in its QR code), its passport, proof bundle, QR and label.

``GET /p/{designId}/{serial}`` answers a browser with a server-rendered page (no script, no
external asset: it works on an air-gapped factory network) and a client asking for
``application/vc+ld+json`` (or ``application/json``) with the part's passport credential. A
serial nobody attested gets a clear "not on the ledger — not verified" page (404).

``GET /01/{gtin}/21/{serial}`` (GS1 Digital Link) is the same part when its design's owner
declared that GTIN (``PUT /v1/designs/{designId}/public``): every route exists in both forms,
sharing one implementation; a GTIN nobody declared gets the same kind of 404 page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from partledger.api.deps import ContextDep, public_origin
from partledger.api.problems import MEDIA_TYPE, PROBLEM_REF
from partledger.api.problems import problem_responses as errors
from partledger.api.services.context import ServiceContext
from partledger.api.services.parts import PartNotFound, PartService
from partledger.api.services.products import product_records
from partledger.passport.gs1 import normalize_gtin

router = APIRouter(tags=["parts"])
templates = Environment(
    loader=PackageLoader("partledger.api", "templates"), autoescape=select_autoescape(["html"])
)
DesignPath = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$")]
SerialPath = Annotated[str, PathParam(min_length=1, max_length=200)]
GtinPath = Annotated[
    str, PathParam(pattern=r"^(\d{8}|\d{12,14})$", description="GS1 GTIN (8, 12, 13 or 14 digits)")
]
Gs1SerialPath = Annotated[
    str,
    PathParam(
        pattern=r"^[!\"%&'()*+,\-.0-9:;<=>?A-Z_a-z]{1,20}$",
        description="GS1 serial number (AI 21), percent-encoded in the URL",
    ),
]
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
Handler = Callable[[str, str, Request, ServiceContext], Awaitable[Response]]


def parts_of(request: Request, ctx: ServiceContext) -> PartService:
    """The app's part service (made on first use), its cache tied to the audited chain head."""
    service: PartService | None = getattr(request.app.state, "parts", None)
    if service is None:
        origin = public_origin(ctx)
        signer = ctx.anchor_account or ctx.relayer.account
        products = product_records(request.app.state, ctx.engine)
        service = PartService(ctx.ledger, signer, origin, products)
        request.app.state.parts = service
    service.head = ctx.audit.head
    return service


def _wants_credential(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and any(t in accept for t in CREDENTIAL_TYPES)


def _not_found(
    design_id: str | None, serial: str, request: Request, gtin: str | None = None
) -> Response:
    if design_id is None:
        detail = f"no product is registered under GTIN {gtin}"
    else:
        detail = f"no attestation names part {serial!r} of design {design_id}"
    if _wants_credential(request):
        return JSONResponse(
            {"type": "about:blank", "title": "Not on the ledger", "status": 404, "detail": detail},
            status_code=404, media_type="application/problem+json",
        )  # fmt: skip
    html = templates.get_template("not_found.html").render(
        design_id=design_id, serial=serial, gtin=gtin
    )
    return HTMLResponse(html, status_code=404)


async def _page(
    design_id: str, serial_number: str, request: Request, ctx: ServiceContext
) -> Response:
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


async def _bundle(
    design_id: str, serial_number: str, request: Request, ctx: ServiceContext
) -> Response:
    service = parts_of(request, ctx)
    try:
        data = await anyio.to_thread.run_sync(service.bundle, design_id, serial_number)
    except PartNotFound:
        return _not_found(design_id, serial_number, request)
    name = f"part-{serial_number}.passport.json".replace('"', "")
    return Response(data, media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _image(kind: str, media_type: str) -> Handler:
    async def image(
        design_id: str, serial_number: str, request: Request, ctx: ServiceContext
    ) -> Response:
        service = parts_of(request, ctx)
        try:
            await anyio.to_thread.run_sync(service.exists, design_id, serial_number)
        except PartNotFound:
            return _not_found(design_id, serial_number, request)
        data = await anyio.to_thread.run_sync(service.qr, design_id, serial_number, kind)
        return Response(data, media_type=media_type)

    return image


async def _design_of(
    gtin: str, serial_number: str, request: Request, ctx: ServiceContext
) -> str | Response:
    """The design whose owner declared ``gtin``, or the 404 page saying no product has it."""
    try:
        normal = normalize_gtin(gtin)
    except ValueError:
        return _not_found(None, serial_number, request, gtin)
    records = product_records(request.app.state, ctx.engine)
    record = await anyio.to_thread.run_sync(records.by_gtin, normal)
    if record is None:
        return _not_found(None, serial_number, request, normal)
    design_id: str = record["design_id"]
    return design_id


def _both_forms(
    suffix: str, handler: Handler, name: str, doc: str, media: dict[str, Any], **kw: Any
) -> None:
    """Add the route as ``/p/{designId}/{serial}…`` and ``/01/{gtin}/21/{serial}…``."""

    async def by_design(
        design_id: DesignPath, serial_number: SerialPath, request: Request, ctx: ContextDep
    ) -> Response:
        return await handler(design_id, serial_number, request, ctx)

    async def by_gtin(
        gtin: GtinPath, serial_number: Gs1SerialPath, request: Request, ctx: ContextDep
    ) -> Response:
        design_id = await _design_of(gtin, serial_number, request, ctx)
        if isinstance(design_id, Response):
            return design_id
        return await handler(design_id, serial_number, request, ctx)

    by_design.__doc__ = doc
    by_gtin.__doc__ = doc + " (GS1 Digital Link: the design whose owner declared the GTIN)"
    responses = {200: {"content": media}, **NOT_FOUND}
    for path, endpoint, route_name in (
        (f"/p/{{design_id}}/{{serial_number}}{suffix}", by_design, name),
        (f"/01/{{gtin}}/21/{{serial_number}}{suffix}", by_gtin, f"{name}_gs1"),
    ):
        router.add_api_route(
            path, endpoint, methods=["GET"], responses=responses, name=route_name, **kw
        )


_both_forms(
    "", _page, "part_page",
    "The part's page: verdict, facts, every check in plain words, the bundle to download.",
    {"text/html": {}, "application/vc+ld+json": {}}, response_class=HTMLResponse,
)  # fmt: skip
_both_forms(
    "/passport.json", _bundle, "part_bundle",
    "The part's signed proof bundle, to verify offline (``partledger passport verify``).",
    {"application/json": {}}, response_class=Response,
)  # fmt: skip
for _suffix, _kind, _media in (
    ("qr.svg", "svg", "image/svg+xml"),
    ("qr.png", "png", "image/png"),
    ("label.svg", "label", "image/svg+xml"),
):
    _both_forms(
        f"/{_suffix}", _image(_kind, _media), f"part_{_kind}",
        f"The part's URL as a {_kind} image.", {_media: {}}, response_class=Response,
    )  # fmt: skip
