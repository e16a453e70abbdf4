"""Pure-ASGI middleware: request ids, JSON access logs, latency metrics, JSON size limit."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partledger.api.services.metrics import Metrics

log = logging.getLogger("partledger.api.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
STREAMED = ("/v1/blobs", "/v1/designs")


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_json_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_json = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        receive_ = receive
        content_type = headers.get(b"content-type", b"")
        if content_type.startswith(b"application/json") and not path.startswith(STREAMED):
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_json:
                await _too_large(send_wrapper, request_id, self.max_json)
                self._observe(scope, status, started, request_id)
                return
            receive_ = _limited(receive, self.max_json)
        try:
            await self.app(scope, receive_, send_wrapper)
        except _BodyTooLarge:
            await _too_large(send_wrapper, request_id, self.max_json)
        finally:
            self._observe(scope, status, started, request_id)

    def _observe(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.request_latency.labels(method, template, str(status)).observe(elapsed)
        client = scope.get("client")
        state: Any = scope.get("state", {})
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": method,
                "path": scope.get("path"),
                "route": template,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": client[0] if client else None,
                "account": state.get("account") if isinstance(state, dict) else None,
            },
        )


class _BodyTooLarge(Exception):
    pass


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
        return message

    return wrapped


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    import json

    body = json.dumps(
        {
            "type": "https://partledger.dev/problems/payload-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": f"JSON bodies are limited to {limit} bytes",
            "request_id": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
