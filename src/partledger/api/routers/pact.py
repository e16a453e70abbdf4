"""PACT v3 host endpoints: Authenticate, ListFootprints, GetFootprint, Events.

Per WBCSD PACT Technical Specifications v3.0.3 (``wbcsd/data-exchange-protocol``
@ ``cf4ebedb``, ``spec/v3/openapi.yaml`` and ``spec/v3/index.md``):

* ``POST /auth/token``: OAuth 2.0 client credentials (RFC 6749 §4.4), client
  authenticated by HTTP Basic ``client_id:client_secret`` (or form fields),
  body ``grant_type=client_credentials``; answers ``{"access_token",
  "token_type": "Bearer", "expires_in"}``; failures per RFC 6749 §5.2
  (``invalid_client`` 401, ``unsupported_grant_type`` / ``invalid_request`` 400).
* ``GET /3/footprints``: filters ``productId``, ``companyId``, ``geography``,
  ``classification`` (OR within, AND across, case-insensitive), ``validOn``,
  ``validAfter``, ``validBefore``, ``status``; ``limit`` with an absolute
  ``Link: <...>; rel="next"`` on the request's host when more remain.
* ``GET /3/footprints/{id}``: the footprint, or 404 ``NotFound``.
* ``POST /3/events``: CloudEvents (structured mode) of the four v3 types;
  200 with an empty body on acceptance, 400 ``BadRequest`` if invalid.
  Accepted events are appended to ``app.state.pact_events`` for the component
  that answers requests (sending RequestFulfilled/Rejected is not done here).

Errors of the ``/3`` actions are the spec's ``Error`` object ``{"code",
"message"}`` (codes BadRequest, AccessDenied, TokenExpired, NotFound, ...), as
``application/json``; an invalid or missing token is 401, an expired one 401
``TokenExpired``. Credentials come from ``PARTLEDGER_PACT_CLIENT_ID`` and
``PARTLEDGER_PACT_CLIENT_SECRET``; while either is unset, or ``app.state.pact_source`` is
None, every route answers 404. Footprints come from ``app.state.pact_source`` (a
:class:`FootprintSource`; the service wires
``partledger.api.services.carbon_pact.IndexFootprintSource`` over its index).
These routes are left out of the service's OpenAPI document: PACT publishes
its own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from partledger.carbon.pact import validate_product_footprint

router = APIRouter(tags=["pact"], include_in_schema=False)

CLIENT_ID_ENV = "PARTLEDGER_PACT_CLIENT_ID"
CLIENT_SECRET_ENV = "PARTLEDGER_PACT_CLIENT_SECRET"  # noqa: S105 (a variable name)
TOKEN_TTL_SECONDS = 3600
EVENT_TYPES = frozenset(
    f"org.wbcsd.pact.ProductFootprint.{name}.3"
    for name in ("RequestCreatedEvent", "RequestFulfilledEvent", "RequestRejectedEvent",
                 "PublishedEvent")
)  # fmt: skip
_LIST_FILTERS = ("productId", "companyId", "geography", "classification")


class FootprintSource(Protocol):
    """Where the PACT routes read ProductFootprint dicts (PACT v3 JSON shape)."""

    def footprints(self) -> list[dict[str, Any]]: ...


def _now() -> float:
    return time.time()


class _Tokens:
    """Issued bearer tokens and their expiry (process memory; one client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = _now()
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._expiry[token] = now + TOKEN_TTL_SECONDS
        return token

    def expiry(self, token: str) -> float | None:
        with self._lock:
            return self._expiry.get(token)


_TOKEN_LOCK = threading.Lock()


def _tokens(request: Request) -> _Tokens:
    state = request.app.state
    with _TOKEN_LOCK:
        store = getattr(state, "pact_tokens", None)
        if store is None:
            store = _Tokens()
            state.pact_tokens = store
    return store


def _credentials() -> tuple[str, str] | None:
    client_id = os.environ.get(CLIENT_ID_ENV, "")
    secret = os.environ.get(CLIENT_SECRET_ENV, "")
    return (client_id, secret) if client_id and secret else None


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None
           ) -> JSONResponse:  # fmt: skip
    return JSONResponse({"code": code, "message": message}, status_code=status,
                        headers=dict(headers or {}))  # fmt: skip


def _disabled() -> JSONResponse:
    return _error(404, "NotFound", "PACT exchange is not enabled on this service")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="pact"'
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=headers)  # fmt: skip


