"""RFC 9457 problem details: every domain error gets a stable ``type`` URI.

``https://partledger.dev/problems/<slug>``; contract custom errors keep their
Solidity name (``.../contract/LicenceExhausted``) and their decoded arguments.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from partledger.api.services.errors import ServiceError
from partledger.chain.errors import RpcUnavailable
from partledger.chain.ledger_errors import (
    LedgerConflict,
    LedgerInvalidInput,
    LedgerNotFound,
    LedgerRefused,
)
from partledger.chain.reverts import ContractRevert
from partledger.crypto.errors import ContainerError, KeyWrapError
from partledger.errors import PartLedgerError
from partledger.passport.bundle import StateUnavailable
from partledger.sdk import DesignKeyUnavailable, InvalidIdentifier
from partledger.sdk import LicenceNotUsable as SdkLicenceNotUsable
from partledger.storage import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    BlobTooLargeError,
    BlobWriteError,
    InvalidBlobIdError,
    StorageError,
)

BASE = "https://partledger.dev/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("partledger.api")


class ValidationErrorItem(BaseModel):
    """One reason a request was malformed: where (``loc``) and what."""

    loc: list[str]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``).

    ``type`` is stable per error (``https://partledger.dev/problems/<slug>``, contract
    errors ``.../contract/<ErrorName>``); the optional members appear where they apply.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://partledger.dev/problems/licence-not-usable",
                    "title": "The licence does not allow this now",
                    "status": 403,
                    "detail": "licence 0x5f3c…e1 is Suspended",
                    "instance": "/v1/hub/licences/0x5f3c…e1/container",
                    "request_id": "4b49402b54d047098f1aaca0e62374a3",
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ValidationErrorItem] | None = None
    """``validation`` (422): each malformed parameter or body member."""
    error: str | None = None
    """``contract/<ErrorName>``: the Solidity custom error's name."""
    arguments: dict[str, Any] | None = None
    """``contract/<ErrorName>``: the error's decoded arguments."""
    limit: int | None = None
    """``payload-too-large`` (413): the limit in bytes."""
    accepted: list[str] | None = None
    """``unsupported-media-type`` (415): the media types the operation takes."""
    retry_after: int | None = None
    """``rate-limited`` (429): seconds to wait (also the ``Retry-After`` header)."""


_DESCRIPTIONS: dict[int, str] = {
    401: "Not authenticated: no bearer token, an invalid or expired one, or a refused "
    "sign-in (`unauthenticated`, `invalid-token`, `siwe-rejected`)",
    403: "Forbidden: the caller lacks the role or the right, or the ledger refuses "
    "(`forbidden`, `licence-not-usable`, `contract/<Error>`)",
    404: "Not found (`not-found`, `blob-not-found`, `contract/<Error>`)",
    409: "Conflict with the current state (`conflict`, `custody-required`, "
    "`design-key-unavailable`, `contract/<Error>`)",
    413: "The body exceeds its limit (`payload-too-large`, with `limit`)",
    415: "The operation does not take this content type (`unsupported-media-type`, with "
    "`accepted`)",
    422: "Malformed request (`validation` with `errors`, `invalid-request`, "
    "`invalid-identifier`, `invalid-blob-id`, `invalid-container`, `invalid-wrapped-key`, "
    "`contract/<Error>`)",
    429: "Rate limited (`rate-limited`; wait `Retry-After` seconds)",
    503: "A dependency (the chain, the database) does not answer (`chain-unavailable`, "
    "`unavailable`)",
    507: "The blob store could not write (`storage-write-failed`)",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem statuses an operation can answer."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {
            "description": _DESCRIPTIONS[code],
            "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}},
        }
        if code in _HEADERS:
            entry["headers"] = _HEADERS[code]
        out[code] = entry
    return out


AUTH = (401, 429, 503)
"""What any operation with a bearer token can answer: bad token, rate limit, chain down
(roles are read from the chain)."""
JSON_BODY = (413, 415, 422)
"""What any operation with a JSON body can answer."""


