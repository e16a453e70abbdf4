"""The OpenAPI document and its interactive pages, served without any CDN.

``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) load their scripts, styles and icon from
``/docs/assets/``: the files shipped by the ``fastapi-offline`` package (Swagger UI 5,
which renders OpenAPI 3.1, and ReDoc 2), so the pages work on an air-gapped network.

``openapi_document`` finishes FastAPI's document: the RFC 9457 ``Problem`` schema
(referenced by every error response as ``application/problem+json``), and no security
requirement on provenance lookups when they are public.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from partledger.api import schemas as api_schemas
from partledger.api.problems import Problem

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
PUBLIC_PROVENANCE = ("/v1/audit/provenance/{serial_number}", "get")


def install(app: FastAPI, *, public_provenance: bool) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets; finish the OpenAPI document."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API reference",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app, public_provenance=public_provenance)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _models_with_examples() -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = []
    for value in vars(api_schemas).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            extra = value.model_config.get("json_schema_extra")
            if isinstance(extra, dict) and "examples" in extra:
                models.append(value)
    return models


def openapi_document(app: FastAPI, *, public_provenance: bool) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _, problem = models_json_schema(
        [(Problem, "validation")], ref_template="#/components/schemas/{model}"
    )
    schemas.update(problem.get("$defs", {}))
    models: list[type[BaseModel]] = [Problem, *_models_with_examples()]
    for model in models:
        # FastAPI drops null members everywhere in the document, examples included
        examples = model.model_json_schema().get("examples")
        for name in (model.__name__, f"{model.__name__}-Output"):
            if examples and name in schemas:
                schemas[name]["examples"] = examples
    path, method = PUBLIC_PROVENANCE
    if public_provenance:
        document["paths"][path][method]["security"] = []  # anyone may look a part up
    return document
