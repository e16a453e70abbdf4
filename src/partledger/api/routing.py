"""The route class of every router: a JSON operation refuses other media types (415).

FastAPI parses a body it does not recognise as JSON into raw bytes and then fails
validation (422), or a form body into a 400. An operation that declares a JSON body
answers ``415 unsupported-media-type`` instead, before reading it, to any non-empty
body that is not ``application/json`` (or ``application/*+json``). Streamed uploads
declare no body model and check their media types themselves
(``partledger.api.streaming.receive_upload``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from partledger.api.services.errors import UnsupportedMediaType

JSON = "application/json"


def is_json(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json`` (parameters ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def has_body(request: Request) -> bool:
    """Whether the request carries a body (declared length > 0, or chunked)."""
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() != "0"
    return "transfer-encoding" in request.headers


class JsonBodyRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            if has_body(request):
                content_type = request.headers.get("content-type")
                if content_type is None or not is_json(content_type):
                    raise UnsupportedMediaType(
                        f"this operation takes {JSON}, not {content_type or 'no content type'}",
                        accepted=[JSON],
                    )
            return await handler(request)

        return checked
