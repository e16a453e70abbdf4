"""Domain errors of the HTTP service; each carries a stable problem ``type`` slug and status.

The routers never build error responses themselves: they raise these (or let SDK,
chain and storage errors through) and ``partledger.api.problems`` renders RFC 9457
problem documents.
"""

from __future__ import annotations

from typing import Any

from partledger.errors import PartLedgerError


class ServiceError(PartLedgerError):
    """An error the service reports to its client."""

    status = 500
    slug = "internal"
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthenticated(ServiceError, PermissionError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class InvalidToken(Unauthenticated):
    slug = "invalid-token"
    title = "The bearer token is invalid or expired"


class SiweRejected(Unauthenticated):
    slug = "siwe-rejected"
    title = "The Sign-In with Ethereum message was rejected"


class Forbidden(ServiceError, PermissionError):
    status = 403
    slug = "forbidden"
    title = "The caller may not do this"


class NotFound(ServiceError, LookupError):
    status = 404
    slug = "not-found"
    title = "No such resource"


class Conflict(ServiceError, ValueError):
    status = 409
    slug = "conflict"
    title = "The request conflicts with the current state"


class CustodyRequired(Conflict):
    slug = "custody-required"
    title = "The service holds no key for this account"


class LicenceNotUsable(ServiceError, PermissionError):
    status = 403
    slug = "licence-not-usable"
    title = "The licence does not allow this now"


class PayloadTooLarge(ServiceError, ValueError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(ServiceError, ValueError):
    status = 415
    slug = "unsupported-media-type"
    title = "The operation does not accept this content type"


class InvalidRequest(ServiceError, ValueError):
    status = 422
    slug = "invalid-request"
    title = "The request is malformed"


class RateLimited(ServiceError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class Unavailable(ServiceError, ConnectionError):
    status = 503
    slug = "unavailable"
    title = "A dependency is unavailable"
