"""Pure-ASGI middleware: request ids, JSON access logs, latency metrics, body size limit.

Every request body except the streamed uploads (``POST /v1/blobs``, ``POST /v1/designs``,
``POST /v1/designs/{id}/revisions``, which enforce their own limits while streaming) is
read here, up to ``PARTLEDGER_API_MAX_JSON_BYTES``: a larger one, whatever its content type
and whether or not it declares a ``Content-Length``, is answered 413 naming the limit
before any route sees it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partledger.api.services.metrics import Metrics

log = logging.getLogger("partledger.api.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
STREAMED = re.compile(r"^/v1/(?:blobs|designs|designs/[^/]+/revisions)/?$")


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

        if STREAMED.match(path) or scope.get("method") in ("GET", "HEAD"):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self._observe(scope, status, started, request_id)
            return
        length = headers.get(b"content-length", b"")
        if length.strip().isdigit() and int(length) > self.max_json:
            await _too_large(send_wrapper, request_id, path, self.max_json)
            self._observe(scope, status, started, request_id)
            return
        body = await _read_body(receive, self.max_json)
        if body is None:
            await _too_large(send_wrapper, request_id, path, self.max_json)
            self._observe(scope, status, started, request_id)
            return
        try:
            await self.app(scope, _replay(body, receive), send_wrapper)
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


async def _read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, or None as soon as they pass ``limit`` bytes."""
    messages: list[Message] = []
    seen = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away: let the app see it
            return messages
        seen += len(message.get("body", b""))
        if seen > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()  # after the body: disconnects

    return replayed


async def _too_large(send: Send, request_id: str, path: str, limit: int) -> None:
    body = json.dumps(
        {
            "type": "https://partledger.dev/problems/payload-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": f"request bodies are limited to {limit} bytes "
            "(PARTLEDGER_API_MAX_JSON_BYTES)",
            "instance": path,
            "request_id": request_id,
            "limit": limit,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