@router.post("/auth/token")
async def token(request: Request) -> Response:
    """Action Authenticate: OAuth 2.0 client credentials grant."""
    expected = _credentials()
    if expected is None or _source_of(request) is None:
        return _disabled()
    form = await request.form()
    client_id = form.get("client_id")
    secret = form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            raw_id, sep, raw_secret = decoded.partition(":")
            if not sep:
                raise ValueError
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return _oauth_error(401, "invalid_client", "Authentication failed")
        client_id, secret = unquote(raw_id), unquote(raw_secret)  # RFC 6749 §2.3.1
    if not isinstance(client_id, str) or not isinstance(secret, str):
        return _oauth_error(401, "invalid_client", "Authentication failed")
    ok_id = hmac.compare_digest(client_id.encode(), expected[0].encode())
    ok_secret = hmac.compare_digest(secret.encode(), expected[1].encode())
    if not (ok_id and ok_secret):
        return _oauth_error(401, "invalid_client", "Authentication failed")
    grant = form.get("grant_type")
    if grant is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    access_token = _tokens(request).issue()
    return JSONResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL_SECONDS},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _authorize(request: Request) -> JSONResponse | None:
    """None if the bearer token is valid; else the 401 (or 404 when disabled) to answer."""
    if _credentials() is None or _source_of(request) is None:
        return _disabled()
    header = request.headers.get("authorization", "")
    challenge = 'Bearer realm="pact"'
    if header[:7].lower() != "bearer " or not header[7:].strip():
        return _error(401, "AccessDenied", "a bearer access token is required",
                      {"WWW-Authenticate": challenge})  # fmt: skip
    expiry = _tokens(request).expiry(header[7:].strip())
    if expiry is None:
        return _error(401, "AccessDenied", "the access token is invalid",
                      {"WWW-Authenticate": challenge + ', error="invalid_token"'})  # fmt: skip
    if expiry <= _now():
        return _error(401, "TokenExpired", "the access token has expired",
                      {"WWW-Authenticate": challenge + ', error="invalid_token"'})  # fmt: skip
    return None


def _source_of(request: Request) -> FootprintSource | None:
    source: FootprintSource | None = getattr(request.app.state, "pact_source", None)
    return source