# (exception class, status, slug, title): first match wins, most specific first.
_TABLE: list[tuple[type[BaseException], int, str, str]] = [
    (SdkLicenceNotUsable, 403, "licence-not-usable", "The licence does not allow this now"),
    (DesignKeyUnavailable, 409, "design-key-unavailable", "The service holds no key for it"),
    (InvalidIdentifier, 422, "invalid-identifier", "An id or hash is malformed"),
    (InvalidBlobIdError, 422, "invalid-blob-id", "A blob id is malformed"),
    (BlobNotFoundError, 404, "blob-not-found", "The blob is not in the store"),
    (BlobTooLargeError, 413, "payload-too-large", "The request body is too large"),
    (BlobCorruptedError, 500, "blob-corrupted", "A stored blob does not match its hash"),
    (BlobWriteError, 507, "storage-write-failed", "The blob store could not write"),
    (ContainerError, 422, "invalid-container", "The encrypted container is invalid"),
    (KeyWrapError, 422, "invalid-wrapped-key", "The wrapped key is invalid"),
    (RpcUnavailable, 503, "chain-unavailable", "The chain does not answer"),
    (BlobStoreUnavailableError, 503, "store-unavailable", "The blob store does not answer"),
    (StorageError, 503, "store-unavailable", "The blob store cannot serve this"),
    (StateUnavailable, 503, "state-unavailable", "The node keeps no state for that block"),
]
_REVERT_STATUS: list[tuple[type[ContractRevert], int]] = [
    (LedgerRefused, 403),
    (LedgerNotFound, 404),
    (LedgerConflict, 409),
    (LedgerInvalidInput, 422),
]


def problem(
    status: int, slug: str, title: str, detail: str | None, request: Request | None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": BASE + slug, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="partledger"'
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | str | bool) or value is None:
        return value
    return str(value)


def render(exc: BaseException, request: Request | None) -> JSONResponse:
    """The problem response for any exception (unknown ones: 500 without detail)."""
    if isinstance(exc, ServiceError):
        return problem(exc.status, exc.slug, exc.title, exc.detail, request, **exc.extra)
    if isinstance(exc, ContractRevert):
        status = next((s for cls, s in _REVERT_STATUS if isinstance(exc, cls)), 409)
        return problem(
            status,
            f"contract/{exc.error}",
            f"The ledger refused: {exc.error}",
            str(exc),
            request,
            error=exc.error,
            arguments={k: _plain(v) for k, v in exc.arguments.items()},
        )
    for cls, status, slug, title in _TABLE:
        if isinstance(exc, cls):
            detail = None if status >= 500 else str(exc)
            return problem(status, slug, title, detail, request)
    if isinstance(exc, ConnectionError | TimeoutError):
        return problem(503, "unavailable", "A dependency is unavailable", None, request)
    log.error(
        "unhandled error", exc_info=(type(exc), exc, exc.__traceback__)
    )  # the traceback goes to the log, never to the client
    return problem(500, "internal", "Internal error", None, request)


def _allowed(request: Request) -> list[str]:
    """Every method some route answers on this path (Starlette names only the first
    route's methods, so ``DELETE /v1/licences`` would otherwise say ``Allow: POST``)."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(
            not isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL
            for route in request.app.router.routes
        ):
            allowed.append(method)
    return allowed


def install(app: FastAPI) -> None:
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return render(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(
            422, "validation", "The request is malformed", "see errors", request, errors=errors
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:  # FastAPI could not read the body (e.g. not UTF-8)
            return problem(
                422, "validation", "The request is malformed", "the body could not be parsed",
                request, errors=[{"loc": ["body"], "msg": str(exc.detail)}],
            )  # fmt: skip
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        response = problem(exc.status_code, slug, str(exc.detail), None, request)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405 and (allowed := _allowed(request)):
            response.headers["Allow"] = ", ".join(allowed)
        return response

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for cls in (PartLedgerError, ConnectionError, TimeoutError, LookupError, ValueError):
        app.add_exception_handler(cls, on_error)
    app.add_exception_handler(Exception, on_error)
