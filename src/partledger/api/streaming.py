"""Request-body streaming into a worker-thread consumer, and blob streaming out.

Uploads are read as they arrive (``request.stream()``), coalesced into 1 MiB
chunks and handed to a ``ThreadedSink``; the whole body is never held in memory
or spooled to a temporary file. ``application/octet-stream`` bodies are taken as
the file; ``multipart/form-data`` is parsed incrementally (one ``file`` part plus
small fields); other media types are refused (415) before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

import anyio
from fastapi import Request
from starlette.requests import ClientDisconnect

from partledger.api.services.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from partledger.api.services.transfer import CHUNK, MultipartStream, ThreadedSink

_R = TypeVar("_R")


OCTET_STREAM = "application/octet-stream"
MULTIPART = "multipart/form-data"


def media_type(request: Request) -> str | None:
    """The request's media type (lower case, without parameters), or None without one."""
    value = request.headers.get("content-type")
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def declared_length(request: Request) -> int | None:
    """The ``Content-Length`` the client declared (None without one)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.strip().isdigit():
        raise InvalidRequest(f"invalid Content-Length {declared!r}")
    return int(declared)


async def receive_upload(
    request: Request,
    consume: Callable[[Iterator[bytes]], _R],
    *,
    limit: int,
    accept: tuple[str, ...] = (OCTET_STREAM, MULTIPART),
    what: str = "the file",
    setting: str | None = "PARTLEDGER_API_MAX_UPLOAD_BYTES",
) -> tuple[_R, dict[str, bytes], int]:
    """Stream the body's file into ``consume``; return its result, form fields, size.

    ``accept`` lists the media types the operation takes (a body without a
    ``Content-Type`` is ``application/octet-stream``, RFC 9110 section 8.3): anything
    else is refused 415 before the body is read. A file over ``limit`` bytes is 413,
    from ``Content-Length`` when it says so, else as soon as the stream passes it.
    """
    named = f" ({setting})" if setting else ""
    kind = media_type(request) or OCTET_STREAM
    if kind not in accept:
        raise UnsupportedMediaType(
            f"this operation takes {' or '.join(accept)}, not {kind}", accepted=list(accept)
        )
    declared = declared_length(request)
    slack = 64 * 1024 if kind == MULTIPART else 0  # multipart framing and small fields
    if declared is not None and declared > limit + slack:
        raise PayloadTooLarge(
            f"the body is {declared} bytes; {what} may be at most {limit} bytes{named}",
            limit=limit,
        )
    parser = MultipartStream(request.headers["content-type"]) if kind == MULTIPART else None
    sink: ThreadedSink[_R] = ThreadedSink(consume)
    buffer = bytearray()
    size = 0
    try:
        async for piece in request.stream():
            parts = parser.write(piece) if parser is not None else [piece]
            for part in parts:
                size += len(part)
                if size > limit:
                    raise PayloadTooLarge(
                        f"{what} exceeds the limit of {limit} bytes{named}", limit=limit
                    )
                buffer += part
            if len(buffer) >= CHUNK:
                chunk, buffer = bytes(buffer), bytearray()
                await anyio.to_thread.run_sync(sink.feed, chunk)
        if parser is not None:
            parser.close()
            if not parser.file_seen:
                raise InvalidRequest("the multipart body has no 'file' part")
        if buffer:
            await anyio.to_thread.run_sync(sink.feed, bytes(buffer))
        result = await anyio.to_thread.run_sync(sink.finish)
    except ClientDisconnect:
        await anyio.to_thread.run_sync(sink.abort)
        raise InvalidRequest("the client disconnected during the upload") from None
    except BaseException:
        await anyio.to_thread.run_sync(sink.abort)
        raise
    return result, (parser.fields if parser is not None else {}), size


def stream_file(
    handle: BinaryIO, on_done: Callable[[int, bool], None], chunk: int = CHUNK
) -> Iterator[bytes]:
    """Yield a blob in chunks; ``on_done(bytes_sent, complete)`` runs however it ends."""
    sent = 0
    complete = False
    try:
        while data := handle.read(chunk):
            yield data
            sent += len(data)
        complete = True
    finally:
        handle.close()
        on_done(sent, complete)