def _source(request: Request) -> list[dict[str, Any]]:
    source = _source_of(request)
    return [] if source is None else list(source.footprints())


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _validity(pf: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """The validity period; by default 3 years from the reference period end (spec v3)."""
    pcf = pf.get("pcf", {})
    if "validityPeriodStart" in pf and "validityPeriodEnd" in pf:
        return _parse_time(pf["validityPeriodStart"]), _parse_time(pf["validityPeriodEnd"])
    start = _parse_time(pf.get("validityPeriodStart") or pcf["referencePeriodEnd"])
    end_text = pf.get("validityPeriodEnd")
    if end_text:
        return start, _parse_time(end_text)
    ref_end = _parse_time(pcf["referencePeriodEnd"])
    try:
        end = ref_end.replace(year=ref_end.year + 3)
    except ValueError:  # 29 February
        end = ref_end + timedelta(days=3 * 365)
    return start, end


def _lower(values: Iterable[object]) -> set[str]:
    return {str(v).lower() for v in values}


def _matches(pf: Mapping[str, Any], criteria: Mapping[str, Any]) -> bool:
    pcf = pf.get("pcf", {})
    fields = {
        "productId": _lower(pf.get("productIds", [])),
        "companyId": _lower(pf.get("companyIds", [])),
        "classification": _lower(pf.get("productClassifications", [])),
        "geography": _lower(
            pcf[name]
            for name in (
                "geographyRegionOrSubregion",
                "geographyCountry",
                "geographyCountrySubdivision",
            )
            if name in pcf
        ),
    }
    for name in _LIST_FILTERS:
        wanted = criteria.get(name)
        if wanted and not (_lower(wanted) & fields[name]):
            return False
    status = criteria.get("status")
    if status and str(pf.get("status", "")).lower() != str(status).lower():
        return False
    if any(criteria.get(name) for name in ("validOn", "validAfter", "validBefore")):
        start, end = _validity(pf)
        if criteria.get("validOn") and not start <= criteria["validOn"] <= end:
            return False
        if criteria.get("validAfter") and not start > criteria["validAfter"]:
            return False
        if criteria.get("validBefore") and not end < criteria["validBefore"]:
            return False
    return True


def _criteria(request: Request) -> dict[str, Any] | str:
    """The list filters from the query (names case-insensitive), or what is wrong."""
    query = request.query_params
    by_lower: dict[str, list[str]] = {}
    for key, value in query.multi_items():
        by_lower.setdefault(key.lower(), []).append(value)
    criteria: dict[str, Any] = {name: by_lower.get(name.lower(), []) for name in _LIST_FILTERS}
    for name in ("validOn", "validAfter", "validBefore"):
        values = by_lower.get(name.lower())
        if values:
            try:
                criteria[name] = _parse_time(values[-1])
            except ValueError:
                return f"{name} must be an RFC 3339 date-time"
    status = by_lower.get("status")
    if status:
        if status[-1].lower() not in ("active", "deprecated"):
            return "status must be Active or Deprecated"
        criteria["status"] = status[-1]
    return criteria


def _non_negative(request: Request, name: str) -> int | str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        return f"{name} must be a non-negative integer"
    return int(raw)


@router.get("/3/footprints")
def list_footprints(request: Request) -> Response:
    """Action ListFootprints."""
    denied = _authorize(request)
    if denied is not None:
        return denied
    criteria = _criteria(request)
    limit = _non_negative(request, "limit")
    offset = _non_negative(request, "offset")
    for problem in (criteria, limit, offset):
        if isinstance(problem, str):
            return _error(400, "BadRequest", problem)
    assert isinstance(criteria, dict)
    assert not isinstance(limit, str) and not isinstance(offset, str)
    try:
        found = [pf for pf in _source(request) if _matches(pf, criteria)]
    except (KeyError, ValueError, TypeError):
        return _error(500, "InternalError", "a stored footprint is malformed")
    start = offset or 0
    end = len(found) if limit is None else start + limit
    headers: dict[str, str] = {}
    if end < len(found):
        next_url = request.url.include_query_params(offset=end, limit=end - start)
        headers["Link"] = f'<{next_url}>; rel="next"'
    return JSONResponse({"data": found[start:end]}, headers=headers)


@router.get("/3/footprints/{footprint_id}")
def get_footprint(footprint_id: str, request: Request) -> Response:
    """Action GetFootprint."""
    denied = _authorize(request)
    if denied is not None:
        return denied
    try:
        wanted = str(uuid.UUID(footprint_id))
    except ValueError:
        return _error(400, "BadRequest", "the footprint id must be a UUID")
    try:
        found = _source(request)
    except (KeyError, ValueError, TypeError):
        return _error(500, "InternalError", "a stored footprint is malformed")
    for pf in found:
        if str(pf.get("id", "")).lower() == wanted:
            return JSONResponse({"data": pf})
    return _error(404, "NotFound", "The requested footprint could not be found.")


def _event_problem(event: object) -> str | None:
    """What makes ``event`` invalid under the v3.0.3 event schemas, or None."""
    if not isinstance(event, dict):
        return "the event must be a JSON object"
    for name in ("type", "specversion", "id", "source", "time", "data"):
        if name not in event:
            return f"{name} is required"
    for name in ("type", "specversion", "id", "source", "time"):
        if not isinstance(event[name], str) or not event[name]:
            return f"{name} must be a non-empty string"
    try:
        _parse_time(event["time"])
    except ValueError:
        return "time must be an RFC 3339 date-time"
    if event["type"] not in EVENT_TYPES:
        return f"unsupported event type {event['type']!r}"
    data = event["data"]
    if not isinstance(data, dict):
        return "data must be an object"
    kind = event["type"].split(".")[-2]
    if kind == "PublishedEvent" and "pfIds" in data:
        ids = data["pfIds"]
        if not isinstance(ids, list):
            return "data.pfIds must be an array"
        try:
            for item in ids:
                uuid.UUID(item)
        except (ValueError, TypeError, AttributeError):
            return "data.pfIds must hold UUIDs"
    fulfilled_or_rejected = kind in ("RequestFulfilledEvent", "RequestRejectedEvent")
    if fulfilled_or_rejected and not isinstance(data.get("requestEventId"), str):
        return "data.requestEventId is required"
    if kind == "RequestFulfilledEvent":
        pfs = data.get("pfs")
        if not isinstance(pfs, list) or not pfs:
            return "data.pfs must be a non-empty array"
        for i, pf in enumerate(pfs):
            errors = validate_product_footprint(pf) if isinstance(pf, dict) else ["not an object"]
            if errors:
                return f"data.pfs[{i}]: {errors[0]}"
    if kind == "RequestRejectedEvent":
        error = data.get("error")
        if not (isinstance(error, dict) and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str)):  # fmt: skip
            return "data.error needs code and message"
    if kind == "RequestCreatedEvent":
        for name in _LIST_FILTERS:
            if name in data and not isinstance(data[name], list):
                return f"data.{name} must be an array"
    return None


@router.post("/3/events")
async def events(request: Request) -> Response:
    """Action Events: validate and accept a CloudEvent; 200 with an empty body."""
    denied = _authorize(request)
    if denied is not None:
        return denied
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/cloudevents+json", "application/json"):
        return _error(400, "BadRequest", "events must be application/cloudevents+json")
    try:
        event = await request.json()
    except ValueError:
        return _error(400, "BadRequest", "the body is not JSON")
    problem = _event_problem(event)
    if problem is not None:
        return _error(400, "BadRequest", problem)
    with _TOKEN_LOCK:
        received = getattr(request.app.state, "pact_events", None)
        if received is None:
            received = []
            request.app.state.pact_events = received
        received.append(event)
    return Response(status_code=200)
